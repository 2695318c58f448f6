from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Community


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")
    REMOVED = "removed", _("Removed")


class RequestKind(models.TextChoices):
    REQUEST = "request", _("Request by the record's owner")
    INVITATION = "invitation", _("Invitation by a curator")


class CheckStatus(models.TextChoices):
    PASS = "pass", _("pass")
    FAIL = "fail", _("fail")
    UNKNOWN = "unknown", _("unknown")


class InclusionRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=RequestState.SUBMITTED)

    def for_curator(self, user):
        """Requests of the communities ``user`` owns or curates."""
        return self.filter(community__in=Community.objects.curated_by(user))

    def visible_to(self, user):
        """Requests about records ``user`` owns, of communities they curate; staff see all."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self
        return self.filter(
            Q(record__owner=user)
            | Q(record__co_owners=user)
            | Q(community__in=Community.objects.curated_by(user))
        ).distinct()


class InclusionRequest(models.Model):
    """A record's way into a community: asked by its owner (request) or by a curator (invitation).

    ``submitted`` → ``accepted`` | ``declined`` | ``cancelled`` | ``expired``; an accepted request
    becomes ``removed`` when the record is taken out of the community again. The live membership
    itself is ``communities.CommunityRecord``.
    """

    record = models.ForeignKey("records.Record", on_delete=models.CASCADE, related_name="inclusion_requests")
    community = models.ForeignKey(
        "communities.Community", on_delete=models.CASCADE, related_name="inclusion_requests"
    )
    kind = models.CharField(max_length=16, choices=RequestKind.choices, default=RequestKind.REQUEST)
    state = models.CharField(
        max_length=16, choices=RequestState.choices, default=RequestState.SUBMITTED, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Why it was declined, cancelled or removed: shown to the record's owner.
    reason = models.TextField(blank=True)
    # The automated policy checks: [{"key", "status", "code", "params"}] (curation/rules/).
    checks = models.JSONField(default=list, blank=True)
    checks_status = models.CharField(max_length=16, choices=CheckStatus.choices, blank=True, db_index=True)
    checks_run_at = models.DateTimeField(null=True, blank=True)

    objects = InclusionRequestQuerySet.as_manager()

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "community"], condition=Q(state="submitted"), name="one_open_request"
            ),
        ]
        indexes = [models.Index(fields=["community", "state", "created"], name="request_queue")]
        verbose_name = _("inclusion request")
        verbose_name_plural = _("inclusion requests")

    def __str__(self) -> str:
        return f"#{self.pk} {self.record_id} → {self.community_id} ({self.state})"

    def get_absolute_url(self) -> str:
        return reverse("curation:request", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state == RequestState.SUBMITTED

    @property
    def is_invitation(self) -> bool:
        return self.kind == RequestKind.INVITATION

    def is_record_owner(self, user) -> bool:
        return self.record.is_owner(user)

    def is_curator(self, user) -> bool:
        return self.community.is_curator(user)

    def can_view(self, user) -> bool:
        if not user.is_authenticated:
            return False
        return user.is_staff or self.is_curator(user) or self.is_record_owner(user)

    def deciders_are_curators(self) -> bool:
        """Requests are decided by the community's curators; invitations by the record's owners."""
        return self.kind == RequestKind.REQUEST

    def can_decide(self, user) -> bool:
        if self.deciders_are_curators():
            return self.is_curator(user)
        return self.is_record_owner(user)

    def can_cancel(self, user) -> bool:
        """The side that opened the request may take it back."""
        if self.deciders_are_curators():
            return self.is_record_owner(user)
        return self.is_curator(user)

    def age_days(self) -> int:
        return (timezone.now() - self.created).days

    def check_results(self):
        from curation.rules import CheckResult  # curation.rules imports these models

        return [CheckResult.from_json(item) for item in self.checks]


class Comment(models.Model):
    """One message in a request's conversation. ``body`` is sanitised HTML."""

    request = models.ForeignKey(InclusionRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"comment {self.pk} on #{self.request_id}"


class NotificationKind(models.TextChoices):
    # The keys of accounts.forms.NotificationForm.KINDS (the per-kind e-mail opt-out).
    REQUEST_NEW = "request_new", _("New inclusion request")
    REQUEST_COMMENT = "request_comment", _("New comment")
    REQUEST_DECISION = "request_decision", _("Decision")
    REQUEST_INVITATION = "request_invitation", _("Invitation")
    REQUEST_EXPIRED = "request_expired", _("Request expired")


class Event(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    INVITED = "invited", _("invited")
    COMMENTED = "commented", _("commented")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("expired")
    REMOVED = "removed", _("removed")


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One entry of a user's inbox; the same event is e-mailed unless the user turned that kind off."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    event = models.CharField(max_length=16, choices=Event.choices)
    request = models.ForeignKey(
        InclusionRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Text worth repeating in the message (a decision's reason, a comment's plain text).
    detail = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created"], name="inbox")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}/{self.event} #{self.request_id}"


class OrganisationKind(models.TextChoices):
    UNIVERSITY = "university", _("University or college")
    INSTITUTE = "institute", _("Research institute")
    HOSPITAL = "hospital", _("Hospital")
    COMPANY = "company", _("Company")
    OTHER = "other", _("Other")


class Organisation(models.Model):
    """An entry of the registry the affiliation check matches against (shipped, staff-editable)."""

    key = models.SlugField(_("key"), max_length=100, unique=True)
    name = models.CharField(_("name (English)"), max_length=300)
    name_sv = models.CharField(_("name (Swedish)"), max_length=300, blank=True)
    # Other full names, former names and spellings: matched anywhere in an affiliation, as whole words.
    variants = models.JSONField(_("name variants"), default=list, blank=True)
    # Acronyms and short names (KTH, KI, King): matched only as a whole part of an affiliation
    # ("Dept. of CS, KTH, Stockholm"), never inside a longer name ("King's College London").
    acronyms = models.JSONField(_("acronyms"), default=list, blank=True)
    ror = models.CharField(_("ROR id"), max_length=9, blank=True, help_text=_("e.g. 026vcq606"))
    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKind.choices)
    city = models.CharField(_("city"), max_length=100, default="Stockholm", db_index=True)
    active = models.BooleanField(_("active"), default=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def all_names(self) -> list[str]:
        return [n for n in [self.name, self.name_sv, *self.variants] if n]
