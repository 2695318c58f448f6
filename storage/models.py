"""Stored bytes and the files of records.

- ``Location``: a named storage root from ``STORAGE_LOCATIONS`` (the first is primary).
- ``FileInstance``: one stored byte sequence (location, path, size, MD5 and SHA-256). Never modified.
- ``RecordFile``: a key (a path-like name) within a record; ``FileVersion`` rows give it versions.
  A version is *staged* while the record is a draft or has an edit draft, and *published* (numbered
  1, 2, …) when the record is published. Published versions are never changed or deleted.
- ``Upload``: an unfinished upload (chunked or streamed) writing to its instance's final path.
- ``FileReplica``: a further copy of an instance in another location.
- ``RecordQuota``: a record's raised limits, granted by staff.
"""

from __future__ import annotations

import posixpath
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LocationQuerySet(models.QuerySet):
    def primary(self) -> Location:
        return self.get(is_primary=True)


class Location(models.Model):
    """A storage root named in ``STORAGE_LOCATIONS``; rows are kept in step by ``sync_locations``."""

    name = models.SlugField(max_length=64, unique=True)
    url = models.CharField(max_length=1024)
    is_primary = models.BooleanField(default=False)
    active = models.BooleanField(default=True, help_text=_("Named in STORAGE_LOCATIONS now."))
    created = models.DateTimeField(default=timezone.now)

    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_primary"], condition=Q(is_primary=True), name="one_primary_location"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"

    def backend(self):
        from storage.backends import backend_for

        return backend_for(self.url)


class FileInstance(models.Model):
    """One immutable stored byte sequence in its primary location."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="instances")
    path = models.CharField(max_length=255, help_text=_("Path relative to the location root."))
    size = models.BigIntegerField()
    md5 = models.CharField(max_length=36)  # "md5:<32 hex>"
    sha256 = models.CharField(max_length=71)  # "sha256:<64 hex>"
    created = models.DateTimeField(default=timezone.now)
    last_verified = models.DateTimeField(null=True, blank=True)
    verified_ok = models.BooleanField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["location", "path"], name="one_instance_per_path")]

    def __str__(self) -> str:
        return f"{self.location.name}:{self.path}"

    @property
    def md5_hex(self) -> str:
        return self.md5.removeprefix("md5:")

    @property
    def sha256_hex(self) -> str:
        return self.sha256.removeprefix("sha256:")

    @property
    def etag(self) -> str:
        return f'"{self.md5_hex}"'

    @staticmethod
    def path_for(instance_id: uuid.UUID) -> str:
        hexid = instance_id.hex
        return f"{hexid[:2]}/{hexid[2:4]}/{hexid}/data"


class FileReplica(models.Model):
    """A further copy of an instance in another location (``replicate``)."""

    instance = models.ForeignKey(FileInstance, on_delete=models.CASCADE, related_name="replicas")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="replicas")
    path = models.CharField(max_length=255)
    created = models.DateTimeField(default=timezone.now)
    last_verified = models.DateTimeField(null=True, blank=True)
    verified_ok = models.BooleanField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instance", "location"], name="one_replica_per_location")
        ]

    def __str__(self) -> str:
        return f"{self.location.name}:{self.path}"


class RecordFileQuerySet(models.QuerySet):
    def for_record(self, record):
        return self.filter(record=record)


class RecordFile(models.Model):
    """A file key within a record. Its bytes are in its versions."""

    record = models.ForeignKey("records.Record", on_delete=models.CASCADE, related_name="files")
    key = models.CharField(max_length=1024)
    created = models.DateTimeField(default=timezone.now)
    # Hidden from the published state (removed in an edit draft that was then published).
    removed = models.BooleanField(default=False)
    # The open draft or edit draft removes this key; applied by publish, undone by discard.
    remove_staged = models.BooleanField(default=False)

    objects = RecordFileQuerySet.as_manager()

    class Meta:
        ordering = ["record", "key"]
        constraints = [models.UniqueConstraint(fields=["record", "key"], name="one_key_per_record")]

    def __str__(self) -> str:
        return f"{self.record_id}/{self.key}"

    @property
    def filename(self) -> str:
        return posixpath.basename(self.key)

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.key)


class VersionState(models.TextChoices):
    STAGED = "staged", _("Staged")
    PUBLISHED = "published", _("Published")


class FileVersion(models.Model):
    """One version of a key. Staged versions carry no number; publishing numbers them 1, 2, …"""

    file = models.ForeignKey(RecordFile, on_delete=models.CASCADE, related_name="versions")
    instance = models.ForeignKey(FileInstance, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=VersionState.choices, default=VersionState.STAGED)
    mimetype = models.CharField(max_length=255, default="application/octet-stream")
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["file", "-number", "-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["file", "number"], condition=Q(number__isnull=False), name="one_version_number"
            ),
            # At most one staged version per key: a newer upload replaces the staged one.
            models.UniqueConstraint(fields=["file"], condition=Q(state="staged"), name="one_staged_version"),
        ]

    def __str__(self) -> str:
        label = f"v{self.number}" if self.number else "staged"
        return f"{self.file} {label}"

    def get_absolute_url(self) -> str:
        url = reverse("storage:download", args=[self.file.record_id, self.file.key])
        if self.number:
            return f"{url}?version={self.number}"
        return f"{url}?version=draft"

    @property
    def size(self) -> int:
        return self.instance.size

    @property
    def is_staged(self) -> bool:
        return self.state == VersionState.STAGED


class UploadState(models.TextChoices):
    ACTIVE = "active", _("In progress")
    FINISHING = "finishing", _("Finishing")


class Upload(models.Model):
    """An unfinished upload. Its bytes go to the future instance's final path; the row goes at finish."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    record = models.ForeignKey("records.Record", on_delete=models.CASCADE, related_name="uploads")
    key = models.CharField(max_length=1024)
    size = models.BigIntegerField(help_text=_("Declared size in bytes."))
    offset = models.BigIntegerField(default=0, help_text=_("Bytes received and stored so far."))
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="uploads")
    path = models.CharField(max_length=255)
    state = models.CharField(max_length=16, choices=UploadState.choices, default=UploadState.ACTIVE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        return f"upload {self.id} {self.record_id}/{self.key} {self.offset}/{self.size}"


class RecordQuota(models.Model):
    """Limits raised by staff for one record; without a row the settings' defaults apply."""

    record = models.OneToOneField("records.Record", on_delete=models.CASCADE, related_name="quota")
    max_bytes = models.BigIntegerField(_("maximum total size (bytes)"))
    max_files = models.PositiveIntegerField(_("maximum number of files"))
    reason = models.TextField(_("reason"), blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"quota {self.record_id}: {self.max_bytes} bytes, {self.max_files} files"
