"""Record pages: deposit and edit forms, landing page and tombstone, uploads, owners, search, DOI resolver."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST, require_safe

from curation import services as curation
from records import cards, services, signposting, withdrawals
from records import vocabularies as vocab
from records.forms import (
    GROUPS,
    Cell,
    DeclarationForm,
    InviteForm,
    RecordForm,
    ReportForm,
    apply_errors,
    build_rows,
    form_to_metadata,
    initial_from_metadata,
    template_row,
)
from records.landing import landing_context, more, people, tombstone_context
from records.models import CoOwnerInvitation, InvitationState, Record, RecordState
from records.search import FACET_LABELS, SearchParams, search
from records.validation import validate_metadata
from stats import services as stats_services
from stats.models import EventKind
from storage.services import working_files

ROW_LEGENDS = {
    "related_identifiers": _lazy("Related identifier"),
    "funding": _lazy("Grant"),
    "additional_titles": _lazy("Additional title"),
    "subjects": _lazy("Subject"),
}


GROUP_LEGENDS = {
    "creators": _lazy("Creator"),
    "contributors": _lazy("Contributor"),
    "funding": _lazy("Grant"),
    **ROW_LEGENDS,
}
CELL_LABELS = {
    "type": _lazy("Type"),
    "family_name": _lazy("Family name"),
    "given_name": _lazy("Given names"),
    "name": _lazy("Name"),
    "orcid": _lazy("ORCID iD"),
    "role": _lazy("Role"),
    "identifier": _lazy("Identifier"),
    "scheme": _lazy("Scheme"),
    "relation": _lazy("Relation"),
    "funder_name": _lazy("Funder"),
    "funder_ror": _lazy("Funder ROR id"),
    "award_number": _lazy("Award number"),
    "award_title": _lazy("Award title"),
    "award_uri": _lazy("Award URL"),
    "title": _lazy("Title"),
    "lang": _lazy("Language"),
    "term": _lazy("Term"),
}
ROW_KEY_RE = re.compile(
    r"^(?P<group>[a-z_]+?)(?:-(?P<index>\d+)(?:-affiliations-(?P<aff>\d+))?(?:-(?P<cell>[a-z_]+))?)?$"
)


def _row_label(key: str) -> str:
    """ "creators-1-orcid" → "Creator 2: ORCID iD" (the names the form shows)."""
    match = ROW_KEY_RE.match(key)
    if not match or match["group"] not in GROUP_LEGENDS:
        return key
    label = str(GROUP_LEGENDS[match["group"]])
    if match["index"] is None:
        return label
    label = f"{label} {int(match['index']) + 1}"
    if match["aff"] is not None:
        label = _("%(row)s, affiliation %(number)s") % {"row": label, "number": int(match["aff"]) + 1}
    if match["cell"]:
        label = f"{label}: {CELL_LABELS.get(match['cell'], match['cell'])}"
    return label


def _error_links(form: RecordForm, row_errors: dict[str, list[str]]) -> list[dict]:
    """The error summary: each field with a problem, its message and the id of its input."""
    links = []
    for name, errors in form.errors.items():
        if name == "__all__" or name not in form.fields:
            continue
        bound = form[name]
        target = bound.id_for_label or f"{bound.auto_id}_0"
        links.append({"label": bound.label, "target": target, "messages": list(errors)})
    for key, messages_ in row_errors.items():
        links.append({"label": _row_label(key), "target": f"id_{key}", "messages": list(messages_)})
    return links


def _community_choices(user, record: Record | None = None):
    """Communities the user can see and ask to include the record in (not those it is in or waits for)."""
    return [(c.slug, c.title) for c in curation.requestable_communities(user, record)]


def _community_note(form: RecordForm, record: Record | None) -> RecordForm:
    """On an edit of a published record, say where it already is: those communities are not choices."""
    if record is None or record.is_draft():
        return form
    member, waiting = curation.record_community_status(record)
    notes = []
    if member:
        notes.append(_("Already in: %(names)s.") % {"names": ", ".join(c.title for c in member)})
    if waiting:
        notes.append(_("Waiting for a decision: %(names)s.") % {"names": ", ".join(c.title for c in waiting)})
    if not notes:
        return form
    field = form.fields.get("communities")
    if field is None:  # no community left to ask: the section still says where the record is
        field = form.fields["communities"] = forms.MultipleChoiceField(
            label=_("Communities"), required=False, choices=(), widget=forms.CheckboxSelectMultiple
        )
    else:
        notes.insert(0, str(field.help_text))
    field.help_text = " ".join(notes)
    return form


# Lists the form does not edit row by row when longer than FORM_MAX_ROWS (a 5,000-creator form
# would be 13 MB of HTML): they are shown as a count, kept as they are on save, edited through the API.
FROZEN_GROUPS = ("creators", "contributors", "related_identifiers")


def _frozen_groups(metadata: dict) -> dict[str, dict]:
    return {
        group: more(len(items))
        for group in FROZEN_GROUPS
        if isinstance(items := metadata.get(group), list) and len(items) > settings.FORM_MAX_ROWS
    }


def _keep_frozen(request, record: Record | None, metadata: dict) -> dict:
    """The long lists the form showed as a count (no rows posted) stay as the record has them."""
    if record is None:
        return metadata
    working = record.working_metadata
    for group in _frozen_groups(working):
        if not any(key.startswith(f"{group}-") for key in request.POST):
            metadata[group] = working[group]
    return metadata


def _form_page(request, *, record, form, metadata, row_errors, status=200, publish_errors=False):
    frozen = _frozen_groups(metadata)
    rows = {
        group: [] if group in frozen else build_rows(group, metadata.get(group), row_errors)
        for group in GROUPS
    }
    if not rows["creators"] and "creators" not in frozen:
        rows["creators"] = build_rows("creators", [{}], row_errors)
    context = {
        "record": record,
        "form": form,
        "rows": rows,
        "row_errors": row_errors,
        "row_templates": [
            {"group": g, "row": template_row(g), "legend": ROW_LEGENDS.get(g, "")} for g in GROUPS
        ],
        "affiliation_template": {k: Cell(f"__g__-__i__-affiliations-__j__-{k}", "") for k in ("name", "ror")},
        "access_help": [(vocab.ACCESS_LABELS[k], text) for k, text in vocab.ACCESS_HELP.items()],
        "person_types": [("personal", _("Person")), ("organizational", _("Organisation"))],
        "role_choices": [("", "—"), *vocab.role_choices()],
        "scheme_choices": [("", "—"), *vocab.scheme_choices()],
        "relation_choices": [("", "—"), *vocab.relation_choices()],
        "title_types": [("", "—"), *vocab.title_type_choices()],
        "publish_errors": publish_errors,
        "error_count": len(form.errors) + len(row_errors),
        "error_links": _error_links(form, row_errors),
        "frozen": frozen,
        "api_url": reverse("records:api-detail", args=[record.pk]) if record else reverse("records:api-list"),
        "form_max_rows": settings.FORM_MAX_ROWS,
        "card_form": cards.form_context(metadata.get("card")),
    }
    return render(request, "records/deposit.html", context, status=status)


def _bound_form(request, record: Record | None) -> RecordForm:
    form = RecordForm(
        request.POST,
        community_choices=_community_choices(request.user, record),
        locked_doi=bool(record and not record.is_draft()),
    )
    form.is_valid()  # fills cleaned_data; problems are reported from the schema below
    return form


def _save(request, record: Record | None, *, complete: bool = False):
    """Save the typed metadata (kept even when invalid); returns (record, form, metadata, row errors).

    ``complete`` (the depositor asked to publish): the publish requirements are reported too, in the
    same round as the format errors."""
    form = _bound_form(request, record)
    metadata = _keep_frozen(request, record, form_to_metadata(form, request.POST))
    communities = form.cleaned_data.get("communities") if "communities" in form.fields else None
    doi = form.cleaned_data.get("external_doi") if "external_doi" in form.fields else None
    try:
        if record is None:
            record = services.create_draft(
                request.user, metadata, communities=communities, external_doi=doi, keep_invalid=True
            )
            errors = validate_metadata(record.metadata, complete=False)
        else:
            errors = services.update_metadata(
                record, request.user, metadata, communities=communities, external_doi=doi, keep_invalid=True
            )
        metadata = record.working_metadata
        if complete:
            errors = validate_metadata(metadata, complete=True)
    except services.InvalidMetadata as exc:  # the DOI or the communities were refused: nothing saved
        errors = exc.errors
    return record, form, metadata, apply_errors(form, errors, metadata)


def _handle_post(request, record: Record | None):
    action = request.POST.get("action", "save")
    saved, form, metadata, row_errors = _save(request, record, complete=action == "publish")
    if form.errors or row_errors or saved is None:
        if saved is None:
            text = _("The draft could not be saved: see the messages beside the fields.")
        elif action == "publish":
            text = _("The draft was saved. Fix the fields listed below before publishing.")
        else:
            text = _("The draft was saved, but some fields need attention.")
        messages.error(request, text)
        return _form_page(
            request,
            record=saved,
            form=form,
            metadata=metadata,
            row_errors=row_errors,
            publish_errors=action == "publish",
        )
    if action == "publish":
        return redirect("records:publish", saved.pk)
    messages.success(request, _("Draft saved."))
    return redirect("records:edit", saved.pk)


def _start_draft(request) -> JsonResponse:
    """The new-upload page's first file or field change: the draft is created (as typed so far) and
    the page carries on as its edit form, with the uploader in place (JSON for deposit.js)."""
    record, _form, _metadata, _row_errors = _save(request, None)
    if record is None:
        return JsonResponse(
            {"message": _("The draft could not be saved: see the messages beside the fields.")}, status=400
        )
    files = render_to_string("storage/deposit_files.html", {"record": record}, request=request)
    return JsonResponse(
        {
            "id": record.pk,
            "edit_url": reverse("records:edit", args=[record.pk]),
            "discard_url": reverse("records:discard", args=[record.pk]),
            "files_html": files,
        },
        status=201,
    )


@login_required
def new_upload(request):
    problem = services.draft_limit_problem(request.user)
    if problem:
        messages.error(request, problem)
        return redirect("records:uploads")
    if request.method == "POST":
        try:
            if request.headers.get("X-Draft-Start"):
                return _start_draft(request)
            return _handle_post(request, None)
        except services.DraftLimitReached as exc:  # another request took the last place meanwhile
            if request.headers.get("X-Draft-Start"):
                return JsonResponse({"message": exc.message}, status=409)
            messages.error(request, exc.message)
            return redirect("records:uploads")
    user = request.user
    given, _sep, family = (user.full_name or "").strip().rpartition(" ")
    creator = {
        "family_name": family,
        "given_name": given,
        "orcid": user.orcid or "",
        "affiliations": user.affiliations or [],
    }
    metadata = {"creators": [creator], "access_right": "open", "license": "CC-BY-4.0", "languages": ["eng"]}
    requested = [request.GET["community"]] if request.GET.get("community") else []
    form = RecordForm(
        initial=initial_from_metadata(metadata, requested), community_choices=_community_choices(user)
    )
    return _form_page(request, record=None, form=form, metadata=metadata, row_errors={})


@login_required
def edit(request, pk: int):
    """The draft's form; for a published record, opens (or continues) its edit draft."""
    record = services.get_record_for_user(request.user, pk, write=True)
    if record.is_withdrawn():
        messages.error(request, _("This record has been withdrawn and cannot be edited."))
        return redirect(record)
    if record.is_published() and not record.has_edit_draft():
        services.open_edit(record, request.user)
    if request.method == "POST":
        return _handle_post(request, record)
    return _form_page(
        request,
        record=record,
        form=_stored_form(record, request.user),
        metadata=record.working_metadata,
        row_errors={},
    )


def _stored_form(record: Record, user, *, bound: bool = False) -> RecordForm:
    """The form showing the stored draft; ``bound`` so that errors can be attached to it."""
    initial = initial_from_metadata(
        record.working_metadata, record.requested_communities, record.doi if record.doi_is_external else ""
    )
    options = {"community_choices": _community_choices(user, record), "locked_doi": not record.is_draft()}
    if not bound:
        return _community_note(RecordForm(initial=initial, **options), record)
    data = QueryDict(mutable=True)
    for key, value in initial.items():
        data.setlist(key, value if isinstance(value, list) else [value])
    form = RecordForm(data, **options)
    form.is_valid()
    return form


def _publish_files(record: Record) -> list[dict]:
    """The files the record will have once published (the working set, without staged removals)."""
    if record.bucket is None:
        return []
    files = []
    for wf in working_files(record.bucket):
        version = wf.version or wf.current
        if wf.status != "removed" and version is not None:
            files.append({"key": wf.key, "size": version.instance.size, "status": wf.status})
    return files


@login_required
def publish(request, pk: int):
    """Review and confirm: the depositor's declaration, then publishing (or re-publishing an edit)."""
    record = services.get_record_for_user(request.user, pk, write=True)
    if not (record.is_draft() or record.has_edit_draft()):
        messages.info(request, _("There is nothing to publish: open an edit draft first."))
        return redirect(record)
    metadata = record.working_metadata
    errors = validate_metadata(metadata, complete=True)
    if errors:
        form = _stored_form(record, request.user, bound=True)
        row_errors = apply_errors(form, errors, metadata)
        messages.error(request, _("Fix the errors below before publishing."))
        return _form_page(
            request, record=record, form=form, metadata=metadata, row_errors=row_errors, publish_errors=True
        )
    declaration = DeclarationForm(request.POST if request.method == "POST" else None)
    previews = curation.preview_checks(record)
    if request.method == "POST" and declaration.is_valid():
        try:
            record = curation.publish_record(record, request.user, declaration_accepted=True)
        except services.RecordError as exc:
            messages.error(request, exc.message)
            return redirect("records:edit", record.pk)
        messages.success(request, _("Published. The DOI is %(doi)s.") % {"doi": record.doi})
        kept = record.requested_communities or []
        sent = [p.community.title for p in previews if p.community.slug not in kept]
        if sent:
            messages.info(
                request,
                _("The curators of %(communities)s were notified; they will review the record for inclusion.")
                % {"communities": ", ".join(sent)},
            )
        return redirect(record)
    context = {
        "record": record,
        "declaration": declaration,
        "metadata": metadata,
        "check_previews": previews,
        "publish_files": _publish_files(record),
        **landing_context(record, request.user, metadata=metadata),
    }
    return render(request, "records/publish.html", context, status=400 if declaration.errors else 200)


@login_required
@require_POST
def discard(request, pk: int):
    record = services.get_record_for_user(request.user, pk, write=True)
    if record.is_draft():
        services.delete_draft(record, request.user)
        messages.success(request, _("The draft was deleted."))
        return redirect("records:uploads")
    try:
        services.discard_edit(record, request.user)
    except services.InvalidState as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your changes were discarded; the published version is unchanged."))
    return redirect(record)


@require_safe
def detail(request, pk: int):
    record = services.get_record_for_user(request.user, pk)
    if record.is_withdrawn():
        response = render(
            request, "records/tombstone.html", tombstone_context(record, request.user), status=410
        )
        # 410 is cacheable by default: browsers must ask again, or a reinstated record would stay gone
        patch_cache_control(response, no_cache=True)
        return response
    is_uploader = record.is_owner(request.user)
    context = {
        **landing_context(record, request.user),
        "is_uploader": is_uploader,
        "open_proposals": withdrawals.proposals_awaiting(record) if is_uploader else [],
        "report_form": ReportForm(auto_id="report_%s"),
    }
    response = render(request, "records/detail.html", context)
    if request.method == "GET" and record.is_published():
        stats_services.count(request, EventKind.VIEW, record.pk)  # one insert (COUNTER: an investigation)
    header = signposting.link_header(record)
    if header:
        response["Link"] = header
    return response


@require_safe
def linkset(request, pk: int):
    """``/records/<id>/linkset``: the record's signposts (RFC 9264), JSON when the client asks for it."""
    record = services.get_record_for_user(request.user, pk)
    if not signposting.has_signposting(record):
        raise Http404(_("This record has no published signposts."))
    accept = request.headers.get("Accept", "")
    response: HttpResponse
    if signposting.LINKSET_JSON in accept or request.GET.get("format") == "json":
        response = JsonResponse(
            signposting.linkset_json(record),
            content_type=signposting.LINKSET_JSON,
            json_dumps_params={"indent": 2},
        )
    else:
        response = HttpResponse(signposting.linkset_text(record), content_type=signposting.LINKSET)
    patch_vary_headers(response, ["Accept"])
    return response


@require_safe
def creators(request, pk: int):
    """Every creator (a page at a time) and every contributor of a record: the landing page shows the
    first few ("and 2,311 more")."""
    record = services.get_record_for_user(request.user, pk)
    meta = record.metadata
    page = Paginator(meta.get("creators") or [], settings.CREATORS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "record": record,
        "meta": meta,
        "page": page,
        "creators": people(list(page.object_list)),
        "first_number": page.start_index(),
        "contributors": people(meta.get("contributors")) if page.number == 1 else [],
    }
    return render(request, "records/creators.html", context)


@require_safe
def revision(request, pk: int, number: int):
    record = services.get_record_for_user(request.user, pk, write=True)
    rev = get_object_or_404(record.revisions, number=number)
    context = {**landing_context(record, request.user, metadata=rev.metadata), "revision": rev}
    return render(request, "records/revision.html", context)


@login_required
@require_safe
def uploads(request):
    mine = Record.objects.owned_by(request.user).select_related("owner").order_by("-updated")
    context = {
        "drafts": [r for r in mine if r.state == RecordState.DRAFT],
        "edit_drafts": [r for r in mine if r.state == RecordState.PUBLISHED and r.draft_metadata is not None],
        "published": [r for r in mine if r.state == RecordState.PUBLISHED],
        "withdrawn": [r for r in mine if r.state == RecordState.WITHDRAWN],
        # invitations by e-mail show here only for an address the account verified; otherwise the
        # mailed link is the way in (anyone can type any address into a profile)
        "invitations": CoOwnerInvitation.objects.filter(
            Q(user=request.user)
            | Q(
                email__iexact=request.user.email
                if request.user.email_verified and request.user.email
                else "-",
                user__isnull=True,
            ),
            state=InvitationState.PENDING,
        ).select_related("record", "invited_by"),
    }
    return render(request, "records/uploads.html", context)


@login_required
def owners(request, pk: int):
    record = services.get_record_for_user(request.user, pk, write=True)
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if "remove" in request.POST:
            if not re.fullmatch(r"[0-9]{1,18}", request.POST["remove"]):
                reason = _("Choose the co-owner to remove from the list.")
                return render(request, "400.html", {"reason": reason}, status=400)
            user = get_object_or_404(get_user_model(), pk=request.POST["remove"])
            try:
                services.remove_co_owner(record, request.user, user)
                messages.success(request, _("%(user)s is no longer a co-owner.") % {"user": user.username})
            except services.RecordError as exc:
                messages.error(request, exc.message)
            return redirect("records:owners", record.pk)
        if form.is_valid():
            try:
                services.invite_co_owner(record, request.user, form.cleaned_data["who"])
            except services.RecordError as exc:
                form.add_error("who", exc.message)
            else:
                messages.success(request, _("Invitation sent."))
                return redirect("records:owners", record.pk)
    context = {
        "record": record,
        "form": form,
        "co_owners": record.co_owners.order_by("username"),
        "pending": record.invitations.filter(state=InvitationState.PENDING).select_related("user"),
    }
    return render(request, "records/owners.html", context, status=400 if form.errors else 200)


@login_required
def invitation(request, token: str):
    invite = get_object_or_404(CoOwnerInvitation.objects.select_related("record", "invited_by"), token=token)
    # the token in the link is the proof for an invitation by e-mail: whoever follows it may answer
    if not invite.is_for(request.user, token=token):
        raise Http404
    if request.method == "POST":
        try:
            if request.POST.get("answer") == "accept":
                record = services.accept_invitation(invite, request.user, token=token)
                messages.success(request, _("You are now a co-owner of this record."))
                return redirect(record)
            services.decline_invitation(invite, request.user, token=token)
            messages.info(request, _("Invitation declined."))
            return redirect("records:uploads")
        except services.RecordError as exc:
            messages.error(request, exc.message)
    return render(request, "records/invitation.html", {"invitation": invite})


@require_safe
def search_page(request):
    params = SearchParams.from_querydict(request.GET, request.user)
    result = search(params)
    result.page.object_list = list(result.page.object_list)
    for record in result.page.object_list:
        record.type_label = vocab.resource_type_label(record.resource_type, record.resource_subtype)
        record.access_label = vocab.ACCESS_LABELS.get(record.access_right, "")
    query = request.GET.copy()
    query.pop("page", None)
    facet_links = {}
    for name, values in result.facets.items():
        for value in values:
            toggled = request.GET.copy()
            toggled.pop("page", None)
            current = toggled.getlist(name)
            toggled.setlist(
                name, [v for v in current if v != value.value] if value.selected else [*current, value.value]
            )
            facet_links[(name, value.value)] = "?" + toggled.urlencode()
    facets = [
        {
            "name": name,
            "label": _facet_label(name),
            "values": [{"item": v, "url": facet_links[(name, v.value)]} for v in values],
        }
        for name, values in result.facets.items()
    ]
    context = {
        "result": result,
        "page": result.page,
        "facets": facets,
        "query_string": query.urlencode(),
        "params": params,
    }
    return render(request, "records/search.html", context)


def _facet_label(name: str) -> str:
    return str(FACET_LABELS[name])


@require_safe
def resolve_doi(request, doi: str):
    """The local DOI resolver: ``/doi/10.5072/site.42`` → the landing page (or its tombstone)."""
    # only the DOIs this repository minted: an external DOI resolves through doi.org, not here
    minted = Record.objects.public().filter(doi_is_external=False)
    record = minted.filter(doi__iexact=doi.strip()).only("pk").first()
    if record is None:
        raise Http404(_("No record has this DOI."))
    return HttpResponseRedirect(reverse("records:detail", args=[record.pk]))
