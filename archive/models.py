"""Archival packages of records: BagIt bags (RFC 8493) kept in the archive location.

- ``Bag``: one bag of one record, made when its published state changed (``datestamp``).
- ``BagEntry``: one file of a bag (a tag file or a payload file) and the stored object holding its
  bytes. Payload objects are shared by checksum between bags: an unchanged file is stored once.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Bag(models.Model):
    record = models.ForeignKey("records.Record", on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    # The record's datestamp when it was bagged: a newer datestamp calls for a new bag.
    datestamp = models.DateTimeField(null=True, blank=True)
    doi = models.CharField(max_length=255, blank=True)
    payload_bytes = models.BigIntegerField(default=0)
    payload_files = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["record", "-created", "-id"]
        indexes = [models.Index(fields=["record", "-datestamp"], name="bag_record_datestamp")]
        verbose_name = _("bag")

    def __str__(self) -> str:
        return f"bag {self.pk} of record {self.record_id} ({self.created:%Y-%m-%d %H:%M})"

    @property
    def payload_oxum(self) -> str:
        return f"{self.payload_bytes}.{self.payload_files}"


class BagEntry(models.Model):
    bag = models.ForeignKey(Bag, on_delete=models.CASCADE, related_name="entries")
    name = models.CharField(max_length=1100, help_text=_("Path inside the bag, e.g. data/table.csv."))
    instance = models.ForeignKey("storage.FileInstance", on_delete=models.PROTECT, related_name="+")
    payload = models.BooleanField(default=False)

    class Meta:
        ordering = ["bag", "name"]
        constraints = [models.UniqueConstraint(fields=["bag", "name"], name="one_bag_entry_per_name")]

    def __str__(self) -> str:
        return f"{self.bag_id}:{self.name}"
