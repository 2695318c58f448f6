"""BagIt bags: the time to bag a record with one --size-mib file (its payload streamed into the archive
location and checked), to bag it again after an edit that adds a small file (the unchanged payload
object is reused, not copied), and to export it with export_bags; against copying the stored file with
shutil.copyfile (the baseline). Target: the first bag within a few times a plain copy (it hashes MD5 and
SHA-256 on the way), the second bag independent of the file's size.

Usage: .venv/bin/python bench/bags.py [--size-mib 256]
Environment: DATABASE_URL (default: SQLite in a temporary folder).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from repository.stack import bench_django  # noqa: E402


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=256)
    args = parser.parse_args()
    bench_django("bench-bags-")

    from django.contrib.auth import get_user_model

    from archive import services, succession
    from records.services import create_draft, open_edit, publish
    from storage.models import FileInstance
    from storage.services import store_bytes, store_stream

    owner, _ = get_user_model().objects.get_or_create(username="bench-bags", email="bench@example.org")
    metadata = {
        "resource_type": {"type": "dataset"},
        "title": "Bench",
        "publication_date": "2026-01-01",
        "creators": [{"name": "Bench, Ada"}],
        "description": "A benchmark record.",
        "access_right": "open",
        "license": "CC-BY-4.0",
    }
    draft = create_draft(owner, metadata)
    folder = Path(tempfile.mkdtemp(prefix="bench-bags-src-"))
    big = folder / "big.bin"
    with open(big, "wb") as out:
        for _ in range(args.size_mib):
            out.write(os.urandom(1 << 20))
    with open(big, "rb") as stream:
        store_stream(draft.files_bucket(), "big.bin", stream, owner)
    record = publish(draft, owner, declaration_accepted=True)
    instance = FileInstance.objects.get(versions__file__key="big.bin")
    stored = instance.location.backend().local_path(instance.path)
    if stored is None:
        raise SystemExit("the benchmark needs a local primary location")

    baseline, _ = timed(lambda: shutil.copyfile(stored, folder / "copy.bin"))
    first, _ = timed(lambda: services.make_bag(record))
    record = open_edit(record, owner)
    store_bytes(record.files_bucket(), "small.txt", b"small\n", owner)
    record = publish(record, owner, declaration_accepted=True)
    second, _ = timed(lambda: services.make_bag(record))
    export, _ = timed(lambda: succession.export_bags(folder / "export"))
    print(f"size: {args.size_mib} MiB")
    print(f"baseline (shutil.copyfile of the stored file): {baseline:.2f} s")
    print(f"first bag (payload streamed and checked):   {first:.2f} s  ratio {first / baseline:.2f}")
    print(f"second bag (payload reused, one small file): {second:.2f} s  ratio {second / baseline:.2f}")
    print(f"export_bags (one bag, JSON):                 {export:.2f} s  ratio {export / baseline:.2f}")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
