"""Fixity sweep throughput: the sweep's own code (claim a batch, then check and release each file, as the
``verify_instances`` task does) over --files files of --size-mib MiB in all (default 1 GiB in 256 files),
against the baseline of coreutils ``md5sum`` then ``sha256sum`` over the same files, in the same run,
page cache warm for both. Prints both times, MB/s and the ratio baseline / sweep (target >= 0.9).

Usage: .venv/bin/python bench/fixity.py [--size-mib 1024] [--files 256] [--runs 3]
Environment: DATABASE_URL (default: SQLite in a temporary folder).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from repository.stack import bench_django  # noqa: E402

MIB = 1024 * 1024


def setup() -> None:
    os.environ.setdefault("FIXITY_CHECK_AFTER_UPLOAD", "false")  # the files are made here, not uploaded
    os.environ["FIXITY_MAX_MB_PER_S"] = ""  # unthrottled: the figure is the sweep's own speed
    bench_django("bench-fixity-")


def make_files(count: int, total: int) -> list[Path]:
    """``count`` files of random bytes (``total`` bytes in all) in the primary location, with their rows."""
    from storage.models import FileInstance
    from storage.services import primary_location

    location = primary_location()
    backend = location.backend()
    size = total // count
    rows, paths = [], []
    for _ in range(count):
        instance_id = uuid.uuid4()
        path = FileInstance.path_for(instance_id)
        target = backend.local_path(path)
        if target is None:
            raise SystemExit("the benchmark needs a local location")
        target.parent.mkdir(parents=True, exist_ok=True)
        md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
        with target.open("wb") as out:
            left = size
            while left:
                block = os.urandom(min(left, 4 * MIB))
                out.write(block)
                md5.update(block)
                sha256.update(block)
                left -= len(block)
        rows.append(
            FileInstance(
                id=instance_id,
                location=location,
                path=path,
                size=size,
                md5="md5:" + md5.hexdigest(),
                sha256="sha256:" + sha256.hexdigest(),
            )
        )
        paths.append(target)
    FileInstance.objects.bulk_create(rows)
    return paths


def baseline(paths: list[Path]) -> float:
    started = time.perf_counter()
    for tool in ("md5sum", "sha256sum"):
        subprocess.run([tool, *map(str, paths)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def sweep(count: int) -> float:
    from storage.models import FileInstance
    from storage.services import check_claimed, claim_fixity_batch

    FileInstance.objects.update(fixity_claimed=None)
    started = time.perf_counter()
    ids, claim = claim_fixity_batch(size=count)
    assert claim is not None and len(ids) == count  # noqa: S101 (no figure without the whole batch)
    for instance_id in ids:
        outcome = check_claimed(instance_id, claim)
        assert outcome is not None and not outcome.failed  # noqa: S101 (a failed check is no figure)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--files", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for tool in ("md5sum", "sha256sum"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} (coreutils) is needed for the baseline")
    setup()
    total = args.size_mib * MIB
    print(f"fixity sweep: {args.files} files, {total / MIB:.0f} MiB in all; {args.runs} runs each, median")
    paths = make_files(args.files, total)
    baseline(paths)  # warm the page cache for both
    base_times, sweep_times = [], []
    for _ in range(args.runs):  # interleaved, so a busy moment on the machine hits both alike
        base_times.append(baseline(paths))
        sweep_times.append(sweep(args.files))
    base, swept = statistics.median(base_times), statistics.median(sweep_times)
    mb = total / 1_000_000
    print(f"baseline  md5sum + sha256sum: {base:6.2f} s  ({mb / base:6.1f} MB/s)")
    print(f"sweep     check_claimed x {args.files}: {swept:6.2f} s  ({mb / swept:6.1f} MB/s)")
    print(f"ratio     baseline / sweep: {base / swept:.2f}  (target >= 0.9)")


if __name__ == "__main__":
    main()
