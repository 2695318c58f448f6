"""Management commands: verify_fixity and remove_stale_uploads."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from storage import services
from storage.models import Upload


def test_verify_fixity_reports_intact_and_corrupted_files(draft, depositor):
    good = services.store_bytes(draft, "good.txt", b"good", depositor)
    bad = services.store_bytes(draft, "bad.txt", b"bad", depositor)
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
    upload = services.create_upload(draft, "old.bin", 10, depositor)
    Upload.objects.filter(pk=upload.pk).update(updated=timezone.now() - dt.timedelta(hours=3))
    out = io.StringIO()
    call_command("remove_stale_uploads", stdout=out)
    assert Upload.objects.filter(pk=upload.pk).exists()
    call_command("remove_stale_uploads", "--hours", "2", stdout=out)
    assert not Upload.objects.filter(pk=upload.pk).exists()
    assert "Removed 1 unfinished upload(s)" in out.getvalue()
