from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from storage.models import Bucket


class RecordState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class WithdrawalReason(models.TextChoices):
    """Why a record was withdrawn (shown on its tombstone)."""

    OUT_OF_SCOPE = "out_of_scope", _("Out of scope")
    DUPLICATE = "duplicate", _("Duplicate")
    LEGAL = "legal", _("Copyright or legal")
    PERSONAL_DATA = "personal_data", _("Personal data")
    SPAM = "spam", _("Spam")
    OTHER = "other", _("Other")


class WithdrawnBy(models.TextChoices):
    """The role that removed a record (never a person)."""

    OWNER = "owner", _("At the request of the uploader")
    STAFF = "staff", _("By the repository staff")


class RecordQuerySet(models.QuerySet):
    def published(self):
        return self.filter(state=RecordState.PUBLISHED)

    def public(self):
        """Records with a public landing page or tombstone (everything but drafts)."""
        return self.exclude(state=RecordState.DRAFT)

    def owned_by(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(owner=user) | Q(co_owners=user)).distinct()


class Record(models.Model):
    """A deposit. Its id and DOI never change; metadata is JSON validated by records/schemas/."""

    state = models.CharField(
        max_length=16, choices=RecordState.choices, default=RecordState.DRAFT, db_index=True
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="records")
    co_owners = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="co_owned_records")
    metadata = models.JSONField(default=dict, blank=True)
    schema_version = models.CharField(max_length=16, default="1.0.0")
    doi = models.CharField(max_length=255, blank=True, db_index=True)
    doi_is_external = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)  # the note shown on the tombstone
    withdrawal_category = models.CharField(max_length=16, choices=WithdrawalReason.choices, blank=True)
    withdrawn_by = models.CharField(max_length=8, choices=WithdrawnBy.choices, blank=True)
    # When the public view of the record last changed (publish, edit, withdraw, reinstate):
    # the OAI-PMH datestamp.
    datestamp = models.DateTimeField(null=True, blank=True)  # indexed with id: record_datestamp_id
    # The edit draft of a published record: staged metadata, applied by publish or dropped by
    # discard_edit. None while no edit draft is open. Drafts (state=draft) edit ``metadata`` itself.
    draft_metadata = models.JSONField(null=True, blank=True)
    edit_started_at = models.DateTimeField(null=True, blank=True)
    # Community slugs the depositor asked to be included in (``/uploads/new/?community=<slug>``
    # and the form's community field). The curation app reads it when the record is published.
    requested_communities = models.JSONField(default=list, blank=True)
    # Denormalised for search (records/search.py): plain text of title, creators, keywords and
    # description; on PostgreSQL also a weighted tsvector with a GIN index (migration 0003).
    search_text = models.TextField(blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)
    # The record's files. "+": storage has no relation back to records (it knows only the audit subject).
    bucket = models.OneToOneField("storage.Bucket", null=True, on_delete=models.PROTECT, related_name="+")

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["doi"], condition=~Q(doi=""), name="record_doi_unique"),
        ]
        indexes = [
            models.Index(fields=["datestamp", "id"], name="record_datestamp_id"),
            # the sitemaps page through published records by id, reading id and datestamp only
            models.Index(
                fields=["id", "datestamp"], condition=Q(state="published"), name="record_published_id_stamp"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pk}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("records:detail", args=[self.pk])

    @property
    def title(self) -> str:
        return self.metadata.get("title") or gettext("(untitled)")

    @property
    def creators_display(self) -> str:
        names = [c.get("name", "") for c in self.metadata.get("creators", [])]
        if len(names) > 3:
            return "; ".join(names[:3]) + "; et al."
        return "; ".join(names)

    @property
    def publication_date(self) -> str:
        return self.metadata.get("publication_date", "")

    @property
    def access_right(self) -> str:
        return self.metadata.get("access_right", "open")

    @property
    def working_metadata(self) -> dict:
        """The metadata the owner edits: the edit draft's if one is open, else the record's own."""
        if self.draft_metadata is not None:
            return self.draft_metadata
        return self.metadata

    @property
    def public_metadata(self) -> dict:
        """The published metadata without private fields (the contact e-mail)."""
        return public_metadata(self.metadata)

    @property
    def year(self) -> str:
        return (self.publication_date or "")[:4]

    @property
    def license_id(self) -> str:
        return self.metadata.get("license", "")

    @property
    def resource_type(self) -> str:
        return (self.metadata.get("resource_type") or {}).get("type", "")

    @property
    def resource_subtype(self) -> str:
        return (self.metadata.get("resource_type") or {}).get("subtype", "")

    def has_edit_draft(self) -> bool:
        return self.draft_metadata is not None

    def is_public(self) -> bool:
        return self.state == RecordState.PUBLISHED

    def is_draft(self) -> bool:
        return self.state == RecordState.DRAFT

    def is_published(self) -> bool:
        return self.state == RecordState.PUBLISHED

    def is_withdrawn(self) -> bool:
        return self.state == RecordState.WITHDRAWN

    def can_view(self, user) -> bool:
        """Drafts are private to owners and staff; published and withdrawn records are public pages."""
        if self.state != RecordState.DRAFT:
            return True
        return bool(user.is_authenticated and (user.is_staff or self.is_owner(user)))

    def embargo_lifted(self, today=None) -> bool:
        end = self.metadata.get("embargo_date")
        today = today or timezone.localdate()
        return bool(end) and end <= today.isoformat()

    def can_access_files(self, user) -> bool:
        """Open files are public; embargoed ones once the date passes; restricted/closed: owners and staff."""
        if self.state == RecordState.WITHDRAWN:  # preserved, but downloadable by staff only
            return bool(user.is_authenticated and user.is_staff)
        if user.is_authenticated and (user.is_staff or self.is_owner(user)):
            return True
        if self.state != RecordState.PUBLISHED:
            return False
        if self.access_right == "open":
            return True
        if self.access_right == "embargoed":
            return self.embargo_lifted()
        return False

    def files_are_public(self) -> bool:
        """Whether anyone, signed in or not, may download the files."""
        if self.state != RecordState.PUBLISHED:
            return False
        return self.access_right == "open" or (self.access_right == "embargoed" and self.embargo_lifted())

    def is_owner(self, user) -> bool:
        if not user.is_authenticated:
            return False
        return user.pk == self.owner_id or self.co_owners.filter(pk=user.pk).exists()

    def can_edit(self, user) -> bool:
        return bool(user.is_authenticated and (user.is_staff or self.is_owner(user)))

    def files_bucket(self) -> Bucket:
        """The storage bucket of the record's files, for the storage verbs that change or store them.

        Every record has one from its creation (``create_draft``, the demo's bulk publishing, migration
        0005 for older records); the column is nullable only because the record's row comes first.
        Without one this raises what Django raises for a missing required relation (an AttributeError).
        """
        if self.bucket is None:
            raise Record.bucket.RelatedObjectDoesNotExist(f"Record {self.pk} has no storage bucket.")
        return self.bucket


PRIVATE_FIELDS = ("contact_email",)


def public_metadata(metadata: dict) -> dict:
    return {key: value for key, value in (metadata or {}).items() if key not in PRIVATE_FIELDS}


class MetadataRevision(models.Model):
    """One published state of a record's metadata. Revision 1 is the first publication."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    metadata = models.JSONField()
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=255, blank=True)  # stored in English; see summary_display

    SUMMARIES = (
        gettext_noop("First publication"),
        gettext_noop("Edit published"),
        gettext_noop("Embargo lifted"),
    )

    class Meta:
        ordering = ["record", "-number"]
        constraints = [models.UniqueConstraint(fields=["record", "number"], name="one_revision_number")]

    def __str__(self) -> str:
        return f"{self.record_id} r{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("records:revision", args=[self.record_id, self.number])

    @property
    def title(self) -> str:
        return self.metadata.get("title") or gettext("(untitled)")

    @property
    def summary_display(self) -> str:
        """The summary in the reader's language (it is stored in English, marked with gettext_noop)."""
        return gettext(self.summary) if self.summary else ""


class RecordFacet(models.Model):
    """Denormalised facet values of a published record (resource type, year, language…) for search counts."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="facets")
    name = models.CharField(max_length=32)
    value = models.CharField(max_length=255)

    class Meta:
        indexes = [models.Index(fields=["name", "value", "record"], name="record_facet_lookup")]
        constraints = [models.UniqueConstraint(fields=["record", "name", "value"], name="one_facet_value")]

    def __str__(self) -> str:
        return f"{self.record_id} {self.name}={self.value}"


class InvitationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    REVOKED = "revoked", _("Revoked")


class CoOwnerInvitation(models.Model):
    """An owner's invitation to co-own a record, by username or e-mail; the invited user accepts."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="record_invitations",
    )
    email = models.EmailField(blank=True)
    token = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=16, choices=InvitationState.choices, default=InvitationState.PENDING)
    created = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.record_id} → {self.user or self.email}"

    def get_absolute_url(self) -> str:
        return reverse("records:invitation", args=[self.token])

    def is_for(self, user, *, token: str = "") -> bool:
        """Whether ``user`` may answer: the invited account; for an invitation by e-mail, whoever
        presents the link's secret ``token`` (it was mailed to the address) or verified the address."""
        if not user.is_authenticated:
            return False
        if self.user_id:
            return self.user_id == user.pk
        if not self.email:
            return False
        if token and constant_time_compare(token, self.token):
            return True
        return bool(user.email_verified) and self.email.lower() == (user.email or "").lower()


class CommunityRecordQuerySet(models.QuerySet):
    def current(self):
        return self.filter(removed_at__isnull=True)


class CommunityRecord(models.Model):
    """A record's membership of a community, read live by the community page and the OAI-PMH sets.

    Created by ``records.services.add_to_community`` when curation accepts a request; ``removed_at`` is set on removal (the row is
    kept so OAI-PMH can report the record as deleted within that community's set).
    """

    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="record_links"
    )
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="community_links")
    added_at = models.DateTimeField(default=timezone.now, db_index=True)
    removed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    removal_reason = models.TextField(blank=True)

    objects = CommunityRecordQuerySet.as_manager()

    class Meta:
        db_table = "communities_communityrecord"  # created by the communities app, which first held it
        constraints = [models.UniqueConstraint(fields=["community", "record"], name="one_link_per_record")]
        indexes = [models.Index(fields=["community", "removed_at", "record"], name="community_record_live")]

    def __str__(self) -> str:
        return f"{self.record_id} in {self.community_id}"

    @property
    def datestamp(self):
        """When this membership last changed (for OAI-PMH set datestamps)."""
        return self.removed_at or self.added_at


class ReviewState(models.TextChoices):
    OPEN = "open", _("Open")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class WithdrawalKind(models.TextChoices):
    REQUEST = "request", _("Owner's request")
    PROPOSAL = "proposal", _("Staff proposal")
    REPORT = "report", _("Report")


class OwnerAnswer(models.TextChoices):
    NONE = "", _("No answer yet")
    CONSENT = "consent", _("Consents")
    OBJECTION = "objection", _("Objects")


class WithdrawalRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=ReviewState.OPEN)


class WithdrawalRequest(models.Model):
    """An owner's withdrawal request, a staff proposal awaiting the owners' consent, or a report.

    Staff decide every kind at ``/staff/withdrawals/``; approving withdraws the record.
    """

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="withdrawal_requests")
    kind = models.CharField(max_length=16, choices=WithdrawalKind.choices, db_index=True)
    state = models.CharField(
        max_length=16, choices=ReviewState.choices, default=ReviewState.OPEN, db_index=True
    )
    reason = models.CharField(max_length=16, choices=WithdrawalReason.choices, default=WithdrawalReason.OTHER)
    note = models.TextField()  # the owner's justification, the staff's note or the reporter's text
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now, db_index=True)
    # proposals: the owners' answer and its deadline
    deadline = models.DateTimeField(null=True, blank=True)
    deadline_passed = models.BooleanField(default=False)
    answer = models.CharField(max_length=16, choices=OwnerAnswer.choices, blank=True, default="")
    answer_note = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    # the staff decision
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    objects = WithdrawalRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.record_id})"

    def get_absolute_url(self) -> str:
        return reverse("staff:withdrawal", args=[self.pk])

    def is_open(self) -> bool:
        return self.state == ReviewState.OPEN

    def awaiting_answer(self) -> bool:
        return (
            self.kind == WithdrawalKind.PROPOSAL
            and self.is_open()
            and not self.answer
            and not self.deadline_passed
        )


class QuotaRequest(models.Model):
    """An owner asks for more room than ``RECORD_QUOTA_BYTES`` on one record; staff decide."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="quota_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    amount_bytes = models.BigIntegerField()
    reason = models.TextField()
    state = models.CharField(
        max_length=16, choices=ReviewState.choices, default=ReviewState.OPEN, db_index=True
    )
    created = models.DateTimeField(default=timezone.now, db_index=True)
    granted_bytes = models.BigIntegerField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"quota #{self.pk} ({self.record_id})"

    def is_open(self) -> bool:
        return self.state == ReviewState.OPEN

    def current_bytes(self) -> int | None:
        """The record's present limit (its bucket's, or RECORD_QUOTA_BYTES)."""
        bucket = self.record.bucket
        return bucket.limits[0] if bucket is not None else None
