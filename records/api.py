"""The native REST API for records: ``/api/v1/records…``.

Reading published records is public. Token users need ``deposit:read`` (or a write scope) to read
their own drafts and private fields, ``deposit:write`` to create and update drafts and
``deposit:actions`` to publish, open or discard an edit draft (session users pass); a ``user:read``
token reads what the public reads.
Errors name the problem: ``{"message": …, "errors": [{"field": "$.creators[0].orcid", …}]}``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import reader, require_scope
from accounts.pagination import cursor_pagination
from accounts.redact import without_token
from curation import services as curation
from records import services
from records.models import Record, public_metadata
from records.search import PAGE_SIZE as SEARCH_PAGE_SIZE
from records.search import BadCursor, Cursor, SearchParams, search_page, sort_of
from stats import reports
from stats import services as stats_services
from stats.services import Totals


def _iso(value):
    return value.isoformat() if value else None


def serialize(
    record: Record, *, owner: bool = False, revision: int | None = None, usage: Totals | None = None
) -> dict:
    """A record as the API shows it; ``owner`` adds drafts, the edit draft and private fields.

    A published record carries its usage ``stats`` (``usage`` when the caller read them in bulk)."""
    data = {
        "id": record.pk,
        "state": record.state,
        "doi": record.doi or None,
        "doi_url": f"https://doi.org/{record.doi}" if record.doi else None,
        "doi_is_external": record.doi_is_external,
        "created": _iso(record.created),
        "updated": _iso(record.updated),
        "published_at": _iso(record.published_at),
        "datestamp": _iso(record.datestamp),
        "metadata": record.metadata if owner else public_metadata(record.metadata),
        "links": {
            "self": settings.SITE_URL + reverse("records:api-detail", args=[record.pk]),
            "html": settings.SITE_URL + record.get_absolute_url(),
        },
    }
    if record.is_published():
        data["stats"] = (usage or stats_services.totals_of(record.pk)).as_dict()
        data["links"]["stats"] = settings.SITE_URL + reverse("records:api-stats", args=[record.pk])
    if revision is not None:
        data["revision"] = revision
    if record.is_withdrawn():
        data["withdrawal_reason"] = record.withdrawal_reason
        data["withdrawal_category"] = record.withdrawal_category or "other"
        data["withdrawn_by"] = record.withdrawn_by or None
        data["withdrawn_at"] = _iso(record.withdrawn_at)
    if owner:
        data["requested_communities"] = record.requested_communities
        data["edit_draft"] = {"metadata": record.draft_metadata} if record.has_edit_draft() else None
        data["links"]["revisions"] = settings.SITE_URL + reverse("records:api-revisions", args=[record.pk])
        for action in ("publish", "edit", "discard"):
            data["links"][action] = settings.SITE_URL + reverse(
                "records:api-action", args=[record.pk, action]
            )
    return data


LIST_TRUNCATED = ("creators", "contributors", "references", "related_identifiers")


def cut_long_lists(data: dict) -> dict:
    """A list's item (``serialize``'s answer): long lists (creators, contributors, references, related
    identifiers) cut to ``LANDING_LIST_ITEMS``; ``truncated`` gives each cut list's full length, and
    ``links.self`` (the record itself) has them all."""
    limit = settings.LANDING_LIST_ITEMS
    truncated = {}
    metadata = dict(data["metadata"])
    for name in LIST_TRUNCATED:
        items = metadata.get(name)
        if isinstance(items, list) and len(items) > limit:
            truncated[name] = len(items)
            metadata[name] = items[:limit]
    if truncated:
        data["metadata"] = metadata
        data["truncated"] = truncated
    return data


def error_response(exc: services.RecordError) -> Response:
    return Response({"message": exc.message, "errors": [e.as_dict() for e in exc.errors]}, status=exc.status)


def bad_request(message: str, field: str = "$") -> Response:
    return Response({"message": message, "errors": [{"field": field, "message": message}]}, status=400)


def etag(body: dict) -> str:
    """A strong validator of the record's representation as this caller sees it."""
    text = json.dumps(body, sort_keys=True, default=str).encode()
    return '"' + hashlib.sha256(text).hexdigest()[:32] + '"'


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",") if part.strip()}


def precondition_failed(request, record: Record, user) -> Response | None:
    """412 when ``If-Match`` names another version of the record than the current one."""
    header = request.headers.get("If-Match")
    if not header:
        return None
    current = etag(_detail_body(record, user))
    if header.strip() == "*" or current in _etags(header):
        return None
    response = Response(
        {
            "message": _("The record has changed since you read it; read it again and retry."),
            "errors": [
                {"field": "$", "message": _("If-Match: the current ETag is %(tag)s.") % {"tag": current}}
            ],
        },
        status=412,
    )
    response["ETag"] = current
    return response


def _detail_body(record: Record, user) -> dict:
    revision = record.revisions.aggregate(n=Max("number"))["n"]
    return serialize(record, owner=record.can_edit(user), revision=revision)


def with_etag(response: Response, record: Record, user) -> Response:
    response["ETag"] = etag(_detail_body(record, user))
    return response


def _cursor_link(request, cursor: Cursor | None) -> str | None:
    if cursor is None:
        return None
    query = without_token(request.GET)  # a token sent as ?access_token= is never echoed
    query.pop("page", None)  # a cursor link goes by keyset, not by number
    query["cursor"] = cursor.encode()
    return request.build_absolute_uri("?" + query.urlencode())


def _page_size(request) -> int:
    """``?size=`` within 1…max(API_PAGE_SIZE, 100); the search's page size when missing or not a number."""
    size = request.query_params.get("size", "")
    if not (size.isascii() and size.isdigit() and 0 < len(size) < 6) or int(size) < 1:
        return SEARCH_PAGE_SIZE
    return min(int(size), max(settings.API_PAGE_SIZE, 100))


def _body(request) -> tuple[dict, Response | None]:
    if not isinstance(request.data, dict):
        return {}, bad_request(_("The request body must be a JSON object."))
    unknown = sorted(set(request.data) - {"metadata", "communities", "doi"})
    if unknown:
        return {}, bad_request(
            _("Unknown field “%(name)s”: send metadata, communities and doi.") % {"name": unknown[0]},
            f"$.{unknown[0]}",
        )
    metadata = request.data.get("metadata", {})
    if not isinstance(metadata, dict):
        return {}, bad_request(_("“metadata” must be a JSON object."), "$.metadata")
    communities = request.data.get("communities")
    if communities is not None and not (
        isinstance(communities, list) and all(isinstance(c, str) for c in communities)
    ):
        return {}, bad_request(_("“communities” must be a list of community identifiers."), "$.communities")
    doi = request.data.get("doi")
    if doi is not None and not isinstance(doi, str):
        return {}, bad_request(_("“doi” must be a string."), "$.doi")
    return {"metadata": metadata, "communities": communities, "doi": doi}, None


class RecordListView(APIView):
    """GET: published records (``?q=`` and the search filters) or, with ``?mine=true``, your own.
    POST: a new draft from ``{"metadata": {…}, "communities": [slug…], "doi": "10.…/…"}``."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [require_scope("deposit:write")()]
        return [permissions.AllowAny()]

    @extend_schema(
        operation_id="records_list",
        summary="List or search published records (or your own with mine=true)",
        parameters=[
            OpenApiParameter("q", str, description="Full-text query"),
            OpenApiParameter("mine", bool, description="Your own records, drafts included"),
            OpenApiParameter("type", str, many=True),
            OpenApiParameter("year", str, many=True),
            OpenApiParameter("access", str, many=True),
            OpenApiParameter("language", str, many=True),
            OpenApiParameter("license", str, many=True),
            OpenApiParameter("community", str, many=True),
            OpenApiParameter("sort", str, enum=["relevance", "newest"]),
            OpenApiParameter(
                "page",
                int,
                description="Deprecated (old clients): the search's page by number; follow next/previous",
            ),
            OpenApiParameter("cursor", str, description="The cursor of a next/previous link (opaque)"),
            OpenApiParameter("size", int, description="Records per page (at most 100)"),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        if request.query_params.get("mine") in ("1", "true", "yes"):
            if not request.user.is_authenticated:
                return Response({"message": _("Sign in or send a token to list your records.")}, status=401)
            if not reader(request).is_authenticated:
                return Response(
                    {"message": _("Listing your records needs a token with the scope “deposit:read”.")},
                    status=403,
                )
            # your own records page by cursor (no depth cost), as the search does (search_page)
            paginator = cursor_pagination("-updated", "-id")()
            records: list[Record] = (
                paginator.paginate_queryset(Record.objects.owned_by(request.user), request, view=self) or []
            )
            usage = stats_services.totals(r.pk for r in records)  # one query for the page
            return paginator.get_paginated_response(
                [cut_long_lists(serialize(r, owner=True, usage=usage.get(r.pk, Totals()))) for r in records]
            )
        return self._search(request)

    def _search(self, request) -> Response:
        """The public search, paged by cursor (keyset: a deep page costs what the first does)."""
        params = SearchParams.from_querydict(request.query_params, reader(request))
        text = request.query_params.get("cursor", "")
        try:
            cursor = Cursor.decode(text, sort_of(params)) if text else None
            found = search_page(params, size=_page_size(request), cursor=cursor)
        except BadCursor:
            return bad_request(
                _("“cursor” is not a cursor of this search: follow a “next” or “previous” link."), "$.cursor"
            )
        usage = stats_services.totals(r.pk for r in found.records)  # one query for the page
        body: dict[str, Any] = {
            "count": found.total,
            "next": _cursor_link(request, found.next),
            "previous": _cursor_link(request, found.previous),
            "results": [cut_long_lists(serialize(r, usage=usage.get(r.pk, Totals()))) for r in found.records],
        }
        if found.facets is not None:
            body["facets"] = {
                name: [
                    {"value": f.value, "label": f.label, "count": f.count, "selected": f.selected}
                    for f in values
                ]
                for name, values in found.facets.items()
            }
        return Response(body)

    @extend_schema(
        operation_id="records_create",
        summary="Create a draft (scope deposit:write)",
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    def post(self, request):
        body, problem = _body(request)
        if problem:
            return problem
        try:
            record = services.create_draft(
                request.user, body["metadata"], communities=body["communities"], external_doi=body["doi"]
            )
        except services.RecordError as exc:
            return error_response(exc)
        response = Response(serialize(record, owner=True), status=201)
        response["Location"] = settings.SITE_URL + reverse("records:api-detail", args=[record.pk])
        return with_etag(response, record, request.user)


class RecordDetailView(APIView):
    """GET one record (drafts: owners only). PUT replaces the draft's or edit draft's metadata."""

    def get_permissions(self):
        if self.request.method in ("PUT", "PATCH"):
            return [require_scope("deposit:write")()]
        return [permissions.AllowAny()]

    @extend_schema(
        operation_id="records_retrieve",
        summary="One record (drafts: owners only)",
        responses={200: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT, 410: OpenApiTypes.OBJECT},
    )
    def get(self, request, pk: int):
        """A withdrawn record answers 410 Gone with its tombstone: state, reason, note and date."""
        user = reader(request)
        record = services.get_record_for_user(user, pk)
        body = _detail_body(record, user)
        if record.is_withdrawn():
            body["message"] = _("This record has been withdrawn.")
            return Response(body, status=410)
        tag = etag(body)
        if tag in _etags(request.headers.get("If-None-Match", "")):
            response = Response(status=304)
        else:
            response = Response(body)
        response["ETag"] = tag
        return response

    @extend_schema(
        operation_id="records_update",
        summary="Replace the draft's or edit draft's metadata (deposit:write)",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 409: OpenApiTypes.OBJECT},
    )
    def put(self, request, pk: int):
        record = services.get_record_for_user(request.user, pk, write=True)
        body, problem = _body(request)
        if problem:
            return problem
        stale = precondition_failed(request, record, request.user)
        if stale:
            return stale
        doi = body["doi"] if record.is_draft() else None
        try:
            services.update_metadata(
                record, request.user, body["metadata"], communities=body["communities"], external_doi=doi
            )
        except services.RecordError as exc:
            return error_response(exc)
        return with_etag(Response(_detail_body(record, request.user)), record, request.user)


class RevisionListView(APIView):
    """Every published revision of the record's metadata (owners and staff)."""

    @extend_schema(
        operation_id="records_revisions",
        summary="Published metadata revisions (owners and staff)",
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, pk: int):
        record = services.get_record_for_user(reader(request), pk, write=True)
        revisions = [
            {"number": r.number, "created": _iso(r.created), "summary": r.summary, "metadata": r.metadata}
            for r in record.revisions.order_by("-number")
        ]
        return Response({"count": len(revisions), "results": revisions})


class RecordActionView(APIView):
    """POST ``publish`` (body ``{"accept_declaration": true}``), ``edit`` (open the edit draft) or ``discard``."""

    permission_classes = [require_scope("deposit:actions")]
    actions = ("publish", "edit", "discard")

    @extend_schema(
        operation_id="records_action",
        summary="publish, edit or discard (scope deposit:actions)",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 204: None, 400: OpenApiTypes.OBJECT, 409: OpenApiTypes.OBJECT},
    )
    def post(self, request, pk: int, action: str):
        if action not in self.actions:
            return Response(
                {
                    "message": _("Unknown action “%(action)s”: use publish, edit or discard.")
                    % {"action": action}
                },
                status=404,
            )
        record = services.get_record_for_user(request.user, pk, write=True)
        stale = precondition_failed(request, record, request.user)
        if stale:
            return stale
        try:
            if action == "publish":
                accepted = isinstance(request.data, dict) and request.data.get("accept_declaration") is True
                if not accepted:
                    return bad_request(
                        _(
                            "Accept the depositor's declaration (rights to deposit, the licence and the “as is” "
                            'terms) by sending {"accept_declaration": true}.'
                        ),
                        "$.accept_declaration",
                    )
                curation.publish_record(record, request.user, declaration_accepted=True)
            elif action == "edit":
                services.open_edit(record, request.user)
            elif record.is_draft():
                services.delete_draft(record, request.user)
                return Response(status=204)
            else:
                services.discard_edit(record, request.user)
        except services.RecordError as exc:
            return error_response(exc)
        return Response(serialize(record, owner=True))


# COUNTER Data_Type by resource type (COUNTER R5.1 Data_Types).
COUNTER_DATA_TYPES = {
    "publication-article": "Article",
    "publication-preprint": "Article",
    "publication-conferencepaper": "Conference_Item",
    "publication-book": "Book",
    "publication-section": "Book_Segment",
    "publication-thesis": "Thesis_or_Dissertation",
    "publication-report": "Report",
    "publication-technicalnote": "Report",
    "publication-workingpaper": "Report",
    "publication-deliverable": "Report",
    "publication-milestone": "Report",
    "publication-patent": "Patent",
    "poster": "Conference_Item",
    "presentation": "Conference_Item",
    "dataset": "Dataset",
    "software": "Software",
    "image": "Image",
    "video": "Audiovisual",
}


class RecordStatsView(APIView):
    """GET ``/api/v1/records/<id>/stats?begin_date=YYYY-MM&end_date=YYYY-MM``: the record's COUNTER
    Release 5.1 Item Report (COUNTER_SUSHI JSON), month by month."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="records_stats",
        summary="COUNTER R5.1 Item Report of a published record (COUNTER_SUSHI JSON)",
        parameters=[
            OpenApiParameter("begin_date", str, required=True),
            OpenApiParameter("end_date", str, required=True),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
    )
    def get(self, request, pk: int):
        record = services.get_record_for_user(reader(request), pk)
        if not record.is_published():
            return Response({"message": _("Only published records have usage statistics.")}, status=404)
        try:
            first, last = reports.period(
                request.query_params.get("begin_date"), request.query_params.get("end_date")
            )
        except reports.BadPeriod as exc:
            return bad_request(exc.message, f"$.{exc.field}")
        metadata = public_metadata(record.metadata)
        rtype = metadata.get("resource_type") or {}
        type_id = (
            f"{rtype.get('type', 'other')}-{rtype['subtype']}"
            if rtype.get("subtype")
            else rtype.get("type", "")
        )
        item = reports.Item(
            id=record.pk,
            title=metadata.get("title", ""),
            doi=record.doi or "",
            uri=settings.SITE_URL + record.get_absolute_url(),
            publisher=metadata.get("publisher") or settings.SITE_NAME,
            data_type=COUNTER_DATA_TYPES.get(type_id)
            or COUNTER_DATA_TYPES.get(rtype.get("type", ""), "Other"),
            yop=(metadata.get("publication_date") or "")[:4] or f"{record.published_at:%Y}",
            access_type="Open" if metadata.get("access_right") == "open" else "Controlled",
        )
        report = reports.item_report(
            item, first, last, platform=settings.SITE_NAME, platform_id=settings.OAI_REPOSITORY_IDENTIFIER
        )
        return Response(report)
