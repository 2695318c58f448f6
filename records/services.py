"""Record verbs (INTERFACES.md): every state change of a record happens here.

Each verb is atomic, writes an audit entry, and queues its own follow-up work (DOI registration,
e-mail) with ``transaction.on_commit``. Views, APIs, commands and tasks call these; none of them
saves a Record itself. The record's files are its storage bucket, driven through storage's verbs.

Each record owns a storage bucket (``record.bucket``), driven through storage verbs inside the
transaction: staged files are published or discarded with the record, and the bucket is unlocked
only while a draft or edit draft is open.

Nothing here calls up into curation or OAI-PMH: a verb that changes what harvesters see moves the
record's ``datestamp``, and OAI-PMH finds stale payloads by it; the publish faces ask curation to
open the inclusion requests the depositor chose (``curation.services.publish_record``).
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
from collections.abc import Callable, Iterable

from celery import Task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import Actor, User
from accounts.services import find_user
from audit.services import audit
from communities.models import Community
from identifiers import DOI_RE
from mail.services import queue_email
from previews import services as preview_services
from records import allowances, tasks
from records.access import get_record_for_user  # noqa: F401  (re-exported for callers of the verbs)
from records.doi import get_provider
from records.models import (
    CommunityRecord,
    CoOwnerInvitation,
    InvitationState,
    MetadataRevision,
    Record,
    RecordState,
    WithdrawalReason,
    WithdrawnBy,
)
from records.search import index_record
from records.validation import REFUSED_CODES, FieldError, clean_metadata, normalize_doi, validate_metadata
from storage import services as storage_services
from storage.models import Bucket


class RecordError(Exception):
    """A user's request the record's state or the rules do not allow; the message says why."""

    status = 400

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class InvalidMetadata(RecordError):
    pass


class InvalidState(RecordError):
    status = 409


class DraftLimitReached(RecordError):
    """The owner already has ``USER_MAX_OPEN_DRAFTS`` drafts not yet published."""

    status = 409


def draft_limit_problem(user: User) -> str | None:
    """Why the user may not start another draft (``USER_MAX_OPEN_DRAFTS`` unpublished drafts), or None."""
    limit = settings.USER_MAX_OPEN_DRAFTS
    count = Record.objects.filter(owner=user, state=RecordState.DRAFT).count()
    if count < limit:
        return None
    return _(
        "You already have %(count)s unpublished drafts; the limit is %(limit)s. Publish or delete "
        "a draft before starting another."
    ) % {"count": count, "limit": limit}


def _check_open_drafts(user: User) -> None:
    """Refuse another draft past ``USER_MAX_OPEN_DRAFTS`` (locks the user's row: call it inside the
    transaction that creates the draft, so two requests cannot both take the last place)."""
    allowances.lock_user(user.pk)
    problem = draft_limit_problem(user)
    if problem:
        raise DraftLimitReached(problem)


def _lock(record: Record) -> Record:
    return Record.objects.select_for_update().get(pk=record.pk)


def _sync(target: Record, source: Record) -> Record:
    """Copy the locked row's fields onto the caller's instance so both agree after a verb."""
    for field in Record._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    return target


def _mark_public_view_changed(record_id: int) -> None:
    """Something outside the metadata that harvesters see changed (a community membership, so the
    record's OAI-PMH setSpecs): a new datestamp, by which OAI-PMH finds its payloads stale."""
    Record.objects.filter(pk=record_id).exclude(state=RecordState.DRAFT).update(datestamp=timezone.now())


def _after_commit_doi(record: Record, task: Task) -> None:
    if record.doi_is_external or not record.doi:
        return
    record_id = record.pk
    transaction.on_commit(lambda: task.delay(record_id))


BUCKET_SUBJECT = "records.record"  # storage's audit entries about a record's files point at the record


def _files(verb: Callable[[Bucket, Actor], None], bucket: Bucket, actor: Actor) -> None:
    """Run a storage verb on a record's bucket; its refusals become RecordErrors."""
    if bucket is None:
        raise ValueError("a record without a bucket has no files to change")
    try:
        verb(bucket, actor)
    except storage_services.StorageError as exc:
        raise RecordError(exc.message)


# DataCite's test prefix: never a real DOI of someone else's work.
DATACITE_TEST_PREFIX = "10.5072"


def _check_external_doi(record: Record, value: str) -> str:
    doi = normalize_doi(value)
    if not DOI_RE.match(doi):
        raise InvalidMetadata(
            _("The DOI is not valid."),
            [FieldError(("doi",), _("Enter a DOI such as 10.1234/abc.5678."), "format")],
        )
    prefix = doi.split("/", 1)[0].lower()
    if prefix in {settings.DOI_PREFIX.lower(), DATACITE_TEST_PREFIX}:
        raise InvalidMetadata(
            _("This DOI prefix is reserved."),
            [
                FieldError(
                    ("doi",),
                    _(
                        "DOIs under %(prefix)s are minted by this repository when a record is published: leave the DOI empty."
                    )
                    % {"prefix": prefix},
                    "reserved",
                )
            ],
        )
    if Record.objects.filter(doi__iexact=doi).exclude(pk=record.pk).exists():
        raise InvalidMetadata(
            _("The DOI is already used."),
            [FieldError(("doi",), _("Another record already has this DOI."), "duplicate")],
        )
    return doi


def _refuse_oversized(errors: list[FieldError]) -> None:
    """Too many items or too deep: never stored, not even in a draft kept as typed."""
    oversized = [e for e in errors if e.code in REFUSED_CODES]
    if oversized:
        raise InvalidMetadata(_("The metadata is too large: nothing was saved."), oversized)


def _clean_communities(slugs: Iterable[str] | None) -> list[str]:
    wanted = [s for s in dict.fromkeys(slugs or []) if s]
    known = set(Community.objects.filter(slug__in=wanted).values_list("slug", flat=True))
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise InvalidMetadata(
            _("Unknown community."),
            [
                FieldError(
                    ("communities",), _("There is no community “%(slug)s”.") % {"slug": unknown[0]}, "choice"
                )
            ],
        )
    return wanted


# --- Drafts ---------------------------------------------------------------------------------------


def create_draft(
    actor: User,
    metadata: dict | None = None,
    *,
    communities: Iterable[str] | None = None,
    external_doi: str | None = None,
    keep_invalid: bool = False,
) -> Record:
    """A new draft owned by ``actor``. Missing fields are fine; invalid ones raise InvalidMetadata
    unless ``keep_invalid`` (the web form keeps the draft as typed and shows the errors)."""
    cleaned = clean_metadata(metadata or {})
    errors = validate_metadata(cleaned, complete=False)
    if errors and not keep_invalid:
        raise InvalidMetadata(_("The metadata has errors."), errors)
    _refuse_oversized(errors)
    requested = _clean_communities(communities)
    with transaction.atomic():
        _check_open_drafts(actor)
        record = Record.objects.create(owner=actor, metadata=cleaned, requested_communities=requested)
        record.bucket = storage_services.create_bucket(BUCKET_SUBJECT, str(record.pk))
        record.save(update_fields=["bucket"])
        if external_doi:
            record.doi = _check_external_doi(record, external_doi)
            record.doi_is_external = True
            record.save(update_fields=["doi", "doi_is_external"])
        audit(actor, "create_draft", record, after={"metadata": cleaned, "communities": requested})
    return record


def update_metadata(
    record: Record,
    actor: Actor,
    metadata: dict,
    *,
    communities: Iterable[str] | None = None,
    external_doi: str | None = None,
    keep_invalid: bool = False,
) -> list[FieldError]:
    """Replace the draft's (or the open edit draft's) metadata; returns the remaining problems.

    ``external_doi``: None leaves it, "" removes it (drafts only: a published DOI never changes).
    """
    cleaned = clean_metadata(metadata)
    errors = validate_metadata(cleaned, complete=False)
    if errors and not keep_invalid:
        raise InvalidMetadata(_("The metadata has errors."), errors)
    _refuse_oversized(errors)
    with transaction.atomic():
        locked = _lock(record)
        fields = ["updated"]
        if locked.state == RecordState.DRAFT:
            before, locked.metadata = locked.metadata, cleaned
            fields.append("metadata")
            if external_doi is not None:
                locked.doi = _check_external_doi(locked, external_doi) if external_doi else ""
                locked.doi_is_external = bool(locked.doi)
                fields += ["doi", "doi_is_external"]
        elif locked.state == RecordState.PUBLISHED and locked.draft_metadata is not None:
            before, locked.draft_metadata = locked.draft_metadata, cleaned
            fields.append("draft_metadata")
        elif locked.state == RecordState.PUBLISHED:
            raise InvalidState(_("This record is published: open an edit draft to change it."))
        else:
            raise InvalidState(_("This record has been withdrawn and cannot be edited."))
        if communities is not None:
            locked.requested_communities = _clean_communities(communities)
            fields.append("requested_communities")
        locked.save(update_fields=fields)
        audit(actor, "update_metadata", locked, before={"metadata": before}, after={"metadata": cleaned})
    _sync(record, locked)
    return errors


def delete_draft(record: Record, actor: Actor) -> None:
    """Remove a never-published draft (published records are kept for good)."""
    with transaction.atomic():
        locked = _lock(record)
        if locked.state != RecordState.DRAFT:
            raise InvalidState(_("Only an unpublished draft can be deleted."))
        audit(actor, "delete_draft", locked, before={"metadata": locked.metadata})
        bucket = locked.files_bucket()
        locked.delete()
        _files(storage_services.delete_bucket, bucket, actor)


# --- Publishing and edit drafts ----------------------------------------------------------------------


def _add_revision(record: Record, actor: Actor, summary: str) -> MetadataRevision:
    last = record.revisions.aggregate(n=Max("number"))["n"] or 0
    return MetadataRevision.objects.create(
        record=record,
        number=last + 1,
        metadata=record.metadata,
        created_by=_user_or_none(actor),
        summary=summary,
    )


def _user_or_none(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def publish(record: Record, actor: Actor, *, declaration_accepted: bool = False) -> Record:
    """Publish a draft (mints its DOI) or apply an open edit draft as a new metadata revision."""
    with transaction.atomic():
        locked = _lock(record)
        if locked.state == RecordState.DRAFT:
            _publish_draft(locked, actor, declaration_accepted)
        elif locked.state == RecordState.PUBLISHED and locked.draft_metadata is not None:
            _publish_edit(locked, actor, declaration_accepted)
        elif locked.state == RecordState.PUBLISHED:
            raise InvalidState(_("This record is already published and has no edit draft to publish."))
        else:
            raise InvalidState(_("This record has been withdrawn and cannot be published."))
    return _sync(record, locked)


def _require_complete(metadata: dict) -> None:
    errors = validate_metadata(metadata, complete=True)
    if errors:
        raise InvalidMetadata(_("Fix the errors below before publishing."), errors)


def _release_squatted_doi(record: Record, actor: Actor) -> None:
    """A draft that claimed this repository's DOI as "external" (possible before such claims were
    refused) loses the claim: the DOI belongs to the record it was minted for."""
    squatters = Record.objects.select_for_update().filter(
        doi__iexact=record.doi, doi_is_external=True, state=RecordState.DRAFT
    )
    for squatter in squatters.exclude(pk=record.pk):
        before = squatter.doi
        squatter.doi, squatter.doi_is_external = "", False
        squatter.save(update_fields=["doi", "doi_is_external", "updated"])
        audit(actor, "release_doi", squatter, before={"doi": before}, after={"doi": ""})


def _publish_draft(record: Record, actor: Actor, declaration_accepted: bool) -> None:
    _require_complete(record.metadata)
    now = timezone.now()
    if not record.doi:
        record.doi = get_provider().doi_for(record)
        record.doi_is_external = False
        _release_squatted_doi(record, actor)
    record.state = RecordState.PUBLISHED
    record.published_at = record.datestamp = now
    try:
        with transaction.atomic():
            record.save(
                update_fields=["doi", "doi_is_external", "state", "published_at", "datestamp", "updated"]
            )
    except IntegrityError:
        raise InvalidMetadata(
            _("The DOI is already used."), [FieldError(("doi",), _("Another record already has this DOI."))]
        )
    revision = _add_revision(record, actor, gettext_noop("First publication"))
    bucket = record.files_bucket()
    _files(storage_services.publish_staged, bucket, actor)
    storage_services.lock_bucket(bucket)
    preview_services.schedule_bucket_previews(bucket.pk)
    index_record(record)
    audit(
        actor,
        "publish",
        record,
        before={"state": RecordState.DRAFT},
        after={
            "state": RecordState.PUBLISHED,
            "doi": record.doi,
            "revision": revision.number,
            "declaration_accepted": declaration_accepted,
        },
    )
    _after_commit_doi(record, tasks.register_doi)


def _publish_edit(record: Record, actor: Actor, declaration_accepted: bool) -> None:
    _require_complete(record.draft_metadata or {})
    before = record.metadata
    record.metadata = record.draft_metadata
    record.draft_metadata = None
    record.edit_started_at = None
    record.datestamp = timezone.now()
    record.save(update_fields=["metadata", "draft_metadata", "edit_started_at", "datestamp", "updated"])
    revision = _add_revision(record, actor, gettext_noop("Edit published"))
    bucket = record.files_bucket()
    _files(storage_services.publish_staged, bucket, actor)
    storage_services.lock_bucket(bucket)
    preview_services.schedule_bucket_previews(bucket.pk)
    index_record(record)
    audit(
        actor,
        "publish",
        record,
        before={"metadata": before},
        after={
            "metadata": record.metadata,
            "revision": revision.number,
            "declaration_accepted": declaration_accepted,
        },
    )
    _after_commit_doi(record, tasks.update_doi)


def open_edit(record: Record, actor: Actor) -> Record:
    """Open (or return the already open) edit draft of a published record."""
    with transaction.atomic():
        locked = _lock(record)
        if locked.state != RecordState.PUBLISHED:
            raise InvalidState(_("Only a published record has an edit draft."))
        if locked.draft_metadata is None:
            locked.draft_metadata = copy.deepcopy(locked.metadata)
            locked.edit_started_at = timezone.now()
            locked.save(update_fields=["draft_metadata", "edit_started_at", "updated"])
            storage_services.unlock_bucket(locked.files_bucket())
            audit(actor, "open_edit", locked)
    return _sync(record, locked)


def discard_edit(record: Record, actor: Actor) -> Record:
    """Drop the edit draft: staged metadata and (via storage) staged file changes."""
    with transaction.atomic():
        locked = _lock(record)
        if locked.draft_metadata is None:
            raise InvalidState(_("There is no edit draft to discard."))
        staged = locked.draft_metadata
        locked.draft_metadata = None
        locked.edit_started_at = None
        locked.save(update_fields=["draft_metadata", "edit_started_at", "updated"])
        bucket = locked.files_bucket()
        _files(storage_services.discard_staged, bucket, actor)
        storage_services.lock_bucket(bucket)
        audit(actor, "discard_edit", locked, before={"metadata": staged})
    return _sync(record, locked)


# --- Withdrawal -------------------------------------------------------------------------------------


def withdraw(
    record: Record,
    actor: Actor,
    reason: str,
    *,
    category: str = WithdrawalReason.OTHER,
    withdrawn_by: str | None = None,
) -> Record:
    """Replace the landing page by a tombstone showing ``reason`` (the note) and ``category`` (from
    the vocabulary); record, files, id and DOI are kept. ``withdrawn_by`` is the role shown on the
    tombstone (owner or staff; by default the actor's)."""
    reason = (reason or "").strip()
    if not reason:
        raise RecordError(_("Give the reason for the withdrawal: it is shown on the tombstone page."))
    if category not in WithdrawalReason.values:
        raise RecordError(_("Choose a reason for the withdrawal from the list."))
    if withdrawn_by is None:
        withdrawn_by = WithdrawnBy.STAFF if getattr(actor, "is_staff", False) else WithdrawnBy.OWNER
    with transaction.atomic():
        locked = _lock(record)
        if locked.state == RecordState.WITHDRAWN:
            raise InvalidState(_("This record has already been withdrawn."))
        if locked.state != RecordState.PUBLISHED:
            raise InvalidState(_("Only a published record can be withdrawn."))
        now = timezone.now()
        locked.state = RecordState.WITHDRAWN
        locked.withdrawn_at = locked.datestamp = now
        locked.withdrawal_reason = reason
        locked.withdrawal_category = category
        locked.withdrawn_by = withdrawn_by
        locked.save(
            update_fields=[
                "state",
                "withdrawn_at",
                "datestamp",
                "withdrawal_reason",
                "withdrawal_category",
                "withdrawn_by",
                "updated",
            ]
        )
        storage_services.lock_bucket(locked.files_bucket())  # an open edit draft's files are frozen too
        index_record(locked)
        audit(
            actor,
            "withdraw",
            locked,
            before={"state": RecordState.PUBLISHED},
            after={"state": RecordState.WITHDRAWN, "category": category, "withdrawn_by": withdrawn_by},
            reason=reason,
        )
        _after_commit_doi(locked, tasks.update_doi)
    return _sync(record, locked)


def reinstate(record: Record, actor: Actor, reason: str = "") -> Record:
    with transaction.atomic():
        locked = _lock(record)
        if locked.state != RecordState.WITHDRAWN:
            raise InvalidState(_("Only a withdrawn record can be reinstated; this one is not withdrawn."))
        previous_reason = locked.withdrawal_reason
        previous_category = locked.withdrawal_category
        locked.state = RecordState.PUBLISHED
        locked.withdrawn_at = None
        locked.withdrawal_reason = locked.withdrawal_category = locked.withdrawn_by = ""
        locked.datestamp = timezone.now()
        locked.save(
            update_fields=[
                "state",
                "withdrawn_at",
                "withdrawal_reason",
                "withdrawal_category",
                "withdrawn_by",
                "datestamp",
                "updated",
            ]
        )
        if locked.draft_metadata is not None:
            storage_services.unlock_bucket(locked.files_bucket())
        index_record(locked)
        audit(
            actor,
            "reinstate",
            locked,
            before={"state": RecordState.WITHDRAWN, "reason": previous_reason, "category": previous_category},
            after={"state": RecordState.PUBLISHED},
            reason=reason,
        )
        _after_commit_doi(locked, tasks.update_doi)
    return _sync(record, locked)


# --- Embargoes --------------------------------------------------------------------------------------


def embargoes_due(today: dt.date | None = None) -> QuerySet[Record]:
    today = today or timezone.localdate()
    return Record.objects.published().filter(
        metadata__access_right="embargoed", metadata__embargo_date__lte=today.isoformat()
    )


def lift_embargo(record: Record, actor: Actor = None, today: dt.date | None = None) -> bool:
    """Open an embargoed record's files once its end date has come (a new revision). False if not due."""
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock(record)
        meta = locked.metadata
        if (
            locked.state != RecordState.PUBLISHED
            or meta.get("access_right") != "embargoed"
            or (meta.get("embargo_date") or "9999") > today.isoformat()
        ):
            return False
        locked.metadata = {**meta, "access_right": "open"}
        fields = ["metadata", "datestamp", "updated"]
        if locked.draft_metadata and locked.draft_metadata.get("access_right") == "embargoed":
            locked.draft_metadata = {**locked.draft_metadata, "access_right": "open"}
            fields.append("draft_metadata")
        locked.datestamp = timezone.now()
        locked.save(update_fields=fields)
        _add_revision(locked, actor, gettext_noop("Embargo lifted"))
        index_record(locked)
        audit(
            actor,
            "lift_embargo",
            locked,
            before={"access_right": "embargoed"},
            after={"access_right": "open", "embargo_date": meta.get("embargo_date")},
        )
        _after_commit_doi(locked, tasks.update_doi)
    _sync(record, locked)
    return True


# --- Co-owners ----------------------------------------------------------------------------------------


def invite_co_owner(record: Record, actor: User, who: str) -> CoOwnerInvitation:
    """Invite a user (by username or e-mail address) to co-own ``record``; they accept by a link."""
    who = (who or "").strip()
    if not who:
        raise RecordError(_("Enter a username or an e-mail address."))
    if not record.is_owner(actor):
        raise RecordError(_("Only the record's owners can invite co-owners."))
    # a username, or an address its owner verified; any other address gets an invitation bound to
    # whoever follows the link mailed to it, never to an account that merely shows the address
    user = find_user(who)
    if user is None and "@" not in who:
        raise RecordError(_("There is no user “%(who)s”.") % {"who": who})
    if user is not None and record.is_owner(user):
        raise RecordError(_("%(who)s already owns this record.") % {"who": user.username})
    with transaction.atomic():
        pending = record.invitations.filter(state=InvitationState.PENDING)
        invitation = (pending.filter(user=user) if user else pending.filter(email__iexact=who)).first()
        if invitation is None:
            invitation = CoOwnerInvitation.objects.create(
                record=record,
                invited_by=actor,
                user=user,
                email="" if user else who,
                token=secrets.token_urlsafe(32),
            )
            audit(actor, "invite_co_owner", record, after={"invited": user.username if user else who})
        address = user.email if user else who
        url = settings.SITE_URL + invitation.get_absolute_url()
        subject = _("%(name)s invites you to co-own a record") % {"name": actor.display_name}
        body = _("%(name)s invites you to co-own the record “%(title)s”.\n\nAccept or decline: %(url)s\n") % {
            "name": actor.display_name,
            "title": record.working_metadata.get("title", ""),
            "url": url,
        }
        queue_email([address], subject, body)
    return invitation


def accept_invitation(invitation: CoOwnerInvitation, user: User, *, token: str = "") -> Record:
    """``user`` accepts. An invitation by e-mail needs ``token``, the secret of the link mailed to the
    address (or an account that verified that address): the link is the proof, not a profile field."""
    with transaction.atomic():
        invitation = CoOwnerInvitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.state != InvitationState.PENDING:
            raise InvalidState(_("This invitation has already been answered or revoked."))
        if not invitation.is_for(user, token=token):
            raise RecordError(_("This invitation is for someone else."))
        invitation.state = InvitationState.ACCEPTED
        invitation.answered_at = timezone.now()
        invitation.user = user
        invitation.save(update_fields=["state", "answered_at", "user"])
        record = invitation.record
        if user.pk != record.owner_id:
            record.co_owners.add(user)
        audit(user, "accept_co_owner", record, after={"co_owner": user.username})
    return record


def decline_invitation(invitation: CoOwnerInvitation, user: User, *, token: str = "") -> None:
    with transaction.atomic():
        invitation = CoOwnerInvitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.state != InvitationState.PENDING:
            raise InvalidState(_("This invitation has already been answered or revoked."))
        if not invitation.is_for(user, token=token):
            raise RecordError(_("This invitation is for someone else."))
        invitation.state = InvitationState.DECLINED
        invitation.answered_at = timezone.now()
        invitation.save(update_fields=["state", "answered_at"])
        audit(user, "decline_co_owner", invitation.record, after={"declined": user.username})


def change_owner(record: Record, actor: Actor, new_owner: User) -> Record:
    """Staff hand a record to another account (the uploader left, say); the previous owner keeps nothing."""
    if actor is None or not actor.is_staff:
        raise RecordError(_("Only staff can change a record's owner."))
    with transaction.atomic():
        locked = _lock(record)
        previous = locked.owner
        if previous.pk == new_owner.pk:
            return _sync(record, locked)
        locked.owner = new_owner
        locked.save(update_fields=["owner", "updated"])
        locked.co_owners.remove(new_owner)
        audit(
            actor,
            "change_owner",
            locked,
            before={"owner": previous.username},
            after={"owner": new_owner.username},
        )
    return _sync(record, locked)


def remove_co_owner(record: Record, actor: Actor, user: User) -> None:
    if not (record.is_owner(actor) or (actor is not None and actor.is_staff)):
        raise RecordError(_("Only the record's owners can remove co-owners."))
    if user.pk == record.owner_id:
        raise RecordError(_("The uploader cannot be removed."))
    with transaction.atomic():
        record.co_owners.remove(user)
        audit(actor, "remove_co_owner", record, before={"co_owner": user.username})


# --- Community memberships (decided by curation) --------------------------------------------------------


def add_to_community(record: Record, community: Community) -> CommunityRecord:
    """The record is in ``community`` (its page and OAI-PMH set) from this commit on.

    Called inside the deciding verb's transaction (curation's ``accept``), which writes the audit entry.
    """
    link, created = CommunityRecord.objects.select_for_update().get_or_create(
        community=community, record=record
    )
    if not created:
        link.added_at = timezone.now()
        link.removed_at = None
        link.removal_reason = ""
        link.save(update_fields=["added_at", "removed_at", "removal_reason"])
    _mark_public_view_changed(record.pk)
    return link


def remove_from_community(record: Record, community: Community, reason: str) -> int:
    """Take the record out of ``community``; the row stays so OAI-PMH reports it deleted in that set."""
    removed = CommunityRecord.objects.filter(
        community=community, record=record, removed_at__isnull=True
    ).update(removed_at=timezone.now(), removal_reason=reason)
    _mark_public_view_changed(record.pk)
    return removed
