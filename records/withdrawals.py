"""Withdrawal requests, staff proposals with the owners' consent, reports, and quota requests.

The people's side of ``services.withdraw`` / ``services.reinstate``: owners ask for a withdrawal
(with a justification), staff propose one and ask the owners to consent or object within
``WITHDRAWAL_CONSENT_DAYS``, anyone reports a record; staff decide each at ``/staff/withdrawals/``.
For legal takedowns and spam staff withdraw at once. Owners ask for more room on a record; staff
grant it (up to ``QUOTA_REQUEST_MAX_BYTES``) through ``storage.services.set_quota``.

Every verb is atomic, audited, and tells the people concerned by e-mail after the commit.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services as accounts_services
from accounts.models import Actor, User
from audit.services import audit
from mail.services import queue_email
from records import allowances, services
from records.models import (
    OwnerAnswer,
    QuotaRequest,
    Record,
    RecordState,
    ReviewState,
    WithdrawalKind,
    WithdrawalReason,
    WithdrawalRequest,
    WithdrawnBy,
)
from storage import services as storage_services
from storage.sizes import format_size

# staff may withdraw at once, without asking the owners, only for these reasons
IMMEDIATE_REASONS = (WithdrawalReason.LEGAL, WithdrawalReason.SPAM)


def _user_or_none(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def owner_addresses(record: Record) -> list[str]:
    addresses = [record.owner.email, *record.co_owners.values_list("email", flat=True)]
    return [a for a in dict.fromkeys(addresses) if a]


def _record_url(record: Record) -> str:
    return settings.SITE_URL + record.get_absolute_url()


def _withdrawal_page(record: Record) -> str:
    return settings.SITE_URL + reverse("records:withdrawal", args=[record.pk])


def _staff_url(name: str, *args: object) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def _tell_owners(record: Record, subject: str, body: str) -> None:
    queue_email(owner_addresses(record), subject, body)


def _tell_staff(subject: str, body: str) -> None:
    queue_email(list(settings.STAFF_EMAILS), subject, body)


def _lock_item(item: WithdrawalRequest) -> WithdrawalRequest:
    return WithdrawalRequest.objects.select_for_update().select_related("record").get(pk=item.pk)


def _require_published(record: Record) -> None:
    if record.state == RecordState.WITHDRAWN:
        raise services.InvalidState(_("This record has already been withdrawn."))
    if record.state != RecordState.PUBLISHED:
        raise services.InvalidState(_("Only a published record can be withdrawn."))


def _require_reason(reason: str) -> None:
    if reason not in WithdrawalReason.values:
        raise services.RecordError(_("Choose a reason for the withdrawal from the list."))


# --- Owners' requests, staff proposals, reports --------------------------------------------------


def request_withdrawal(record: Record, actor: User, justification: str) -> WithdrawalRequest:
    """An owner asks the staff to withdraw their record, with a justification."""
    justification = (justification or "").strip()
    if not record.is_owner(actor):
        raise services.RecordError(_("Only the record's owners can request its withdrawal."))
    if not justification:
        raise services.RecordError(_("Explain why the record should be withdrawn."))
    with transaction.atomic():
        _require_published(Record.objects.select_for_update().get(pk=record.pk))
        if record.withdrawal_requests.open().filter(kind=WithdrawalKind.REQUEST).exists():
            raise services.InvalidState(_("A withdrawal request for this record is already waiting."))
        item = WithdrawalRequest.objects.create(
            record=record, kind=WithdrawalKind.REQUEST, note=justification, created_by=actor
        )
        audit(actor, "request_withdrawal", record, after={"request": item.pk}, reason=justification)
        _tell_staff(
            _("Withdrawal requested: %(title)s") % {"title": record.title},
            _("%(name)s asks to withdraw “%(title)s”.\n\nJustification:\n%(note)s\n\nDecide: %(url)s\n")
            % {
                "name": actor.display_name,
                "title": record.title,
                "note": justification,
                "url": _staff_url("staff:withdrawal", item.pk),
            },
        )
    return item


def propose_withdrawal(record: Record, actor: Actor, reason: str, note: str) -> WithdrawalRequest:
    """Staff propose to withdraw a record and ask its owners to consent or object by a deadline."""
    note = (note or "").strip()
    _require_reason(reason)
    if not note:
        raise services.RecordError(_("Explain the proposal: the owners read this note."))
    with transaction.atomic():
        _require_published(Record.objects.select_for_update().get(pk=record.pk))
        deadline = timezone.now() + dt.timedelta(days=settings.WITHDRAWAL_CONSENT_DAYS)
        item = WithdrawalRequest.objects.create(
            record=record,
            kind=WithdrawalKind.PROPOSAL,
            reason=reason,
            note=note,
            created_by=_user_or_none(actor),
            deadline=deadline,
        )
        audit(
            actor, "propose_withdrawal", record, after={"proposal": item.pk, "category": reason}, reason=note
        )
        _tell_owners(
            record,
            _("We propose to withdraw your record “%(title)s”") % {"title": record.title},
            _(
                "The repository staff propose to withdraw your record “%(title)s” (%(record_url)s).\n\n"
                "Reason: %(reason)s\n%(note)s\n\n"
                "Please consent or object by %(deadline)s: %(url)s\n"
            )
            % {
                "title": record.title,
                "record_url": _record_url(record),
                "reason": WithdrawalReason(reason).label,
                "note": note,
                "deadline": deadline.strftime("%Y-%m-%d"),
                "url": _withdrawal_page(record),
            },
        )
    return item


def answer_proposal(item: WithdrawalRequest, actor: User, answer: str, note: str = "") -> WithdrawalRequest:
    """An owner consents to, or objects to, a staff proposal (until the staff decide)."""
    if answer not in (OwnerAnswer.CONSENT, OwnerAnswer.OBJECTION):
        raise services.RecordError(_("Answer with consent or objection."))
    with transaction.atomic():
        item = _lock_item(item)
        if item.kind != WithdrawalKind.PROPOSAL or not item.record.is_owner(actor):
            raise services.RecordError(_("Only the record's owners can answer this proposal."))
        if not item.is_open():
            raise services.InvalidState(_("The staff have already decided on this proposal."))
        item.answer = answer
        item.answer_note = (note or "").strip()
        item.answered_by = actor
        item.answered_at = timezone.now()
        item.save(update_fields=["answer", "answer_note", "answered_by", "answered_at"])
        audit(
            actor,
            "answer_withdrawal",
            item.record,
            after={"proposal": item.pk, "answer": answer},
            reason=note,
        )
        _tell_staff(
            _("Owner’s answer to a withdrawal proposal: %(title)s") % {"title": item.record.title},
            _("The owner %(answer)s to the withdrawal of “%(title)s”.\n%(note)s\n\nDecide: %(url)s\n")
            % {
                "answer": _("consents") if answer == OwnerAnswer.CONSENT else _("objects"),
                "title": item.record.title,
                "note": item.answer_note,
                "url": _staff_url("staff:withdrawal", item.pk),
            },
        )
    return item


def report_record(record: Record, actor: Actor, reason: str, note: str) -> WithdrawalRequest:
    """Anyone reports a record (spam, copyright, personal data…); it lands in the staff queue."""
    note = (note or "").strip()
    _require_reason(reason)
    if not note:
        raise services.RecordError(_("Describe the problem with this record."))
    if record.state != RecordState.PUBLISHED:
        raise services.InvalidState(_("Only a published record can be reported."))
    with transaction.atomic():
        item = WithdrawalRequest.objects.create(
            record=record,
            kind=WithdrawalKind.REPORT,
            reason=reason,
            note=note[:5000],
            created_by=_user_or_none(actor),
        )
        audit(
            actor, "report_record", record, after={"report": item.pk, "category": reason}, reason=note[:5000]
        )
        _tell_staff(
            _("Record reported: %(title)s") % {"title": record.title},
            _("“%(title)s” was reported (%(reason)s).\n\n%(note)s\n\nReview: %(url)s\n")
            % {
                "title": record.title,
                "reason": WithdrawalReason(reason).label,
                "note": note,
                "url": _staff_url("staff:withdrawal", item.pk),
            },
        )
    return item


# --- Staff decisions ----------------------------------------------------------------------------------


def _close(item: WithdrawalRequest, actor: Actor, state: str, note: str) -> None:
    item.state = state
    item.decided_by = _user_or_none(actor)
    item.decided_at = timezone.now()
    item.decision_note = note
    item.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])


def _tell_withdrawn(record: Record) -> None:
    _tell_owners(
        record,
        _("Your record “%(title)s” has been withdrawn") % {"title": record.title},
        _(
            "Your record “%(title)s” has been withdrawn.\n\nReason: %(reason)s\n%(note)s\n\n"
            "Its DOI and address now lead to a tombstone page: %(url)s\n"
            "Its files are preserved. Reply to this message if you have questions.\n"
        )
        % {
            "title": record.title,
            "reason": WithdrawalReason(record.withdrawal_category or WithdrawalReason.OTHER).label,
            "note": record.withdrawal_reason,
            "url": _record_url(record),
        },
    )


def approve(item: WithdrawalRequest, actor: Actor, note: str = "", reason: str | None = None) -> Record:
    """Staff approve a request, proposal or report: the record is withdrawn, its owners told.

    The tombstone shows ``note`` (by default the request's own text) and ``reason`` (by default the
    request's); an owner's request is shown as withdrawn at the uploader's request.
    """
    note = (note or "").strip()
    with transaction.atomic():
        item = _lock_item(item)
        if not item.is_open():
            raise services.InvalidState(_("This has already been decided."))
        category = reason or item.reason
        _require_reason(category)
        role = WithdrawnBy.OWNER if item.kind == WithdrawalKind.REQUEST else WithdrawnBy.STAFF
        record = services.withdraw(
            item.record, actor, note or item.note, category=category, withdrawn_by=role
        )
        _close(item, actor, ReviewState.APPROVED, note)
        others = record.withdrawal_requests.open().exclude(pk=item.pk)
        for other in others.select_for_update():
            _close(other, actor, ReviewState.APPROVED, _("Withdrawn through #%(pk)s.") % {"pk": item.pk})
        audit(actor, "approve_withdrawal", record, after={"request": item.pk, "kind": item.kind})
        _tell_withdrawn(record)
    return record


def refuse(item: WithdrawalRequest, actor: Actor, note: str) -> WithdrawalRequest:
    """Staff refuse a request, drop a proposal or dismiss a report; owners of a request or proposal are told."""
    note = (note or "").strip()
    if not note:
        raise services.RecordError(_("Give the reason for the refusal: the owner reads it."))
    with transaction.atomic():
        item = _lock_item(item)
        if not item.is_open():
            raise services.InvalidState(_("This has already been decided."))
        _close(item, actor, ReviewState.REFUSED, note)
        audit(
            actor,
            "refuse_withdrawal",
            item.record,
            after={"request": item.pk, "kind": item.kind},
            reason=note,
        )
        record = item.record
        if item.kind == WithdrawalKind.REQUEST:
            _tell_owners(
                record,
                _("Your withdrawal request for “%(title)s” was refused") % {"title": record.title},
                _("The staff refused to withdraw “%(title)s” (%(url)s).\n\n%(note)s\n")
                % {"title": record.title, "url": _record_url(record), "note": note},
            )
        elif item.kind == WithdrawalKind.PROPOSAL:
            _tell_owners(
                record,
                _("Your record “%(title)s” stays published") % {"title": record.title},
                _("The staff dropped the proposal to withdraw “%(title)s” (%(url)s).\n\n%(note)s\n")
                % {"title": record.title, "url": _record_url(record), "note": note},
            )
    return item


def withdraw_now(record: Record, actor: Actor, reason: str, note: str) -> Record:
    """Staff withdraw at once, without asking for consent: legal takedowns and spam only."""
    if reason not in IMMEDIATE_REASONS:
        raise services.RecordError(
            _(
                "Only legal takedowns and spam are withdrawn at once; propose the withdrawal to the owners instead."
            )
        )
    with transaction.atomic():
        record = services.withdraw(record, actor, note, category=reason, withdrawn_by=WithdrawnBy.STAFF)
        for other in record.withdrawal_requests.open().select_for_update():
            _close(other, actor, ReviewState.APPROVED, _("Withdrawn at once by the staff."))
        _tell_withdrawn(record)
    return record


def reinstate(record: Record, actor: Actor, note: str = "") -> Record:
    """Staff undo a withdrawal; the owners are told."""
    with transaction.atomic():
        record = services.reinstate(record, actor, (note or "").strip())
        _tell_owners(
            record,
            _("Your record “%(title)s” has been reinstated") % {"title": record.title},
            _("Your record “%(title)s” is public again: %(url)s\n")
            % {"title": record.title, "url": _record_url(record)},
        )
    return record


def mark_overdue_proposals(now: dt.datetime | None = None) -> int:
    """Proposals whose deadline passed without an answer: flagged so staff see “no answer”."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            WithdrawalRequest.objects.open()
            .select_for_update()
            .filter(kind=WithdrawalKind.PROPOSAL, answer="", deadline_passed=False, deadline__lte=now)
            .select_related("record")
        )
        for item in due:
            item.deadline_passed = True
            item.save(update_fields=["deadline_passed"])
            audit(None, "withdrawal_no_answer", item.record, after={"proposal": item.pk})
    return len(due)


def open_counts() -> dict[str, int]:
    """Open items per kind, for the staff desk."""
    counts = dict.fromkeys(WithdrawalKind.values, 0)
    for kind in WithdrawalKind.values:
        counts[kind] = WithdrawalRequest.objects.open().filter(kind=kind).count()
    counts["quota"] = QuotaRequest.objects.filter(state=ReviewState.OPEN).count()
    return counts


# --- Quota requests -------------------------------------------------------------------------------------


def current_quota(record: Record) -> int:
    return record.files_bucket().limits[0]


def request_quota(record: Record, actor: User, amount_bytes: int, reason: str) -> QuotaRequest:
    """An owner asks for ``amount_bytes`` of room on ``record`` (more than it has now)."""
    reason = (reason or "").strip()
    if not record.is_owner(actor):
        raise services.RecordError(_("Only the record's owners can ask for more room."))
    if not reason:
        raise services.RecordError(_("Explain why the record needs more room."))
    if record.is_withdrawn():
        raise services.InvalidState(_("This record has been withdrawn."))
    if amount_bytes <= current_quota(record):
        raise services.RecordError(
            _("This record may already hold %(size)s; ask for more than that.")
            % {"size": format_size(current_quota(record))}
        )
    with transaction.atomic():
        Record.objects.select_for_update().filter(pk=record.pk).first()  # one open request at a time
        if QuotaRequest.objects.filter(record=record, state=ReviewState.OPEN).exists():
            raise services.InvalidState(_("A quota request for this record is already waiting."))
        item = QuotaRequest.objects.create(
            record=record, requested_by=actor, amount_bytes=amount_bytes, reason=reason
        )
        audit(actor, "request_quota", record, after={"amount_bytes": amount_bytes}, reason=reason)
        _tell_staff(
            _("Quota request: %(title)s") % {"title": record.title},
            _("%(name)s asks for %(size)s on “%(title)s”.\n\n%(reason)s\n\nDecide: %(url)s\n")
            % {
                "name": actor.display_name,
                "size": format_size(amount_bytes),
                "title": record.title,
                "reason": reason,
                "url": _staff_url("staff:quota"),
            },
        )
    return item


def _lock_quota(item: QuotaRequest) -> QuotaRequest:
    item = (
        QuotaRequest.objects.select_for_update(of=("self",))
        .select_related("record", "record__bucket")
        .get(pk=item.pk)
    )
    if item.state != ReviewState.OPEN:
        raise services.InvalidState(_("This has already been decided."))
    return item


def approve_quota(
    item: QuotaRequest, actor: Actor, granted_bytes: int | None = None, note: str = ""
) -> QuotaRequest:
    """Staff grant up to ``QUOTA_REQUEST_MAX_BYTES`` (by default what was asked); the owner is told."""
    note = (note or "").strip()
    with transaction.atomic():
        item = _lock_quota(item)
        granted = item.amount_bytes if granted_bytes is None else granted_bytes
        ceiling = settings.QUOTA_REQUEST_MAX_BYTES
        if granted <= 0 or granted > ceiling:
            raise services.RecordError(
                _("Grant between 1 byte and %(ceiling)s.") % {"ceiling": format_size(ceiling)}
            )
        bucket = item.record.files_bucket()
        try:
            storage_services.set_quota(
                actor,
                bucket,
                max_bytes=granted,
                max_files=bucket.limits[1],
                reason=note or item.reason,
            )
        except storage_services.StorageError as exc:
            raise services.RecordError(exc.message)
        # The owner's allowance across drafts must leave room for what was granted here.
        others = allowances.draft_bytes(item.record.owner_id, except_bucket=bucket.pk)
        accounts_services.raise_draft_allowance(item.record.owner, actor, others + granted)
        item.state = ReviewState.APPROVED
        item.granted_bytes = granted
        item.decided_by = _user_or_none(actor)
        item.decided_at = timezone.now()
        item.decision_note = note
        item.save(update_fields=["state", "granted_bytes", "decided_by", "decided_at", "decision_note"])
        audit(actor, "approve_quota", item.record, after={"granted_bytes": granted}, reason=note)
        _tell_owners(
            item.record,
            _("More room for “%(title)s”") % {"title": item.record.title},
            _("The staff granted %(size)s for your record “%(title)s”.\n%(note)s\n")
            % {"size": format_size(granted), "title": item.record.title, "note": note},
        )
    return item


def refuse_quota(item: QuotaRequest, actor: Actor, note: str) -> QuotaRequest:
    note = (note or "").strip()
    if not note:
        raise services.RecordError(_("Give the reason for the refusal: the owner reads it."))
    with transaction.atomic():
        item = _lock_quota(item)
        item.state = ReviewState.REFUSED
        item.decided_by = _user_or_none(actor)
        item.decided_at = timezone.now()
        item.decision_note = note
        item.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        audit(actor, "refuse_quota", item.record, after={"request": item.pk}, reason=note)
        _tell_owners(
            item.record,
            _("Your quota request for “%(title)s” was refused") % {"title": item.record.title},
            _("The staff refused more room for “%(title)s”.\n\n%(note)s\n")
            % {"title": item.record.title, "note": note},
        )
    return item


def proposals_awaiting(record: Record) -> QuerySet[WithdrawalRequest]:
    """Open staff proposals about ``record`` (shown to its owners on the withdrawal page)."""
    return record.withdrawal_requests.open().filter(kind=WithdrawalKind.PROPOSAL)
