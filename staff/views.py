"""The staff desk (``/staff/``): the frequent work beyond the Django admin.

Withdrawal requests, proposals and reports; tombstones and reinstatement; quota requests; the audit
log. Faces only: every change is a verb of the records app (``records.withdrawals``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from audit.models import AuditEntry
from oaipmh import services as oai_services
from records import withdrawals
from records.models import (
    QuotaRequest,
    Record,
    RecordState,
    ReviewState,
    WithdrawalKind,
    WithdrawalReason,
    WithdrawalRequest,
)
from records.services import RecordError
from staff.charts import checks_per_day
from staff.forms import (
    AuditFilterForm,
    DecisionForm,
    ProposeForm,
    QuotaDecisionForm,
    ReinstateForm,
    TombstoneFilterForm,
)
from storage.models import FileInstance
from storage.services import fixity_report

PAGE_SIZE = 50


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous users go to the login page; signed-in users who are not staff get 403."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@staff_required
@require_safe
def index(request):
    counts = withdrawals.open_counts()
    context = {
        "counts": counts,
        "tombstones": Record.objects.filter(state=RecordState.WITHDRAWN).count(),
        "damaged_files": FileInstance.objects.filter(damaged=True).count(),
        "openaire_withheld": oai_services.withheld_records(OPENAIRE_PREFIX).count(),
    }
    return render(request, "staff/index.html", context)


OPENAIRE_PREFIX = "oai_openaire"


@staff_required
@require_safe
def openaire_withheld(request):
    """Published records OAI-PMH does not disseminate in ``oai_openaire``, each with what it lacks."""
    records = oai_services.withheld_records(OPENAIRE_PREFIX).order_by("-datestamp", "-id")
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(record, oai_services.format_problems(record, OPENAIRE_PREFIX)) for record in page]
    return render(request, "staff/openaire.html", {"page": page, "rows": rows, "query_string": ""})


@staff_required
@require_http_methods(["GET", "POST"])
def withdrawal_list(request):
    """Open requests, proposals and reports (``?state=`` for decided ones) and the proposal form."""
    form = ProposeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            record = Record.objects.filter(pk=form.cleaned_data["record"]).first()
            if record is None:
                form.add_error("record", _("There is no record with this id."))
            else:
                try:
                    if form.cleaned_data["action"] == "withdraw":
                        withdrawals.withdraw_now(
                            record, request.user, form.cleaned_data["reason"], form.cleaned_data["note"]
                        )
                        messages.success(request, _("The record was withdrawn and its owners told."))
                    else:
                        withdrawals.propose_withdrawal(
                            record, request.user, form.cleaned_data["reason"], form.cleaned_data["note"]
                        )
                        messages.success(request, _("The owners were asked for their consent."))
                    return redirect("staff:withdrawals")
                except RecordError as exc:
                    form.add_error(None, exc.message)
        status = 400
    state = request.GET.get("state") or ReviewState.OPEN
    if state not in ReviewState.values:
        state = ReviewState.OPEN
    items = (
        WithdrawalRequest.objects.filter(state=state)
        .select_related("record", "created_by", "decided_by")
        .order_by("-created", "-id")
    )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "state": state,
        "states": ReviewState.choices,
        "kinds": WithdrawalKind,
    }
    return render(request, "staff/withdrawals.html", context, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def withdrawal_detail(request, pk: int):
    item = get_object_or_404(
        WithdrawalRequest.objects.select_related("record", "created_by", "answered_by", "decided_by"), pk=pk
    )
    form = DecisionForm(request.POST if request.method == "POST" else None, initial={"reason": item.reason})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if form.cleaned_data["decision"] == "approve":
                    withdrawals.approve(
                        item, request.user, form.cleaned_data["note"], form.cleaned_data["reason"]
                    )
                    messages.success(request, _("The record was withdrawn and its owners told."))
                else:
                    withdrawals.refuse(item, request.user, form.cleaned_data["note"])
                    messages.success(request, _("Refused."))
                return redirect("staff:withdrawals")
            except RecordError as exc:
                form.add_error(None, exc.message)
                status = exc.status
        else:
            status = 400
    context = {"item": item, "form": form, "record": item.record}
    return render(request, "staff/withdrawal_detail.html", context, status=status)


@staff_required
@require_safe
def tombstones(request):
    form = TombstoneFilterForm(request.GET or None)
    records = Record.objects.filter(state=RecordState.WITHDRAWN).select_related("owner")
    if form.is_valid():
        data = form.cleaned_data
        if data["reason"]:
            records = records.filter(
                Q(withdrawal_category=data["reason"])
                | (Q(withdrawal_category="") if data["reason"] == WithdrawalReason.OTHER else Q(pk__in=[]))
            )
        if data["since"]:
            records = records.filter(withdrawn_at__gte=_day_start(data["since"]))
        if data["until"]:
            records = records.filter(withdrawn_at__lt=_day_start(data["until"] + dt.timedelta(days=1)))
        if data["record"]:
            records = records.filter(pk=data["record"])
    page = Paginator(records.order_by("-withdrawn_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query_string": query.urlencode(),
        "reinstate_form": ReinstateForm(),
    }
    return render(request, "staff/tombstones.html", context, status=400 if form.errors else 200)


@staff_required
@require_POST
def reinstate(request, pk: int):
    record = get_object_or_404(Record, pk=pk)
    form = ReinstateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The note is too long."))
        return redirect("staff:tombstones")
    try:
        withdrawals.reinstate(record, request.user, form.cleaned_data["note"])
    except RecordError as exc:
        messages.error(request, exc.message)
        return redirect("staff:tombstones")
    messages.success(request, _("The record is public again."))
    return redirect(record)


@staff_required
@require_http_methods(["GET", "POST"])
def quota(request, pk: int | None = None):
    """Quota requests; POST ``/staff/quota/<id>/`` decides one."""
    form = QuotaDecisionForm(request.POST if request.method == "POST" else None)
    status = 200
    failed = None
    if request.method == "POST":
        if pk is None:
            return redirect("staff:quota")
        item = get_object_or_404(QuotaRequest, pk=pk)
        failed = item.pk
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["decision"] == "approve":
                    granted = (
                        int(data["granted_gb"] * Decimal(10**9)) if data["granted_gb"] is not None else None
                    )
                    withdrawals.approve_quota(item, request.user, granted, data["note"])
                    messages.success(request, _("Granted; the owner was told."))
                else:
                    withdrawals.refuse_quota(item, request.user, data["note"])
                    messages.success(request, _("Refused; the owner was told."))
                return redirect("staff:quota")
            except RecordError as exc:
                form.add_error(None, exc.message)
                status = exc.status
        else:
            status = 400
    state = request.GET.get("state") or ReviewState.OPEN
    if state not in ReviewState.values:
        state = ReviewState.OPEN
    items = (
        QuotaRequest.objects.filter(state=state)
        .select_related("record", "record__bucket", "requested_by", "decided_by")
        .order_by("-created", "-id")
    )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "form": form,
        "failed": failed,
        "state": state,
        "states": ReviewState.choices,
    }
    return render(request, "staff/quota.html", context, status=status)


@staff_required
@require_safe
def audit_log(request):
    """The audit log, newest first, filtered by actor, verb, object and date."""
    form = AuditFilterForm(request.GET or None)
    entries = AuditEntry.objects.select_related("actor").order_by("-created", "-id")
    if form.is_valid():
        data = form.cleaned_data
        if data["actor"]:
            entries = entries.filter(actor__username__iexact=data["actor"].strip())
        if data["verb"]:
            entries = entries.filter(verb=data["verb"].strip())
        if data["object"]:
            kind, _sep, ident = data["object"].strip().partition(":")
            entries = entries.filter(object_type=kind)
            if ident:
                entries = entries.filter(object_id=ident)
        if data["since"]:
            entries = entries.filter(created__gte=_day_start(data["since"]))
        if data["until"]:
            entries = entries.filter(created__lt=_day_start(data["until"] + dt.timedelta(days=1)))
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query_string": query.urlencode()}
    return render(request, "staff/audit.html", context, status=400 if form.errors else 200)


@staff_required
@require_safe
def fixity(request):
    """Fixity and replicas: checks per day (an SVG chart), copies per file and per location, files never
    or not recently checked, damaged files with their history."""
    report = fixity_report()
    return render(request, "staff/fixity.html", {"report": report, "chart": checks_per_day(report.days)})
