from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities import services
from communities.extensions import edit_forms
from communities.forms import CommunityForm, MemberForm, NewCommunityForm, RecordFilterForm
from communities.models import Community, MemberRole


def _visible_community(user, slug: str) -> Community:
    community = get_object_or_404(Community, slug=slug)
    if not community.is_visible_to(user):
        raise Http404
    return community


def _managed_community(user, slug: str) -> Community:
    """The community if ``user`` owns it (or is staff); 403 for other members and users, 404 if hidden."""
    community = _visible_community(user, slug)
    if not (user.is_staff or community.is_owner(user)):
        raise PermissionDenied(_("Only the community's owners can change it."))
    return community


def community_list(request):
    qs = (
        Community.objects.visible_to(request.user)
        .annotate(
            record_count=Count(
                "record_links",
                filter=Q(record_links__removed_at__isnull=True, record_links__record__state="published"),
                distinct=True,
            )
        )
        .order_by("title")
    )
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(request, "communities/list.html", {"page": page})


def _upload_url(slug: str) -> str:
    try:
        base = reverse("records:new_upload")
    except NoReverseMatch:
        base = "/uploads/new/"
    return f"{base}?{urlencode({'community': slug})}"


def _oai_url(request, slug: str) -> str:
    try:
        base = reverse("oaipmh:endpoint")
    except NoReverseMatch:
        base = "/oai2d"
    query = urlencode({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": f"user-{slug}"})
    return request.build_absolute_uri(f"{base}?{query}")


def community_detail(request, slug: str):
    community = _visible_community(request.user, slug)
    curators = community.memberships.filter(role__in=[MemberRole.OWNER, MemberRole.CURATOR]).select_related(
        "user"
    )
    form = RecordFilterForm(request.GET or None)
    links = community.current_links().select_related("record").order_by("-added_at", "-id")
    if form.is_valid():
        data = form.cleaned_data
        if data.get("q"):
            q = data["q"]
            links = links.filter(
                Q(record__metadata__title__icontains=q)
                | Q(record__search_text__icontains=q)
                | Q(record__doi__iexact=q)
            )
        if data.get("type"):
            links = links.filter(record__metadata__resource_type__type=data["type"])
        if data.get("year"):
            links = links.filter(record__metadata__publication_date__startswith=str(data["year"]))
        if data.get("access"):
            links = links.filter(record__metadata__access_right=data["access"])
    page = Paginator(links, 20).get_page(request.GET.get("page"))
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    user = request.user
    return render(
        request,
        "communities/detail.html",
        {
            "community": community,
            "curators": curators,
            "page": page,
            "filter_form": form,
            "query_string": urlencode(query),
            "total": community.current_links().count(),
            "upload_url": _upload_url(community.slug),
            "oai_url": _oai_url(request, community.slug),
            "is_curator": community.is_curator(user),
            "can_manage": user.is_authenticated and (user.is_staff or community.is_owner(user)),
        },
    )


def community_logo(request, slug: str):
    community = _visible_community(request.user, slug)
    name = community.logo.name  # empty when there is no logo
    if not name or not default_storage.exists(name):
        raise Http404
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/png")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@login_required
def community_new(request):
    if not request.user.is_staff:
        raise PermissionDenied(_("Only staff create communities."))
    form = NewCommunityForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            community = services.create_community(
                request.user,
                slug=form.cleaned_data["slug"],
                owner=form.cleaned_data.get("owner"),
                logo=form.cleaned_data.get("logo_upload"),
                **form.settings(),
            )
        except services.CommunityError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The community was created."))
            return redirect(community)
    status = 400 if request.method == "POST" else 200
    return render(request, "communities/form.html", {"form": form, "is_new": True}, status=status)


@login_required
def community_edit(request, slug: str):
    community = _managed_community(request.user, slug)
    form = CommunityForm(request.POST or None, request.FILES or None, instance=community, prefix="c")
    extra_forms = edit_forms(request.POST or None, community)  # e.g. curation's policy check rules
    if request.method == "POST" and form.is_valid() and all([f.is_valid() for f in extra_forms]):
        extra_settings = {key: value for f in extra_forms for key, value in f.settings().items()}
        try:
            services.update_community(
                request.user,
                community,
                logo=form.cleaned_data.get("logo_upload"),
                remove_logo=form.cleaned_data.get("remove_logo", False),
                **extra_settings,
                **form.settings(),
            )
        except services.CommunityError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The community was saved."))
            return redirect(community)
    community.refresh_from_db()
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "communities/form.html",
        {"form": form, "extra_forms": extra_forms, "community": community, "is_new": False},
        status=status,
    )


@login_required
def community_members(request, slug: str):
    community = _managed_community(request.user, slug)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.set_member(request.user, community, form.cleaned_data["user"], form.cleaned_data["role"])
        messages.success(
            request, _("%(user)s is now a member.") % {"user": form.cleaned_data["user"].display_name}
        )
        return redirect("communities:members", slug=community.slug)
    members = community.memberships.select_related("user").order_by("role", "user__username")
    return render(
        request,
        "communities/members.html",
        {"community": community, "members": members, "form": form, "roles": MemberRole.choices},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def community_member_change(request, slug: str, user_id: int):
    community = _managed_community(request.user, slug)
    user = get_object_or_404(get_user_model(), pk=user_id)
    try:
        if request.POST.get("action") == "remove":
            services.remove_member(request.user, community, user)
            messages.success(request, _("%(user)s is no longer a member.") % {"user": user.display_name})
        else:
            services.change_role(request.user, community, user, request.POST.get("role", ""))
            messages.success(request, _("%(user)s's role was changed.") % {"user": user.display_name})
    except services.CommunityError as exc:
        messages.error(request, exc.message)
    return redirect("communities:members", slug=community.slug)
