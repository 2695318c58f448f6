"""Fetch-plus-permission for records: the one helper every page, API view and download uses."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from records.models import Record


def get_record_for_user(user, pk, *, write: bool = False) -> Record:
    """The record ``pk`` if ``user`` may see it (write: edit it); 404 otherwise, also for drafts.

    Someone else's draft or edit draft is indistinguishable from a record that does not exist, and a
    record a user may see but not change answers the same 404 to a write as one that does not exist.
    """
    record = get_object_or_404(Record.objects.select_related("owner", "bucket"), pk=pk)
    if not record.can_view(user):
        raise Http404
    if write and not record.can_edit(user):
        raise Http404
    return record
