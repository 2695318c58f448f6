"""Management commands (verify_fixity, remove_stale_uploads) and the benchmark runner."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from storage import services
from storage.models import Upload


def test_verify_fixity_reports_intact_and_corrupted_files(draft, depositor):
    good = services.store_bytes(draft.bucket, "good.txt", b"good", depositor)
    bad = services.store_bytes(draft.bucket, "bad.txt", b"bad", depositor)
    out = io.StringIO()
    call_command("verify_fixity", "--record", str(draft.pk), stdout=out)
    assert "Verified 2 file(s): 2 intact, 0 failed." in out.getvalue()
    bad.instance.location.backend().local_path(bad.instance.path).write_bytes(b"rot")
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_fixity", "--all", stdout=out, stderr=err)
    assert str(bad.instance.pk) in err.getvalue() and str(good.instance.pk) not in err.getvalue()
    bad.instance.refresh_from_db()
    assert bad.instance.verified_ok is False and bad.instance.last_verified is not None


def test_remove_stale_uploads_command(draft, depositor):
    upload = services.create_upload(draft.bucket, "old.bin", 10, depositor)
    Upload.objects.filter(pk=upload.pk).update(updated=timezone.now() - dt.timedelta(hours=3))
    out = io.StringIO()
    call_command("remove_stale_uploads", stdout=out)
    assert Upload.objects.filter(pk=upload.pk).exists()
    call_command("remove_stale_uploads", "--hours", "2", stdout=out)
    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert "Removed 1 unfinished upload(s)" in out.getvalue()


def test_bench_runner_runs_all_benchmarks_or_the_named_ones():
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {"PATH": "/usr/bin:/bin", "PY": "echo"}  # "run" each script by printing its command line

    def run(*args):
        return subprocess.run(
            ["bash", "bench/run.sh", *args], cwd=root, env=env, capture_output=True, text=True
        )

    every = run()
    assert every.returncode == 0
    assert "bench/upload.py\n" in every.stdout and "bench/oai_harvest.py\n" in every.stdout
    one = run("upload", "--", "--size-mib", "64")
    assert one.returncode == 0
    assert one.stdout.splitlines() == ["== bench/upload.py", "bench/upload.py --size-mib 64"]
    missing = run("nope")
    assert (
        missing.returncode == 2
        and "no benchmark named 'nope'" in missing.stderr
        and "upload" in missing.stderr
    )
