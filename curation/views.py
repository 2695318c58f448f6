from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.ratelimit import comment_limit, too_many_requests
from audit.services import history
from communities.models import Community
from curation import services
from curation.access import get_community_for_curator, get_request_for_user
from curation.forms import (
    BulkForm,
    CommentForm,
    DeclineForm,
    InviteForm,
    OptionalReasonForm,
    QueueFilterForm,
    RemoveForm,
    RequestInclusionForm,
)
from curation.models import InclusionRequest, Notification, RequestKind, RequestState
from curation.rules.size import record_files_size
from records.landing import bounded, more
from records.models import Record
from storage import services as storage_services

PAGE_SIZE = 20


def record_files(record: Record) -> list:
    """The record's current files (objects with ``key`` and ``size``)."""
    if record.bucket is None:  # a record without a bucket has no files
        return []
    return list(storage_services.current_files(record.bucket))


# --- The curator queue --------------------------------------------------------------------------


def _filtered(community: Community, form: QueueFilterForm):
    qs = InclusionRequest.objects.filter(community=community).select_related(
        "record", "record__owner", "created_by", "decided_by"
    )
    data = form.cleaned_data if form.is_valid() else {}
    state = data.get("state") or ""
    if state == "all":
        pass
    elif state:
        qs = qs.filter(state=state)
    else:
        qs = qs.filter(state=RequestState.SUBMITTED)
    if data.get("kind"):
        qs = qs.filter(kind=data["kind"])
    if data.get("checks"):
        qs = qs.filter(checks_status=data["checks"])
    age = data.get("age")
    now = timezone.now()
    if age in ("7", "30"):
        qs = qs.filter(created__lte=now - dt.timedelta(days=int(age)))
    elif age == "new":
        qs = qs.filter(created__gt=now - dt.timedelta(days=7))
    if data.get("q"):
        qs = qs.filter(record__metadata__title__icontains=data["q"])
    qs = qs.annotate(comment_count=Count("comments"))
    if state in ("", RequestState.SUBMITTED):
        return qs.order_by("created", "id")  # oldest first: they wait longest
    return qs.order_by("-created", "-id")


@login_required
def queue(request, slug: str):
    community = get_community_for_curator(request.user, slug)
    if request.method == "POST":
        return _bulk(request, community)
    form = QueueFilterForm(request.GET or None)
    page = Paginator(_filtered(community, form), PAGE_SIZE).get_page(request.GET.get("page"))
    for req in page:
        req.files = record_files(req.record)
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    counts = dict(
        InclusionRequest.objects.filter(community=community)
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    return render(
        request,
        "curation/queue.html",
        {
            "community": community,
            "page": page,
            "filter_form": form,
            "bulk_form": BulkForm(),
            "invite_form": InviteForm(),
            "query_string": urlencode(query),
            "counts": counts,
            "is_open_view": not (form.is_valid() and form.cleaned_data.get("state")),
        },
    )


def _bulk(request, community: Community):
    form = BulkForm(request.POST)
    back = request.get_full_path()
    ids = request.POST.getlist("ids")
    if not ids:
        messages.error(request, _("Select at least one request."))
        return redirect(back)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    try:
        outcome = services.bulk_decide(
            request.user, community, ids, form.cleaned_data["action"], form.cleaned_data["reason"]
        )
    except services.NotAllowed as exc:
        raise PermissionDenied(exc.message)
    except services.CurationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if outcome.done:
        n = len(outcome.done)
        if form.cleaned_data["action"] == "accept":
            text = ngettext("%(n)d request accepted.", "%(n)d requests accepted.", n) % {"n": n}
        else:
            text = ngettext("%(n)d request declined.", "%(n)d requests declined.", n) % {"n": n}
        messages.success(request, text)
    for pk, reason in outcome.skipped:
        messages.warning(request, _("Request #%(pk)s: %(reason)s") % {"pk": pk, "reason": reason})
    return redirect(back)


@login_required
@require_POST
def queue_invite(request, slug: str):
    community = get_community_for_curator(request.user, slug)
    form = InviteForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("record", []):
            messages.error(request, str(error))
        return redirect("curation:queue", slug=community.slug)
    try:
        req = services.invite(
            request.user, form.cleaned_data["record"], community, message=form.cleaned_data["message"]
        )
    except services.CurationError as exc:
        messages.error(request, exc.message)
        return redirect("curation:queue", slug=community.slug)
    messages.success(request, _("Invitation sent to the record's owner."))
    return redirect(req)


# --- One request ----------------------------------------------------------------------------------


def _detail_context(request, req: InclusionRequest, **forms) -> dict:
    user = request.user
    curator, owner = req.is_curator(user), req.is_record_owner(user)
    comments = req.comments.select_related("author")
    creators, creators_more = bounded(req.record.metadata.get("creators"))
    context = {
        "req": req,
        "record": req.record,
        "creators": creators,
        "creators_more": more(creators_more),
        "community": req.community,
        "comments": comments,
        "history": history(req)[:100],
        "files": record_files(req.record),
        "files_size": record_files_size(req.record),
        "is_curator": curator,
        "is_owner": owner,
        "can_decide": req.is_open and req.can_decide(user),
        "can_cancel": req.is_open and req.can_cancel(user),
        "can_remove": req.state == RequestState.ACCEPTED and curator,
        "can_comment": curator or owner,
        "comment_form": forms.get("comment_form") or CommentForm(),
        "decline_form": forms.get("decline_form") or DeclineForm(),
        "cancel_form": forms.get("cancel_form") or OptionalReasonForm(),
        "remove_form": forms.get("remove_form") or RemoveForm(),
        "owner_decline_form": forms.get("owner_decline_form") or OptionalReasonForm(),
        "error": forms.get("error"),
    }
    return context


def _render_detail(request, req, status=200, **forms):
    return render(
        request, "curation/request_detail.html", _detail_context(request, req, **forms), status=status
    )


@login_required
def request_detail(request, pk: int):
    req = get_request_for_user(request.user, pk)
    Notification.objects.filter(user=request.user, request=req, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return _render_detail(request, req)


def _act(request, pk: int, action, form_class=None, form_name=None, success=""):
    """Run a verb on a request from a POSTed form; domain errors re-render the page with their status."""
    req = get_request_for_user(request.user, pk)
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        return _render_detail(request, req, status=400, **{form_name: form})
    try:
        action(req, form.cleaned_data if form is not None else {})
    except services.NotAllowed as exc:
        raise PermissionDenied(exc.message)
    except services.NotFound:
        raise Http404
    except services.CurationError as exc:
        req.refresh_from_db()
        return _render_detail(
            request, req, status=exc.status, error=exc.message, **({form_name: form} if form else {})
        )
    if success:
        messages.success(request, success)
    return redirect(req)


@login_required
@require_POST
def request_accept(request, pk: int):
    return _act(request, pk, lambda req, data: services.accept(request.user, req), success=_("Accepted."))


@login_required
@require_POST
def request_decline(request, pk: int):
    req = get_request_for_user(request.user, pk)
    form_class, name = (
        (DeclineForm, "decline_form")
        if req.deciders_are_curators()
        else (OptionalReasonForm, "owner_decline_form")
    )
    return _act(
        request,
        pk,
        lambda r, data: services.decline(request.user, r, data.get("reason", "")),
        form_class,
        name,
        _("Declined."),
    )


@login_required
@require_POST
def request_cancel(request, pk: int):
    return _act(
        request,
        pk,
        lambda r, data: services.cancel(request.user, r, data.get("reason", "")),
        OptionalReasonForm,
        "cancel_form",
        _("Cancelled."),
    )


@login_required
@require_POST
def request_remove(request, pk: int):
    return _act(
        request,
        pk,
        lambda r, data: services.remove(request.user, r, data["reason"]),
        RemoveForm,
        "remove_form",
        _("The record was removed from the community."),
    )


@login_required
@require_POST
def request_comment(request, pk: int):
    verdict = comment_limit(request)
    if verdict.limited:
        return too_many_requests(request, verdict.retry_after, _("You have written many messages recently."))
    return _act(
        request,
        pk,
        lambda r, data: services.comment(request.user, r, data["body"]),
        CommentForm,
        "comment_form",
        _("Your message was added."),
    )


@login_required
@require_POST
def request_recheck(request, pk: int):
    return _act(
        request, pk, lambda r, data: services.refresh_checks(request.user, r), success=_("Checks run again.")
    )


# --- The requester's side -------------------------------------------------------------------------


@login_required
def my_requests(request):
    """Requests about the user's records, and invitations waiting for their answer."""
    user = request.user
    qs = (
        InclusionRequest.objects.filter(Q(record__owner=user) | Q(record__co_owners=user))
        .distinct()
        .select_related("record", "community")
        .order_by("-created", "-id")
    )
    invitations = qs.filter(kind=RequestKind.INVITATION, state=RequestState.SUBMITTED)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "curation/my_requests.html", {"page": page, "invitations": invitations})


def _record_for_owner(user, pk: int):
    record = Record.objects.filter(pk=pk).select_related("owner").first()
    if record is None or not record.is_owner(user):
        raise Http404(_("No such record among yours."))
    return record


@login_required
@require_POST
def record_request(request, pk: int):
    """From the landing page's Communities section: the owner asks a community to include the record."""
    record = _record_for_owner(request.user, pk)
    form = RequestInclusionForm(request.POST, communities=Community.objects.visible_to(request.user))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(record)
    try:
        req = services.request_inclusion(
            request.user, record, form.cleaned_data["community"], message=form.cleaned_data["message"]
        )
    except services.NotFound:
        raise Http404
    except services.CurationError as exc:
        messages.error(request, exc.message)
        return redirect(record)
    messages.success(
        request,
        _("Your request was sent to the curators of %(community)s.") % {"community": req.community.title},
    )
    return redirect(record)


@login_required
@require_POST
def record_invite(request, pk: int):
    """From the landing page: a curator invites the record into one of their communities."""
    record = get_object_or_404(Record.objects.published(), pk=pk)
    community = get_object_or_404(Community, slug=request.POST.get("community", ""))
    if not community.is_curator(request.user):
        raise PermissionDenied(_("Only the community's owners and curators can invite records."))
    try:
        services.invite(request.user, record, community, message=request.POST.get("message", "")[:5000])
    except services.CurationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Invitation sent to the record's owner."))
    return redirect(record)


# --- Inbox ---------------------------------------------------------------------------------------


@login_required
def inbox(request):
    if request.method == "POST":
        Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
        messages.success(request, _("All notifications are marked as read."))
        return redirect("curation:inbox")
    qs = Notification.objects.filter(user=request.user).select_related(
        "actor", "request", "request__record", "request__community"
    )
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        qs = qs.unread()
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "curation/inbox.html",
        {
            "page": page,
            "only_unread": only_unread,
            "unread_count": Notification.objects.filter(user=request.user).unread().count(),
            "query_string": "unread=1" if only_unread else "",
        },
    )


@login_required
def inbox_open(request, pk: int):
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    if notification.read_at is None:
        Notification.objects.filter(pk=pk).update(read_at=timezone.now())
    if notification.request_id:
        return redirect("curation:request", pk=notification.request_id)
    return redirect("curation:inbox")
