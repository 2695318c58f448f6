"""What the worker learnt about a stored file: the columns of a table, for Croissant RecordSets."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class FileProfile(models.Model):
    """The columns (name and Croissant data type) of one stored byte sequence, read from its first rows.

    Keyed by the storage instance: bytes never change, so a profile is computed once however many
    records or versions share them. ``columns`` is empty when the file could not be read as a table
    (``error`` says why), so the worker does not try again.
    """

    instance = models.OneToOneField("storage.FileInstance", on_delete=models.CASCADE, related_name="+")
    format = models.CharField(max_length=16)  # "csv", "tsv", "parquet", "jsonl"
    columns = models.JSONField(default=list, blank=True)  # [{"name": ..., "type": "sc:Integer"}, ...]
    error = models.CharField(max_length=255, blank=True)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.instance_id} ({self.format}, {len(self.columns)} columns)"
