"""Stored bytes, after Invenio-Files-REST's Location → Bucket → ObjectVersion → FileInstance.

- ``Location``: a named storage root from ``STORAGE_LOCATIONS`` (the first is primary).
- ``Bucket``: a set of versioned keys owned by some other object (a record), with its limits and
  whether its files may change now. Storage knows its owner only as an audit subject.
- ``FileKey``: a key (a path-like name) within a bucket; ``FileVersion`` rows give it versions.
  A version is *staged* until the bucket's owner publishes it, then *published* (numbered 1, 2, …).
  Published versions are never changed or deleted.
- ``FileInstance``: one stored byte sequence (location, path, size, MD5 and SHA-256). Never modified.
- ``Upload``: an unfinished upload (chunked or streamed) writing to its instance's final path.
- ``FileReplica``: a further copy of an instance in another location, with its state.
- ``FixityCheck``: one check (or repair) of one copy; every check is kept.
"""

from __future__ import annotations

import posixpath
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import Subject
from storage.backends import StorageBackend, backend_for


class Location(models.Model):
    """A storage root named in ``STORAGE_LOCATIONS``; rows are kept in step by ``sync_locations``."""

    name = models.SlugField(max_length=64, unique=True)
    url = models.CharField(max_length=1024)
    is_primary = models.BooleanField(default=False)
    active = models.BooleanField(default=True, help_text=_("Named in STORAGE_LOCATIONS now."))
    # Where the copies are kept (STORAGE_LOCATION_SITES), e.g. "stockholm" or "offsite".
    site = models.CharField(max_length=64, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_primary"], condition=Q(is_primary=True), name="one_primary_location"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"

    def backend(self) -> StorageBackend:
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
    # No copy matched its checksums and none could be repaired: downloads are refused.
    damaged = models.BooleanField(default=False)
    # Claimed by a fixity sweep (set by a conditional update); cleared when the check is done.
    fixity_claimed = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["location", "path"], name="one_instance_per_path")]
        indexes = [models.Index(fields=["last_verified", "created"], name="instance_fixity_order")]

    def __str__(self) -> str:
        return f"{self.location.name}:{self.path}"

    @property
    def md5_hex(self) -> str:
        return self.md5.removeprefix("md5:")

    @property
    def etag(self) -> str:
        return f'"{self.md5_hex}"'

    @staticmethod
    def path_for(instance_id: uuid.UUID) -> str:
        hexid = instance_id.hex
        return f"{hexid[:2]}/{hexid[2:4]}/{hexid}/data"


class ReplicaState(models.TextChoices):
    PENDING = "pending", _("Pending")
    VERIFIED = "verified", _("Verified")
    DAMAGED = "damaged", _("Damaged")
    MISSING = "missing", _("Missing")


class FileReplica(models.Model):
    """A further copy of an instance in another location.

    Created ``pending`` when the instance is stored in the primary location; ``replicate`` copies the
    bytes, re-reads the copy and marks it ``verified``; fixity checks mark it ``damaged`` or ``missing``
    until it is repaired.
    """

    instance = models.ForeignKey(FileInstance, on_delete=models.CASCADE, related_name="replicas")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="replicas")
    path = models.CharField(max_length=255)
    created = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=16, choices=ReplicaState.choices, default=ReplicaState.PENDING)
    last_verified = models.DateTimeField(_("last check"), null=True, blank=True)
    verified_ok = models.BooleanField(null=True, blank=True)
    last_result = models.CharField(_("last result"), max_length=16, blank=True)
    # A pending copy claimed by one task (its id) with a conditional update; cleared when it ends.
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text=_("Failed copy attempts."))
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instance", "location"], name="one_replica_per_location")
        ]
        indexes = [models.Index(fields=["state", "created"], name="replica_state_created")]

    def __str__(self) -> str:
        return f"{self.location.name}:{self.path}"


class FixityResult(models.TextChoices):
    OK = "ok", _("Intact")
    MISMATCH = "mismatch", _("Checksum mismatch")
    MISSING = "missing", _("Missing")
    REPAIRED = "repaired", _("Repaired")
    UNREPAIRABLE = "unrepairable", _("No intact copy")
    # The location could not be read (an S3 outage): neither a failure of the copy nor a repair target.
    UNREACHABLE = "unreachable", _("Location unreachable")


class FixityCheck(models.Model):
    """One check of one copy of an instance (``replica`` empty for the primary copy), or one repair."""

    instance = models.ForeignKey(FileInstance, on_delete=models.CASCADE, related_name="fixity_checks")
    replica = models.ForeignKey(
        FileReplica, null=True, blank=True, on_delete=models.SET_NULL, related_name="fixity_checks"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="fixity_checks")
    checked_at = models.DateTimeField(default=timezone.now, db_index=True)
    algorithm = models.CharField(max_length=32, default="md5+sha256")
    expected = models.CharField(max_length=160)
    actual = models.CharField(max_length=160, blank=True)
    result = models.CharField(max_length=16, choices=FixityResult.choices)
    bytes_read = models.BigIntegerField(default=0)
    duration = models.FloatField(help_text=_("Seconds."), default=0.0)

    class Meta:
        ordering = ["checked_at", "pk"]
        indexes = [models.Index(fields=["instance", "checked_at"], name="fixity_instance_time")]

    def __str__(self) -> str:
        return f"{self.location.name}:{self.instance_id} {self.result} at {self.checked_at:%Y-%m-%d %H:%M}"


class Bucket(models.Model):
    """A set of versioned keys. Its owner (a record) locks and unlocks it and raises its limits."""

    # The owning object, for the audit trail ("records.record", "12"); storage never follows it.
    subject_type = models.CharField(max_length=64, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    # Locked buckets refuse new versions and removals; published versions never change anyway.
    locked = models.BooleanField(default=False)
    # Limits raised by staff; None means the settings' defaults (RECORD_QUOTA_BYTES, RECORD_MAX_FILES).
    max_bytes = models.BigIntegerField(_("maximum total size (bytes)"), null=True, blank=True)
    max_files = models.PositiveIntegerField(_("maximum number of files"), null=True, blank=True)
    quota_reason = models.TextField(_("reason"), blank=True)
    quota_granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="bucket_subject")]

    def __str__(self) -> str:
        return f"bucket {self.pk} ({self.subject_type}:{self.subject_id})"

    @property
    def subject(self) -> Subject | Bucket:
        """What storage's audit entries are about: the owner if named, else the bucket itself."""
        if self.subject_type:
            return Subject(self.subject_type, self.subject_id)
        return self

    @property
    def limits(self) -> tuple[int, int]:
        """(maximum bytes, maximum number of files)."""
        return (
            settings.RECORD_QUOTA_BYTES if self.max_bytes is None else self.max_bytes,
            settings.RECORD_MAX_FILES if self.max_files is None else self.max_files,
        )


class FileKey(models.Model):
    """A file key within a bucket. Its bytes are in its versions."""

    bucket = models.ForeignKey(Bucket, on_delete=models.CASCADE, related_name="keys")
    key = models.CharField(max_length=1024)
    created = models.DateTimeField(default=timezone.now)
    # Hidden from the published state (removed while unlocked, then published).
    removed = models.BooleanField(default=False)
    # The working set removes this key; applied by publish_staged, undone by discard_staged.
    remove_staged = models.BooleanField(default=False)

    class Meta:
        ordering = ["bucket", "key"]
        constraints = [models.UniqueConstraint(fields=["bucket", "key"], name="one_key_per_bucket")]

    def __str__(self) -> str:
        return f"{self.bucket_id}/{self.key}"

    @property
    def filename(self) -> str:
        return posixpath.basename(self.key)


class VersionState(models.TextChoices):
    STAGED = "staged", _("Staged")
    PUBLISHED = "published", _("Published")


class FileVersion(models.Model):
    """One version of a key. Staged versions carry no number; publishing numbers them 1, 2, …"""

    file = models.ForeignKey(FileKey, on_delete=models.CASCADE, related_name="versions")
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
    bucket = models.ForeignKey(Bucket, on_delete=models.CASCADE, related_name="uploads")
    key = models.CharField(max_length=1024)
    size = models.BigIntegerField(help_text=_("Declared size in bytes."))
    offset = models.BigIntegerField(default=0, help_text=_("Bytes received and stored so far."))
    # MD5 and SHA-256 of the first ``offset`` bytes, as resumable states (``storage.hashstate``):
    # whichever process takes the next chunk continues them, and the finish reads nothing back.
    hash_state = models.BinaryField(null=True, editable=False)
    # The backend's own note on how to continue (``UploadSession.state``; S3: the multipart upload).
    backend_state = models.TextField(blank=True, default="", editable=False)
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
        return f"upload {self.id} {self.bucket_id}/{self.key} {self.offset}/{self.size}"
