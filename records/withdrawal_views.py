"""Owners' and readers' side of withdrawal: request a withdrawal, answer a staff proposal, report a
record, ask for more room. Staff decide at ``/staff/`` (the staff app)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import ratelimit
from records import withdrawals
from records.access import get_record_for_user
from records.forms import ProposalAnswerForm, QuotaRequestForm, ReportForm, WithdrawalRequestForm
from records.models import QuotaRequest, Record, ReviewState, WithdrawalKind
from records.services import RecordError
from storage.sizes import format_size


def _owned_record(request, pk: int) -> Record:
    """The record if the user owns it; 404 for everyone else (staff act from the staff desk)."""
    record = get_record_for_user(request.user, pk)
    if not record.is_owner(request.user):
        raise Http404
    return record


@login_required
@require_http_methods(["GET", "POST"])
def withdrawal(request, pk: int):
    """``/records/<id>/withdrawal/``: request a withdrawal, or answer the staff's proposal."""
    record = _owned_record(request, pk)
    request_form = WithdrawalRequestForm()
    answer_form = None
    status = 200
    if request.method == "POST":
        try:
            if "proposal" in request.POST:
                answer_form = ProposalAnswerForm(request.POST)
                if answer_form.is_valid():
                    item = (
                        withdrawals.proposals_awaiting(record)
                        .filter(pk=answer_form.cleaned_data["proposal"])
                        .first()
                    )
                    if item is None:
                        raise Http404
                    withdrawals.answer_proposal(
                        item,
                        request.user,
                        answer_form.cleaned_data["answer"],
                        answer_form.cleaned_data["note"],
                    )
                    messages.success(request, _("Thank you: the staff have your answer."))
                    return redirect("records:withdrawal", record.pk)
                messages.error(request, _("Choose whether you consent or object."))
            else:
                request_form = WithdrawalRequestForm(request.POST)
                if request_form.is_valid():
                    withdrawals.request_withdrawal(
                        record, request.user, request_form.cleaned_data["justification"]
                    )
                    messages.success(
                        request, _("Your request was sent to the staff; you will hear from them.")
                    )
                    return redirect("records:withdrawal", record.pk)
        except RecordError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            status = 400
    items = record.withdrawal_requests.exclude(kind=WithdrawalKind.REPORT).order_by("-created")
    context = {
        "record": record,
        "request_form": request_form,
        "answer_form": answer_form,
        "items": items,
        "pending_request": items.filter(kind=WithdrawalKind.REQUEST, state=ReviewState.OPEN).exists(),
    }
    return render(request, "records/withdrawal.html", context, status=status)


@require_http_methods(["GET", "POST"])
def report(request, pk: int):
    """``/records/<id>/report/``: anyone reports a published record to the staff."""
    record = get_record_for_user(request.user, pk)
    if not record.is_published():
        raise Http404
    form = ReportForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        limit = ratelimit.hit_ip(request, "report", settings.RATELIMIT_REPORTS)
        if limit.limited:
            messages.error(
                request,
                _("Too many reports from your address.") + " " + ratelimit.wait_text(limit.retry_after),
            )
            status = 429
        elif form.is_valid():
            try:
                withdrawals.report_record(
                    record, request.user, form.cleaned_data["reason"], form.cleaned_data["note"]
                )
            except RecordError as exc:
                messages.error(request, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Thank you: the staff will review your report."))
                return redirect(record)
        else:
            status = 400
    response = render(request, "records/report.html", {"record": record, "form": form}, status=status)
    if status == 429:
        response["Retry-After"] = str(limit.retry_after)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def quota(request, pk: int):
    """``/records/<id>/quota/``: an owner asks for more room than the record's quota."""
    record = _owned_record(request, pk)
    form = QuotaRequestForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            amount = int(form.cleaned_data["amount_gb"] * Decimal(10**9))
            try:
                withdrawals.request_quota(record, request.user, amount, form.cleaned_data["reason"])
            except RecordError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Your request was sent to the staff."))
                return redirect("records:quota", record.pk)
        else:
            status = 400
    context = {
        "record": record,
        "form": form,
        "current": format_size(withdrawals.current_quota(record)),
        "requests": QuotaRequest.objects.filter(record=record).order_by("-created"),
    }
    return render(request, "records/quota.html", context, status=status)
