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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts import ratelimit
from aitools import review, services
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
