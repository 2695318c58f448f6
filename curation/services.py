"""Curation verbs (INTERFACES.md): request_inclusion, invite, comment, accept, decline, cancel, remove.

Each is atomic, writes one audit entry on the request, records inbox notifications and queues
their e-mails after the commit. Decisions lock the request row (``select_for_update``) and check
its state under the lock, so two curators deciding at once give exactly one transition; the other
gets ``AlreadyDecided``.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Actor, User
from audit.services import audit
from communities.models import Community
from curation import tasks
from curation.models import (
    Comment,
    Event,
    InclusionRequest,
    Notification,
    NotificationKind,
    RequestKind,
    RequestState,
)
from curation.rules import overall_status, run_checks
from curation.text import plain_excerpt, sanitize_comment
from records import services as records_services
from records.models import CommunityRecord, Record


class CurationError(Exception):
    """A user's request the rules do not allow; ``message`` says why, ``status`` is the HTTP status."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(CurationError):
    status = 403


class NotFound(CurationError):
    status = 404


class AlreadyDecided(CurationError):
    status = 409


# --- Lookups --------------------------------------------------------------------------------------


def accepted_communities(record: Record) -> list[Community]:
    """The communities ``record`` is currently in (live memberships), by title."""
    return list(
        Community.objects.filter(record_links__record=record, record_links__removed_at__isnull=True).order_by(
            "title"
        )
    )


def requestable_communities(user: Actor, record: Record | None = None) -> list[Community]:
    """Communities ``user`` may ask to include ``record`` in (the deposit and edit forms' choices).

    Those the user can see, minus those the record is already in or waiting for.
    """
    qs = Community.objects.visible_to(user).order_by("title")
    if record is not None and record.pk:
        member = CommunityRecord.objects.current().filter(record=record).values("community_id")
        waiting = InclusionRequest.objects.open().filter(record=record).values("community_id")
        qs = qs.exclude(pk__in=member).exclude(pk__in=waiting)
    return qs


def record_community_status(record: Record) -> tuple[list[Community], list[Community]]:
    """(communities the record is in, communities it waits for), by title."""
    waiting = Community.objects.filter(
        inclusion_requests__record=record, inclusion_requests__state=RequestState.SUBMITTED
    ).order_by("title")
    return accepted_communities(record), list(waiting)


def queue_count(user: Actor) -> int:
    """Open requests (not invitations) waiting for ``user`` as a curator, over all their communities."""
    if not isinstance(user, User):
        return 0
    return InclusionRequest.objects.open().filter(kind=RequestKind.REQUEST).for_curator(user).count()


def _curators(community: Community) -> list:
    return [m.user for m in community.curators()]


def _owners(record: Record) -> list:
    return [record.owner, *record.co_owners.all()]


def _is_member(record: Record, community: Community) -> bool:
    return CommunityRecord.objects.current().filter(record=record, community=community).exists()


def _expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=settings.CURATION_EXPIRY_DAYS)


def _snapshot(req: InclusionRequest) -> dict:
    return {"state": req.state, "kind": req.kind, "record": req.record_id, "community": req.community.slug}


# --- Notifications -------------------------------------------------------------------------------


def _notify(
    users: Iterable[User], kind: str, event: str, req: InclusionRequest, actor: Actor, detail: str = ""
) -> list[Notification]:
    """Inbox entries for ``users`` (never the actor), and their e-mails queued after the commit."""
    actor_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    seen, rows = set(), []
    for user in users:
        if user is None or user.pk in seen or user.pk == actor_id or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                user=user, kind=kind, event=event, request=req, actor_id=actor_id, detail=detail[:2000]
            )
        )
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created]
    if ids:
        transaction.on_commit(lambda: [tasks.send_notification_email.delay(pk) for pk in ids])
    return created


# --- Checks ----------------------------------------------------------------------------------------


def _apply_checks(req: InclusionRequest) -> None:
    results = run_checks(req.record, req.community)
    req.checks = [r.as_json() for r in results]
    req.checks_status = overall_status(results)
    req.checks_run_at = timezone.now()


def refresh_checks(actor: Actor, req: InclusionRequest) -> InclusionRequest:
    """Run the community's checks again on the record as it is now (after an edit, or a rule change)."""
    if not (req.is_curator(actor) or req.is_record_owner(actor)):
        raise NotAllowed(_("Only the community's curators and the record's owners can run the checks again."))
    with transaction.atomic():
        locked = (
            InclusionRequest.objects.select_for_update().select_related("record", "community").get(pk=req.pk)
        )
        before = {"checks_status": locked.checks_status}
        _apply_checks(locked)
        locked.save(update_fields=["checks", "checks_status", "checks_run_at"])
        audit(actor, "recheck", locked, before=before, after={"checks_status": locked.checks_status})
    return locked


# --- Opening requests ------------------------------------------------------------------------------


def _require_published(record: Record) -> None:
    if not record.is_published():
        raise CurationError(_("Only a published record can be included in a community."))


def _open_request(record: Record, community: Community) -> InclusionRequest | None:
    return InclusionRequest.objects.open().filter(record=record, community=community).first()


def _create(actor: User, record: Record, community: Community, kind: str) -> InclusionRequest:
    req = InclusionRequest(
        record=record, community=community, kind=kind, created_by=actor, expires_at=_expiry()
    )
    _apply_checks(req)
    try:
        with transaction.atomic():
            req.save()
    except IntegrityError:
        # Someone opened the same request a moment ago (the one-open-request constraint).
        existing = _open_request(record, community)
        if existing is None:
            raise
        raise CurationError(_("There is already an open request for this record in this community."))
    return req


def request_inclusion(
    actor: User, record: Record, community: Community, *, message: str = ""
) -> InclusionRequest:
    """The record's owner asks ``community`` to include ``record``; its curators are told.

    Someone else's record (or a community the actor cannot see) raises NotFound: to them it does not exist.
    """
    if not record.is_owner(actor) or not community.is_visible_to(actor):
        raise NotFound(_("No such record or community."))
    _require_published(record)
    if _is_member(record, community):
        raise CurationError(_("This record is already in %(community)s.") % {"community": community.title})
    existing = _open_request(record, community)
    if existing is not None:
        if existing.kind == RequestKind.INVITATION:
            raise CurationError(
                _("%(community)s has already invited this record: accept the invitation instead.")
                % {"community": community.title}
            )
        raise CurationError(
            _("This record already waits for a decision by %(community)s.") % {"community": community.title}
        )
    with transaction.atomic():
        req = _create(actor, record, community, RequestKind.REQUEST)
        if message.strip():
            _add_comment(actor, req, message)
        audit(actor, "request_inclusion", req, after=_snapshot(req))
        _notify(
            _curators(community),
            NotificationKind.REQUEST_NEW,
            Event.SUBMITTED,
            req,
            actor,
            plain_excerpt(message),
        )
    return req


def invite(actor: User, record: Record, community: Community, *, message: str = "") -> InclusionRequest:
    """A curator invites an existing published record; its owners accept or decline."""
    if not community.is_curator(actor):
        raise NotAllowed(_("Only the community's owners and curators can invite records."))
    if not record.is_published():
        raise NotFound(_("No published record has this id."))
    if _is_member(record, community):
        raise CurationError(_("This record is already in %(community)s.") % {"community": community.title})
    existing = _open_request(record, community)
    if existing is not None:
        if existing.kind == RequestKind.REQUEST:
            raise CurationError(_("The record's owner has already asked to join: decide on that request."))
        raise CurationError(_("This record has already been invited and the owner has not answered yet."))
    with transaction.atomic():
        req = _create(actor, record, community, RequestKind.INVITATION)
        if message.strip():
            _add_comment(actor, req, message)
        audit(actor, "invite", req, after=_snapshot(req))
        _notify(
            _owners(record),
            NotificationKind.REQUEST_INVITATION,
            Event.INVITED,
            req,
            actor,
            plain_excerpt(message),
        )
    return req


# --- Conversation --------------------------------------------------------------------------------


def _add_comment(actor: User, req: InclusionRequest, body: str) -> Comment:
    clean = sanitize_comment(body)
    if not plain_excerpt(clean):
        raise CurationError(_("Write a message first."))
    return Comment.objects.create(request=req, author=actor, body=clean)


def comment(actor: User, req: InclusionRequest, body: str) -> Comment:
    """Add to the conversation; the other side (and fellow curators or co-owners) are told."""
    curator, owner = req.is_curator(actor), req.is_record_owner(actor)
    if not (curator or owner):
        raise NotAllowed(
            _("Only the record's owners and the community's curators take part in this conversation.")
        )
    with transaction.atomic():
        note = _add_comment(actor, req, body)
        audit(actor, "comment", req, after={"comment": note.pk})
        recipients = _curators(req.community) + _owners(req.record)
        _notify(
            recipients,
            NotificationKind.REQUEST_COMMENT,
            Event.COMMENTED,
            req,
            actor,
            plain_excerpt(note.body),
        )
    return note


# --- Decisions ------------------------------------------------------------------------------------


def _already_message(state: str) -> str:
    messages: dict[str, str] = {
        RequestState.ACCEPTED: _("This request has already been decided: it was accepted."),
        RequestState.DECLINED: _("This request has already been decided: it was declined."),
        RequestState.CANCELLED: _("This request has already been decided: it was cancelled."),
        RequestState.EXPIRED: _("This request has already been decided: it expired."),
        RequestState.REMOVED: _(
            "This request has already been decided: the record was accepted and later removed."
        ),
    }
    return messages.get(state, _("This request has already been decided."))


def _lock_open(req: InclusionRequest) -> InclusionRequest:
    locked = InclusionRequest.objects.select_for_update().get(pk=req.pk)
    if locked.state != RequestState.SUBMITTED:
        raise AlreadyDecided(_already_message(locked.state))
    locked.record, locked.community = req.record, req.community
    return locked


def _decision_recipients(req: InclusionRequest) -> list:
    """Who hears about a decision: the owners of a request's record, or the curators of an invitation."""
    return _owners(req.record) if req.deciders_are_curators() else _curators(req.community)


def _close(locked: InclusionRequest, actor: Actor, state: str, reason: str = "") -> dict:
    before = _snapshot(locked)
    locked.state = state
    locked.decided_at = timezone.now()
    locked.decided_by = actor if isinstance(actor, User) else None
    locked.reason = reason
    locked.save(update_fields=["state", "decided_at", "decided_by", "reason"])
    return before


def accept(actor: Actor, req: InclusionRequest) -> InclusionRequest:
    """Accept: the record is in the community (page and OAI-PMH set) from this commit on."""
    if not req.can_decide(actor):
        raise NotAllowed(_("You cannot decide on this request."))
    with transaction.atomic():
        locked = _lock_open(req)
        if not locked.record.is_published():
            raise CurationError(_("The record is no longer published, so it cannot be accepted."))
        before = _close(locked, actor, RequestState.ACCEPTED)
        records_services.add_to_community(locked.record, locked.community)
        audit(actor, "accept", locked, before=before, after=_snapshot(locked))
        _notify(
            _decision_recipients(locked), NotificationKind.REQUEST_DECISION, Event.ACCEPTED, locked, actor
        )
    return locked


def decline(actor: Actor, req: InclusionRequest, reason: str = "") -> InclusionRequest:
    """Decline with a reason (required from curators; it is shown to the owner). The record stays public."""
    if not req.can_decide(actor):
        raise NotAllowed(_("You cannot decide on this request."))
    reason = (reason or "").strip()
    if req.deciders_are_curators() and not reason:
        raise CurationError(_("Give a reason for declining: the record's owner will see it."))
    with transaction.atomic():
        locked = _lock_open(req)
        before = _close(locked, actor, RequestState.DECLINED, reason)
        audit(actor, "decline", locked, before=before, after=_snapshot(locked), reason=reason)
        _notify(
            _decision_recipients(locked),
            NotificationKind.REQUEST_DECISION,
            Event.DECLINED,
            locked,
            actor,
            reason,
        )
    return locked


def cancel(actor: Actor, req: InclusionRequest, reason: str = "") -> InclusionRequest:
    """The side that opened the request takes it back (the owner a request, a curator an invitation)."""
    if not req.can_cancel(actor):
        raise NotAllowed(_("Only the side that opened this request can cancel it."))
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = _lock_open(req)
        before = _close(locked, actor, RequestState.CANCELLED, reason)
        audit(actor, "cancel", locked, before=before, after=_snapshot(locked), reason=reason)
        other_side = _curators(locked.community) if locked.deciders_are_curators() else _owners(locked.record)
        _notify(other_side, NotificationKind.REQUEST_DECISION, Event.CANCELLED, locked, actor, reason)
    return locked


def remove(actor: Actor, req: InclusionRequest, reason: str) -> InclusionRequest:
    """Take an accepted record out of the community again (revocation); the reason is shown to its owner."""
    if not req.is_curator(actor):
        raise NotAllowed(_("Only the community's owners and curators can remove records."))
    reason = (reason or "").strip()
    if not reason:
        raise CurationError(_("Give a reason for the removal: the record's owner will see it."))
    with transaction.atomic():
        locked = InclusionRequest.objects.select_for_update().get(pk=req.pk)
        if locked.state != RequestState.ACCEPTED:
            if locked.state == RequestState.REMOVED:
                raise AlreadyDecided(_("This record has already been removed from the community."))
            raise CurationError(_("Only an accepted record can be removed from the community."))
        locked.record, locked.community = req.record, req.community
        before = _snapshot(locked)
        locked.state = RequestState.REMOVED
        locked.reason = reason
        locked.save(update_fields=["state", "reason"])
        records_services.remove_from_community(locked.record, locked.community, reason)
        audit(actor, "remove", locked, before=before, after=_snapshot(locked), reason=reason)
        _notify(
            _owners(locked.record), NotificationKind.REQUEST_DECISION, Event.REMOVED, locked, actor, reason
        )
    return locked


# --- Bulk decisions --------------------------------------------------------------------------------


@dataclass
class BulkOutcome:
    done: list[InclusionRequest] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def bulk_decide(
    actor: Actor, community: Community, ids: Iterable[int], action: str, reason: str = ""
) -> BulkOutcome:
    """Accept or decline several requests of ``community``; each is its own transaction.

    Requests already decided (or not of this community) are reported in ``skipped``, with the reason.
    """
    if not community.is_curator(actor):
        raise NotAllowed(_("Only the community's owners and curators can decide on its requests."))
    if action not in ("accept", "decline"):
        raise CurationError(_("Choose accept or decline."))
    if action == "decline" and not (reason or "").strip():
        raise CurationError(_("Give a reason for declining: the records' owners will see it."))
    outcome = BulkOutcome()
    wanted = []
    for value in ids:
        try:
            wanted.append(int(value))
        except (TypeError, ValueError):
            raise CurationError(_("“%(value)s” is not a request number.") % {"value": value})
    requests = {
        r.pk: r
        for r in InclusionRequest.objects.filter(pk__in=wanted, community=community).select_related(
            "record", "community"
        )
    }
    for pk in dict.fromkeys(wanted):
        req = requests.get(pk)
        if req is None:
            outcome.skipped.append((pk, _("Not a request of this community.")))
            continue
        try:
            done = accept(actor, req) if action == "accept" else decline(actor, req, reason)
        except CurationError as exc:
            outcome.skipped.append((pk, exc.message))
        else:
            outcome.done.append(done)
    return outcome


# --- Expiry ----------------------------------------------------------------------------------------


def requests_due(now: dt.datetime | None = None) -> QuerySet[InclusionRequest]:
    return InclusionRequest.objects.open().filter(expires_at__lte=now or timezone.now())


def expire(req: InclusionRequest, now: dt.datetime | None = None) -> bool:
    """Close a request nobody decided on in time; both sides are told. False if not due (or decided)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            InclusionRequest.objects.select_for_update()
            .select_related("record", "community")
            .filter(pk=req.pk, state=RequestState.SUBMITTED, expires_at__lte=now)
            .first()
        )
        if locked is None:
            return False
        before = _close(locked, None, RequestState.EXPIRED)
        audit(None, "expire", locked, before=before, after=_snapshot(locked))
        days = str(settings.CURATION_EXPIRY_DAYS)
        _notify(
            _owners(locked.record) + _curators(locked.community),
            NotificationKind.REQUEST_EXPIRED,
            Event.EXPIRED,
            locked,
            None,
            days,
        )
    return True


# --- Publishing with requested communities ---------------------------------------------------------


@dataclass
class CheckPreview:
    """A community the record is about to be sent to, and its policy checks as they stand now."""

    community: Community
    checks: list
    status: str


def preview_checks(record: Record) -> list[CheckPreview]:
    """The checks the curators of each community the depositor chose will see, run now on the
    metadata about to be published (the publish confirmation shows them before the depositor submits)."""
    slugs = list(record.requested_communities or [])
    if not slugs:
        return []
    working = copy.copy(record)  # the rules read ``metadata``: give them the draft's
    working.metadata = record.working_metadata
    previews = []
    for community in Community.objects.filter(slug__in=slugs).order_by("title"):
        if _is_member(record, community):
            continue
        results = run_checks(working, community)
        previews.append(CheckPreview(community, results, overall_status(results)))
    return previews


def publish_record(record: Record, actor: Actor, *, declaration_accepted: bool = False) -> Record:
    """Publish (the records verb) and open the inclusion requests the depositor asked for, atomically.

    The publish faces (deposit form, native API) call this: records knows nothing of curation.
    """
    with transaction.atomic():
        record = records_services.publish(record, actor, declaration_accepted=declaration_accepted)
        open_requested(record, actor)
    return record


def open_requested(record: Record, actor: Actor) -> list[InclusionRequest]:
    """After a publish, inside its transaction.

    Opens a request for each community the depositor chose (``record.requested_communities``),
    unless the record is already in it or waits for it, then empties that list: it is a queue of
    wishes, and the requests (with their outcomes) are what the landing page shows from then on.
    Open requests about the record get their checks run again on the new metadata.
    """
    created, kept = [], []
    slugs = list(record.requested_communities or [])
    # The wish is the owner's (made in the deposit form), also when staff press publish.
    requester = actor if isinstance(actor, User) and record.is_owner(actor) else record.owner
    for community in Community.objects.filter(slug__in=slugs):
        if _is_member(record, community) or _open_request(record, community) is not None:
            continue
        try:
            created.append(request_inclusion(requester, record, community))
        except CurationError:
            kept.append(community.slug)  # e.g. a restricted community: left for the owner to see
    if slugs != kept:
        type(record).objects.filter(pk=record.pk).update(requested_communities=kept)
        record.requested_communities = kept
    for req in InclusionRequest.objects.open().filter(record=record).exclude(pk__in=[r.pk for r in created]):
        req.record = record
        _apply_checks(req)
        req.save(update_fields=["checks", "checks_status", "checks_run_at"])
    return created
