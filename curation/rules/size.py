"""Size: the record's files fit within the community's size limit (``Community.size_limit_bytes``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from curation.models import CheckStatus
from curation.rules.base import Rule, RuleSettingsForm, register
from storage import services as storage_services


def record_files_size(record) -> int | None:
    """The total size of the record's current files, or None while storage cannot tell (a size missing)."""
    total = 0
    for item in storage_services.current_files(record.bucket):
        size = getattr(item, "size", None)
        if size is None and isinstance(item, dict):
            size = item.get("size")
        if size is None:
            return None
        total += int(size)
    return total


def files_sizes(records: list) -> dict[int, int | None]:
    """``record_files_size`` of many records at once, by bucket id, in a fixed number of queries."""
    files = storage_services.published_files_by_bucket(r.bucket_id for r in records if r.bucket_id)
    sizes: dict[int, int | None] = {}
    for bucket_id, items in files.items():
        each = [version.instance.size for _key, version, _history in items]
        sizes[bucket_id] = None if None in each else sum(int(size) for size in each)
    return sizes


class SizeForm(RuleSettingsForm):
    enabled = forms.BooleanField(
        label=_("Check the size limit"),
        required=False,
        help_text=_("The limit is the community's size limit above."),
    )


@register
class SizeRule(Rule):
    key = "size"
    label = _("Size")
    help = _("The record's files fit within the community's size limit.")
    defaults: dict = {}
    form_class = SizeForm
    order = 40
    reasons = {
        "size.ok": _("The files total %(size)s, within the limit of %(limit)s."),
        "size.no_limit": _("The files total %(size)s; the community sets no limit."),
        "size.too_big": _("The files total %(size)s, more than the limit of %(limit)s."),
        "size.unavailable": _("The files' sizes are not available."),
    }

    def prefetch(self, records, community, params):
        return files_sizes(records)

    def run(self, record, community, params):
        sizes = self.prefetched()
        if isinstance(sizes, dict) and record.bucket_id in sizes:
            size = sizes[record.bucket_id]
        else:
            size = record_files_size(record)
        if size is None:
            return self.result(CheckStatus.UNKNOWN, "size.unavailable")
        limit = community.size_limit_bytes
        if not limit:
            return self.result(CheckStatus.PASS, "size.no_limit", size=size)
        if size > limit:
            return self.result(CheckStatus.FAIL, "size.too_big", size=size, limit=limit)
        return self.result(CheckStatus.PASS, "size.ok", size=size, limit=limit)
