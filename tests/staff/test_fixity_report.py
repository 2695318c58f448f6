"""The fixity report (/staff/fixity/): staff only; checks per day as an inline SVG chart, copies per file
and per location (removed locations included), damaged files with their history, unchecked files."""

from __future__ import annotations

import datetime as dt
import re

from django.test import Client
from django.utils import timezone

from previews.models import PreviewObject
from records import services as records
from storage import services as storage
from storage.models import FileInstance, FixityCheck, FixityResult, Location
from tests.staff.conftest import DATA


def _check(instance, days_ago, result, location="primary", **extra):
    return FixityCheck.objects.create(
        instance=instance,
        location=Location.objects.get(name=location),
        checked_at=timezone.now() - dt.timedelta(days=days_ago),
        expected=f"{instance.md5} {instance.sha256} size:{instance.size}",
        actual=extra.pop("actual", ""),
        result=result,
    )


def test_only_staff_see_the_fixity_report(client_for, staff, depositor, curator):
    anonymous = Client().get("/staff/fixity/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    for user in (depositor, curator):
        assert client_for(user).get("/staff/fixity/").status_code == 403
    response = client_for(staff).get("/staff/fixity/")
    assert response.status_code == 200 and "Fixity report" in response.content.decode()
    assert client_for(staff).post("/staff/fixity/").status_code == 405


def test_the_report_counts_checks_copies_locations_and_lists_damaged_and_unchecked_files(
    client_for, staff, depositor, published, settings, django_capture_on_commit_callbacks
):
    settings.FIXITY_REPORT_DAYS = 30
    settings.FIXITY_CYCLE_DAYS = 30
    # the published table's preview is a stored instance too: this report is about the table alone
    derived = list(PreviewObject.objects.values_list("instance_id", flat=True))
    PreviewObject.objects.all().delete()
    FileInstance.objects.filter(pk__in=derived).delete()
    [intact] = FileInstance.objects.all()  # the published file: copied to the replica, checked after upload
    assert intact.replicas.get().state == "verified"
    draft = records.create_draft(depositor, {"title": "Second"})
    with django_capture_on_commit_callbacks(execute=False):  # stored, never copied nor checked
        unchecked = storage.store_bytes(draft.bucket, "raw/never.csv", DATA, depositor).instance
    with django_capture_on_commit_callbacks(execute=True):
        ruined = storage.store_bytes(draft.bucket, "ruined.csv", DATA + b"x", depositor).instance
        stale = storage.store_bytes(draft.bucket, "old.csv", DATA + b"y", depositor).instance
    assert unchecked.replicas.get().state == "pending" and unchecked.last_verified is None
    FileInstance.objects.filter(pk=stale.pk).update(last_verified=timezone.now() - dt.timedelta(days=40))
    FixityCheck.objects.all().delete()
    _check(intact, 0, FixityResult.OK)
    _check(intact, 0, FixityResult.OK, "replica")
    _check(intact, 2, FixityResult.MISMATCH, actual="md5:bad sha256:bad size:19")
    _check(intact, 2, FixityResult.REPAIRED)
    _check(intact, 40, FixityResult.OK)  # before the report's window
    _check(ruined, 1, FixityResult.MISMATCH, actual="md5:rot sha256:rot size:20")
    _check(ruined, 1, FixityResult.MISSING, "replica")
    _check(ruined, 1, FixityResult.UNREPAIRABLE)
    FileInstance.objects.filter(pk=ruined.pk).update(damaged=True)
    # a location removed from the settings keeps its replicas on the report
    settings.STORAGE_LOCATIONS = [*settings.STORAGE_LOCATIONS[:1], ("offsite", "file:///nowhere/offsite")]
    settings.STORAGE_LOCATION_SITES = {"primary": "stockholm", "offsite": "uppsala"}

    response = client_for(staff).get("/staff/fixity/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "5 checks, 3 failed, 1 repairs" in body  # the last 30 days; repairs are not checks
    svg = re.search(r'<svg id="checks-chart".*?</svg>', body, re.S).group(0)
    assert len(re.findall(r'<rect class="checks"', svg)) == 30
    assert len(re.findall(r'<rect class="failures"', svg)) == 2  # two days with failures
    assert "<script" not in svg and "failed" in svg
    today = timezone.now().date().isoformat()
    assert f"<tr><td>{today}</td><td>2</td><td>0</td><td>0</td></tr>" in body
    two_days = (timezone.now() - dt.timedelta(days=2)).date().isoformat()
    assert f"<tr><td>{two_days}</td><td>1</td><td>1</td><td>1</td></tr>" in body
    # intact copies per file: ruined 0, unchecked 1 (its replica pending), intact and stale 2
    copies = re.search(r'<table class="staff-table" id="copies-per-file">.*?</table>', body, re.S).group(0)
    assert re.findall(r"<tr><td>(\d+)</td><td>(\d+)</td></tr>", copies) == [
        ("0", "1"),
        ("1", "1"),
        ("2", "2"),
    ]
    replica_row = re.search(r'<tr id="location-replica">.*?</tr>', body, re.S).group(0)
    assert "no longer configured" in replica_row
    cells = re.findall(r"<td>([^<]*)</td>", replica_row)
    assert cells == ["—", "0", "1", "3", "0", "0"]  # site, primary copies, pending/verified/damaged/missing
    primary_row = re.search(r'<tr id="location-primary">.*?</tr>', body, re.S).group(0)
    assert "stockholm" in primary_row and "no longer configured" not in primary_row
    assert re.findall(r"<td>([^<]*)</td>", primary_row)[1] == "4"
    offsite_row = re.search(r'<tr id="location-offsite">.*?</tr>', body, re.S).group(0)
    assert "uppsala" in offsite_row
    # damaged files with their history, newest first
    damaged = re.search(rf'<section class="damaged-file" id="damaged-{ruined.pk}">.*?</section>', body, re.S)
    assert "Damaged files: 1" in body and "ruined.csv" in damaged.group(0)
    assert f"records.record:{draft.pk}" in damaged.group(0)
    results = re.findall(r"<td>(No intact copy|Missing|Checksum mismatch)</td>", damaged.group(0))
    assert results == ["No intact copy", "Missing", "Checksum mismatch"]
    assert "md5:rot sha256:rot size:20" in damaged.group(0)
    assert "Never checked: 1 file" in body and "raw/never.csv" in body
    assert "Not checked within the cycle: 1 file" in body and "old.csv" in body
    swedish = client_for(staff).get("/staff/fixity/", HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert '<html lang="sv"' in swedish
    swedish_svg = re.search(r'<svg id="checks-chart".*?</svg>', swedish, re.S).group(0)
    assert re.search(r'width="\d+\.\d"', swedish_svg) and not re.search(r'="\d+,\d"', swedish_svg)
    desk = client_for(staff).get("/staff/").content.decode()
    assert '<span id="count-damaged">1</span>' in desk
