"""Faces of the AI tools app: reviewer links (the owner's page, and what a reviewer can open)."""

from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts import ratelimit
from aitools import cff, review, services
from aitools.models import ReviewLink
from records.access import get_record_for_user
from records.cards import landing_card
from records.exports.base import license_info
from records.resource_types import by_id
from records.validation import language_label
from storage import downloads
from storage.sizes import format_size

ROBOTS = "noindex, nofollow, noarchive"


class ReviewLinkForm(forms.Form):
    expires_on = forms.DateField(
        label=gettext_lazy("Valid until (inclusive)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    label = forms.CharField(
        label=gettext_lazy("Note for yourself"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("E.g. the venue; reviewers do not see it."),
    )


# --- The owner's page -------------------------------------------------------------------------


@login_required
def review_links(request, pk: int):
    """``/records/<id>/review-links/``: the owner makes, lists and revokes reviewer links of a draft."""
    record = get_record_for_user(request.user, pk, write=True)
    new_url = ""
    status = 200
    default = timezone.localdate() + dt.timedelta(days=90)
    form = ReviewLinkForm(request.POST or None, initial={"expires_on": default})
    if request.method == "POST":
        if form.is_valid():
            try:
                _link, token = services.create_review_link(
                    record, request.user, form.cleaned_data["expires_on"], form.cleaned_data["label"]
                )
            except services.ReviewLinkRefused as exc:
                form.add_error(None, exc.message)
                status = 400
            else:
                new_url = request.build_absolute_uri(reverse("review-page", args=[token]))
                form = ReviewLinkForm(initial={"expires_on": default})
        else:
            status = 400
    links = ReviewLink.objects.filter(record=record)
    context = {
        "record": record,
        "form": form,
        "links": links,
        "new_url": new_url,
        "allowed": services.can_have_review_links(record),
        "today": timezone.localdate(),
    }
    response = render(request, "aitools/review_links.html", context, status=status)
    response["Cache-Control"] = "private, no-store"  # the new link is shown once
    return response


@login_required
@require_POST
def revoke_review_link(request, pk: int, link_id: int):
    record = get_record_for_user(request.user, pk, write=True)
    link = get_object_or_404(ReviewLink, pk=link_id, record=record)
    services.revoke_review_link(link, request.user)
    messages.success(request, _("The reviewer link was revoked."))
    return redirect("review-links", record.pk)


# --- What a reviewer opens --------------------------------------------------------------------


def _anonymous_headers(response):
    response["X-Robots-Tag"] = ROBOTS
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


def _open(request, token: str) -> ReviewLink:
    limit = ratelimit.hit_ip(request, "review", settings.RATELIMIT_REVIEW)
    if limit.limited:
        raise _TooMany(limit.retry_after)
    link = services.open_review_link(token)
    if link is None:
        raise Http404
    return link


class _TooMany(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def _reviewer_view(view):
    def wrapped(request, token: str, *args, **kwargs):
        try:
            link = _open(request, token)
        except _TooMany as exc:
            response = HttpResponse(
                _("Too many requests from your address.") + " " + ratelimit.wait_text(exc.retry_after),
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(exc.retry_after)
            return _anonymous_headers(response)
        except Http404:
            response = HttpResponse(
                _("This reviewer link does not exist, has expired or was revoked."),
                status=404,
                content_type="text/plain; charset=utf-8",
            )
            return _anonymous_headers(response)
        return _anonymous_headers(view(request, link, token, *args, **kwargs))

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return require_safe(wrapped)


@_reviewer_view
def review_page(request, link: ReviewLink, token: str):
    """``/review/<token>/``: the draft's page with no people on it."""
    record = link.record
    meta = review.anonymous_metadata(record.metadata)
    rtype = meta.get("resource_type") or {}
    type_id = (
        f"{rtype.get('type', 'other')}-{rtype['subtype']}" if rtype.get("subtype") else rtype.get("type", "")
    )
    files = [
        {"key": key, "size": format_size(version.instance.size), "url": review.file_url(token, key)}
        for key, version in review.draft_files(record)
    ]
    context = {
        "meta": meta,
        "type_label": by_id(type_id).translated_label() if type_id else "",
        "license": license_info(meta.get("license", "")) if meta.get("license") else {},
        "languages": [language_label(code) for code in meta.get("languages") or []],
        "card": landing_card(meta.get("card")),
        "files": files,
        "token": token,
        "expires_on": link.expires_on,
    }
    return render(request, "aitools/review_page.html", context)


@_reviewer_view
def review_file(request, link: ReviewLink, token: str, key: str):
    for file_key, version in review.draft_files(link.record):
        if file_key == key:
            return downloads.serve_version(request, version)
    raise Http404


@_reviewer_view
def review_zip(request, link: ReviewLink, token: str):
    """All the draft's files as one ZIP named ``review-files.zip``."""
    entries = review.draft_files(link.record)
    if not entries:
        raise Http404
    if sum(version.instance.size for _key, version in entries) > downloads.zip_limit():
        return HttpResponse(
            _("The files are too large to download as one ZIP; download them one by one."),
            status=413,
            content_type="text/plain; charset=utf-8",
        )
    response = StreamingHttpResponse(downloads.zip_stream(entries), content_type="application/zip")
    response["Content-Disposition"] = downloads.content_disposition("review-files.zip", inline=False)
    return response


@_reviewer_view
def review_croissant(request, link: ReviewLink, token: str):
    """The draft's Croissant without creators, owner, DOI or the record's own address."""
    body = json.dumps(review.anonymous_croissant(link.record, token), ensure_ascii=False, indent=2)
    response = HttpResponse(body.encode("utf-8"), content_type="application/ld+json; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="croissant.json"'
    return response


# --- CITATION.cff import ------------------------------------------------------------------------

CFF_FIELDS = [
    ("title", gettext_lazy("Title")),
    ("resource_type", gettext_lazy("Resource type")),
    ("creators", gettext_lazy("Creators")),
    ("version", gettext_lazy("Version")),
    ("license", gettext_lazy("Licence")),
    ("keywords", gettext_lazy("Keywords")),
    ("publication_date", gettext_lazy("Publication date")),
    ("description", gettext_lazy("Description")),
    ("related_identifiers", gettext_lazy("Related identifiers")),
]


def _show(name: str, value) -> list[str]:
    """A metadata value as the lines the confirmation table shows."""
    if value in (None, "", [], {}):
        return []
    if name == "creators":
        lines = []
        for person in value:
            line = person.get("name") or ""
            if person.get("orcid"):
                line += f" (ORCID {person['orcid']})"
            affiliations = "; ".join(a.get("name", "") for a in person.get("affiliations") or [])
            lines.append(f"{line} — {affiliations}" if affiliations else line)
        return lines
    if name == "resource_type":
        return [str(value.get("type", ""))]
    if name == "related_identifiers":
        return [f"{r.get('relation')}: {r.get('identifier')}" for r in value]
    if name == "description":
        return [strip_tags(value)]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _changes(current: dict, merged: dict) -> list[dict]:
    return [
        {"label": label, "before": _show(name, current.get(name)), "after": _show(name, merged.get(name))}
        for name, label in CFF_FIELDS
        if current.get(name) != merged.get(name)
    ]


class CffUploadForm(forms.Form):
    cff = forms.FileField(label=gettext_lazy("A CITATION.cff file"), required=False)


@login_required
def import_cff(request, pk: int):
    """``/records/<id>/import-cff/``: read a CITATION.cff (uploaded here, or from the draft's files:
    CITATION.cff itself or the top of a ZIP or tarball), show the changes, apply them once confirmed."""
    record = get_record_for_user(request.user, pk, write=True)
    if not (record.is_draft() or record.has_edit_draft()):
        messages.error(request, _("Open the record for editing first."))
        return redirect(record)
    context: dict = {"record": record, "candidates": services.cff_candidates(record), "form": CffUploadForm()}
    if request.method != "POST":
        return render(request, "aitools/import_cff.html", context)
    action = request.POST.get("action", "preview")
    try:
        if action == "apply":
            raw = request.POST.get("cff_text", "").encode("utf-8")
            if len(raw) > settings.CFF_IMPORT_MAX_BYTES:
                raise cff.CffError(_("The CITATION.cff is too large."))
            errors = services.import_cff(record, request.user, raw)
            if errors:
                messages.warning(request, _("The CITATION.cff was imported; some fields need attention."))
            else:
                messages.success(request, _("The CITATION.cff was imported into the form."))
            return redirect("records:edit", record.pk)
        raw = _cff_source(request, record)
        data = cff.parse(raw)
    except cff.CffError as exc:
        messages.error(request, exc.message)
        return render(request, "aitools/import_cff.html", context, status=400)
    current = record.working_metadata
    merged = cff.merge(current, cff.to_metadata(data))
    context.update(
        {
            "changes": _changes(current, merged),
            "cff_text": raw.decode("utf-8-sig"),
            "cff_title": data["title"],
        }
    )
    return render(request, "aitools/import_cff.html", context)


def _cff_source(request, record) -> bytes:
    source = request.POST.get("source", "")
    if source:
        return services.read_cff_from_file(record, source)
    upload = request.FILES.get("cff")
    if upload is None:
        raise cff.CffError(_("Choose a CITATION.cff file, or one of the record's files."))
    if upload.size > settings.CFF_IMPORT_MAX_BYTES:
        raise cff.CffError(_("The CITATION.cff is too large."))
    return upload.read()
