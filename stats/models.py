"""Usage events as they happen and their daily sums (COUNTER Release 5.1).

Records are named by id only: this app sits below records and knows nothing of them.
"""

from django.db import models
from django.utils import timezone


class EventKind(models.TextChoices):
    VIEW = "v", "view"  # a landing page: an investigation
    DOWNLOAD = "d", "download"  # a file: a request (and an investigation)


class Event(models.Model):
    """One counted request, written once by the request (one small insert), summed by the worker.

    ``session`` is a salted hash (the day's salt, ``DailySalt``) of the user-session: the session
    cookie, else the address and user agent. No address is ever stored; the salt is dropped after a
    day, so no hash can be traced back once the day is over."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=1, choices=EventKind.choices)
    record_id = models.BigIntegerField()
    file_key = models.CharField(max_length=1024, blank=True)
    session = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.record_id}"


class DailySalt(models.Model):
    """The day's random salt of the session hashes, dropped after a day."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64)

    def __str__(self) -> str:
        return str(self.day)


class DailyStat(models.Model):
    """One record's counts on one day (UTC), by the COUNTER rules (robots out, double clicks once).

    Investigations are views plus downloads; requests are downloads. Uniques count user-sessions:
    one per session and hour (COUNTER's unique item metrics)."""

    record_id = models.BigIntegerField()
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)
    unique_views = models.PositiveIntegerField(default=0)
    downloads = models.PositiveIntegerField(default=0)
    unique_downloads = models.PositiveIntegerField(default=0)
    unique_investigations = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record_id", "day"], name="one_stat_per_record_day")]

    def __str__(self) -> str:
        return f"{self.record_id} {self.day}"
