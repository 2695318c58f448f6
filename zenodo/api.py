"""Zenodo's legacy REST API (developers.zenodo.org), so Zenodo clients work with only the base URL changed.

- ``/api/deposit/depositions`` (+ ``/<id>``, ``/<id>/files``, ``/<id>/files/<file_id>``,
  ``/<id>/actions/{publish,edit,discard,newversion}``): a deposition is a record seen by its owner.
- ``/api/files/<bucket>/<key>``: FilesREST, one streaming ``PUT`` per file (``GET`` reads it back).
- ``/api/records`` and ``/api/records/<id>`` (+ ``/versions/latest``, ``/files/<key>/content``).

Files are versioned, records are not: ``newversion`` opens the record's edit draft (same id, same
DOI), whose uploads become new versions of the files when it is published. The faces compose the
verbs of records, storage and curation; errors are Zenodo's ``{"status", "message"}`` (400s also with
``errors: [{"field", "message"}]``). JSON bodies are read whatever the Content-Type says.
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import re
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
    RawPostDataException,
)
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.authentication import PersonalTokenAuthentication, require_scope
from curation import services as curation
from previews import services as previews
from records import services as records
from records.access import get_record_for_user
from records.models import CommunityRecord, Record
from records.search import SearchParams, search
from records.validation import json_text_depth, normalize_doi
from stats import services as stats_services
from stats.services import Totals
from storage import downloads, streams
from storage import services as storage
from storage.models import FileKey
from zenodo import mapping, serializers

DepositWrite = require_scope("deposit:write")
DepositActions = require_scope("deposit:actions")


def error(status: int, message: str, errors: list[dict] | None = None) -> Response:
    data: dict[str, Any] = {"status": status, "message": message}
    if status == 400:
        data["errors"] = errors or [{"field": "", "message": message, "messages": [message]}]
    return Response(data, status=status)


def exception_handler(exc, context):
    """DRF's answer, in Zenodo's ``{"status", "message"}`` shape."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data.get("detail") if isinstance(response.data, dict) else None
    message = str(detail) if detail is not None else _("The request could not be handled.")
    if isinstance(exc, exceptions.NotFound):
        message = _("The requested resource does not exist.")
    reshaped = error(response.status_code, message)
    for header, value in response.headers.items():
        if header.lower() in ("www-authenticate", "retry-after"):
            reshaped[header] = value
    return reshaped


@csrf_exempt  # the view it hands over to is an APIView, which checks CSRF for session users itself
def fallback(request: HttpRequest) -> HttpResponseBase:
    """Clients that add a trailing slash reach the same view; other unknown paths get a JSON 404."""
    path = request.path_info
    if path.endswith("/") and path.strip("/"):
        try:
            match = resolve(path.rstrip("/"))
        except Resolver404:
            match = None
        if match is not None and match.url_name != "fallback":
            return match.func(request, *match.args, **match.kwargs)
    message = _("The requested resource does not exist.")
    return JsonResponse({"status": 404, "message": message}, status=404)


class LenientTokenAuthentication(PersonalTokenAuthentication):
    """On public reads a token that does not work is ignored: the request is answered as anonymous."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            return None


class ZenodoView(APIView):
    def get_exception_handler(self):
        return exception_handler


class OwnerView(ZenodoView):
    """A depositor's own things: reading needs a signed-in user or any token, changing ``deposit:write``."""

    def get_permissions(self):
        if self.request.method == "GET":
            return [permissions.IsAuthenticated()]
        return [DepositWrite()]


class PublicView(ZenodoView):
    authentication_classes = [LenientTokenAuthentication]
    permission_classes = [permissions.AllowAny]


def json_body(request) -> tuple[Any, Response | None]:
    """The body as JSON whatever its Content-Type ({} when empty); a 400 naming the problem otherwise."""
    try:
        raw = request._request.body
    except RawPostDataException:  # already parsed as a form by someone upstream
        return dict(request.data.items()), None
    if not raw.strip():
        return {}, None
    limit = settings.JSON_MAX_DEPTH
    if json_text_depth(raw) > limit:  # json.loads recurses once per level: never hand it a deep body
        return None, error(
            400, _("The JSON body is nested too deeply (at most %(count)d levels).") % {"count": limit}
        )
    try:
        return json.loads(raw), None
    except (ValueError, UnicodeDecodeError):
        return None, error(400, _("The request body is not valid JSON."))


def record_error(exc: records.RecordError) -> Response:
    if exc.errors:
        return error(400, exc.message, mapping.portal_errors(exc.errors))
    return error(exc.status, exc.message)


def storage_error(exc: storage.StorageError) -> Response:
    return error(exc.status, exc.message)


def mapping_error(exc: mapping.MappingError) -> Response:
    return error(400, exc.message, exc.errors)


def deposition_for(request, pk: int) -> Record:
    """The user's deposition (record); 404 for anyone else's."""
    record = get_record_for_user(request.user, pk, write=True)
    if record.is_withdrawn():
        raise exceptions.PermissionDenied(_("This record has been withdrawn and cannot be changed."))
    return record


def _own_dois(record: Record | None) -> set[str]:
    if record is None:
        return set()
    return {serializers.prereserved_doi(record).lower()}


def _read_deposit(body: Any, record: Record | None) -> mapping.Deposit | Response:
    if not isinstance(body, dict):
        return error(400, _("The request body must be a JSON object."))
    legacy = body.get("metadata", {})
    try:
        return mapping.to_portal(legacy, own_dois=_own_dois(record))
    except mapping.MappingError as exc:
        return mapping_error(exc)


# --- Depositions ---------------------------------------------------------------------------------


class DepositionListView(ZenodoView):
    """GET: your depositions (``?status=draft|published``, ``?q=``, ``?page=``, ``?size=``). POST: a new one."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [DepositWrite()]
        return [permissions.IsAuthenticated()]

    @extend_schema(exclude=True)
    def get(self, request):
        records_qs = Record.objects.owned_by(request.user).select_related("owner", "bucket")
        status = request.query_params.get("status")
        if status == "draft":
            records_qs = records_qs.filter(state="draft")
        elif status == "published":
            records_qs = records_qs.exclude(state="draft")
        q = request.query_params.get("q", "").strip()
        if q:
            records_qs = records_qs.filter(metadata__title__icontains=q)
        sort = request.query_params.get("sort", "")
        records_qs = records_qs.order_by("updated" if sort == "-mostrecent" else "-updated")
        page = Paginator(records_qs, page_size(request)).get_page(request.query_params.get("page"))
        rows = list(page.object_list)
        bucket_ids = [r.bucket_id for r in rows if r.bucket_id is not None]
        working = storage.working_files_by_bucket(bucket_ids)
        published = storage.published_files_by_bucket(bucket_ids)
        return Response(
            [
                serializers.deposition(
                    r, working.get(r.bucket_id or 0, []), published.get(r.bucket_id or 0, [])
                )
                for r in rows
            ]
        )

    @extend_schema(exclude=True)
    def post(self, request):
        body, problem = json_body(request)
        if problem:
            return problem
        deposit = _read_deposit(body, None)
        if isinstance(deposit, Response):
            return deposit
        try:
            record = records.create_draft(
                request.user,
                deposit.metadata if body.get("metadata") else {},
                communities=deposit.communities,
                external_doi=deposit.external_doi,
            )
        except records.RecordError as exc:
            return record_error(exc)
        return Response(serializers.deposition(record), status=201)


class DepositionView(OwnerView):
    """GET one deposition; PUT replaces its metadata; DELETE removes an unpublished draft (204)."""

    @extend_schema(exclude=True)
    def get(self, request, pk: int):
        return Response(serializers.deposition(get_record_for_user(request.user, pk, write=True)))

    @extend_schema(exclude=True)
    def put(self, request, pk: int):
        record = deposition_for(request, pk)
        body, problem = json_body(request)
        if problem:
            return problem
        deposit = _read_deposit(body, record)
        if isinstance(deposit, Response):
            return deposit
        if record.is_published() and not record.has_edit_draft():
            return error(
                400,
                _("This deposition is published: use the edit or newversion action before changing it."),
            )
        try:
            records.update_metadata(
                record,
                request.user,
                deposit.metadata,
                communities=deposit.communities,
                external_doi=deposit.external_doi if record.is_draft() else None,
            )
        except records.RecordError as exc:
            return record_error(exc)
        return Response(serializers.deposition(record))

    @extend_schema(exclude=True)
    def delete(self, request, pk: int):
        record = deposition_for(request, pk)
        if not record.is_draft():
            return error(403, _("A published deposition cannot be deleted."))
        try:
            records.delete_draft(record, request.user)
        except records.RecordError as exc:
            return record_error(exc)
        return Response(status=204)


class DepositionActionView(ZenodoView):
    """POST ``publish`` (202), ``edit``, ``discard`` or ``newversion`` (201)."""

    permission_classes = [DepositActions]

    @extend_schema(exclude=True)
    def post(self, request, pk: int, action: str):
        record = deposition_for(request, pk)
        try:
            if action == "publish":
                curation.publish_record(record, request.user)
                status = 202
            elif action in ("edit", "newversion"):
                # files are versioned, records are not: a new version is the record's edit draft
                records.open_edit(record, request.user)
                status = 201
            elif action == "discard":
                records.discard_edit(record, request.user)
                status = 201
            else:
                return error(
                    404,
                    _("Unknown action “%(action)s”: use publish, edit, discard or newversion.")
                    % {"action": action},
                )
        except records.RecordError as exc:
            return record_error(exc)
        record.refresh_from_db()
        return Response(serializers.deposition(record), status=status)


# --- Deposition files ------------------------------------------------------------------------------


def _editable(record: Record) -> Response | None:
    if not serializers.files_editable(record):
        return error(
            400,
            _("The files of a published deposition change only after the edit or newversion action."),
        )
    return None


def _upload_name(request) -> str:
    data = request.data
    upload = request.FILES.get("file")
    name = data.get("name") or data.get("filename") or (upload.name if upload else "")
    return posixpath.basename(str(name).replace("\\", "/"))


class DepositionFilesView(OwnerView):
    """GET the deposition's files; POST one (multipart ``file``, named by ``name`` or its filename)."""

    @extend_schema(exclude=True)
    def get(self, request, pk: int):
        record = get_record_for_user(request.user, pk, write=True)
        return Response(serializers.deposition_files(record))

    @extend_schema(exclude=True)
    def post(self, request, pk: int):
        record = deposition_for(request, pk)
        problem = _editable(record)
        if problem:
            return problem
        upload = request.FILES.get("file")
        if upload is None:
            return error(
                400,
                _("Send the file as the multipart field “file”."),
                [{"field": "file", "message": _("This field is required."), "messages": []}],
            )
        try:
            version = storage.store_stream(
                record.files_bucket(), _upload_name(request), upload, request.user, size=upload.size
            )
        except storage.StorageError as exc:
            return storage_error(exc)
        previews.schedule_previews([version.pk])
        return Response(serializers.deposition_file(record, version.file, version), status=201)


def _file_key(record: Record, file_id: str) -> FileKey:
    if not file_id.isdigit():
        raise Http404
    file_key = FileKey.objects.filter(bucket=record.files_bucket(), pk=int(file_id)).first()
    if file_key is None:
        raise Http404
    return file_key


class DepositionFileView(OwnerView):
    """GET one file of the deposition; DELETE removes it from the deposition (204)."""

    @extend_schema(exclude=True)
    def get(self, request, pk: int, file_id: str):
        record = get_record_for_user(request.user, pk, write=True)
        file_key = _file_key(record, file_id)
        for item in serializers.deposition_files(record):
            if item["id"] == str(file_key.pk):
                return Response(item)
        raise Http404

    @extend_schema(exclude=True)
    def delete(self, request, pk: int, file_id: str):
        record = deposition_for(request, pk)
        problem = _editable(record)
        if problem:
            return problem
        try:
            storage.remove_file(record.files_bucket(), _file_key(record, file_id).key, request.user)
        except storage.StorageError as exc:
            return storage_error(exc)
        return Response(status=204)


# --- FilesREST buckets -----------------------------------------------------------------------------


def _bucket_record(request, bucket_id: int) -> Record:
    record_id = Record.objects.filter(bucket_id=bucket_id).values_list("pk", flat=True).first()
    if record_id is None:
        raise Http404
    return get_record_for_user(request.user, record_id)


class BucketView(ZenodoView):
    """GET the bucket's contents (owners)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(exclude=True)
    def get(self, request, bucket_id: int):
        record = _bucket_record(request, bucket_id)
        if not record.can_edit(request.user):
            raise Http404
        bucket = record.files_bucket()
        if serializers.files_editable(record):
            versions = [wf.version for wf in storage.working_files(bucket) if wf.version is not None]
        else:
            versions = [current for _fk, current, _h in storage.published_files(bucket)]
        return Response(
            {
                "id": str(bucket.pk),
                "locked": bucket.locked,
                "size": sum(v.instance.size for v in versions),
                "contents": [serializers.files_object(record, v) for v in versions],
                "links": {"self": serializers.bucket_url(record)},
            }
        )


class BucketObjectView(ZenodoView):
    """PUT: the body (streamed) becomes the key's new version; GET: its bytes; DELETE: remove the key."""

    def get_authenticators(self):
        if self.request is not None and self.request.method in ("GET", "HEAD"):
            return [LenientTokenAuthentication()]
        return super().get_authenticators()

    def get_permissions(self):
        if self.request.method in ("GET", "HEAD"):
            return [permissions.AllowAny()]
        return [DepositWrite()]

    @extend_schema(exclude=True)
    def get(self, request, bucket_id: int, key: str):
        record = _bucket_record(request, bucket_id)
        if not record.can_access_files(request.user):
            return error(403, _("The files of this record are not available to you."))
        privileged = record.can_edit(request.user)
        bucket = record.files_bucket()
        try:
            version = None
            if privileged and serializers.files_editable(record):  # the owner reads what they uploaded
                with contextlib.suppress(storage.FileMissing):
                    version = storage.find_version(bucket, key, "draft", privileged=True)
            if version is None:
                version = storage.find_version(bucket, key, None, privileged=privileged)
        except storage.FileMissing as exc:
            return error(404, exc.message)
        return downloads.serve_version(request._request, version, attachment=True)

    @extend_schema(exclude=True)
    def put(self, request, bucket_id: int, key: str):
        record = _bucket_record(request, bucket_id)
        if not record.is_owner(request.user):
            raise Http404
        problem = _editable(record)
        if problem:
            return problem
        raw = request._request
        length = raw.META.get("CONTENT_LENGTH") or ""
        try:
            version = storage.store_stream(
                record.files_bucket(),
                key,
                streams.request_body_reader(raw),
                request.user,
                size=int(length) if length.isdigit() else None,
            )
        except storage.StorageError as exc:
            return storage_error(exc)
        previews.schedule_previews([version.pk])
        return Response(serializers.files_object(record, version), status=201)

    @extend_schema(exclude=True)
    def delete(self, request, bucket_id: int, key: str):
        record = _bucket_record(request, bucket_id)
        if not record.is_owner(request.user):
            raise Http404
        problem = _editable(record)
        if problem:
            return problem
        try:
            storage.remove_file(record.files_bucket(), key, request.user)
        except storage.StorageError as exc:
            return storage_error(exc)
        return Response(status=204)


# --- Records ---------------------------------------------------------------------------------------


def page_size(request) -> int:
    size = request.query_params.get("size", "")
    if size.isdigit() and int(size) > 0:
        return min(int(size), settings.ZENODO_MAX_PAGE_SIZE)
    return settings.API_PAGE_SIZE


def _communities_of(record_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {pk: [] for pk in record_ids}
    links = (
        CommunityRecord.objects.current()
        .filter(record_id__in=record_ids)
        .order_by("community__slug")
        .values_list("record_id", "community__slug")
    )
    for record_id, slug in links:
        found[record_id].append(slug)
    return found


def _withdrawn(record: Record) -> Response:
    return error(
        410, _("This record has been withdrawn. Reason: %(reason)s") % {"reason": record.withdrawal_reason}
    )


def _published(request, pk: int) -> Record | Response:
    record = get_record_for_user(request.user, pk)
    if record.is_withdrawn():
        return _withdrawn(record)
    if record.is_draft():
        raise Http404
    return record


def record_json(
    request,
    record: Record,
    communities: list[str],
    published: list[storage.PublishedFile] | None = None,
    usage: Totals | None = None,
) -> dict:
    return serializers.record(
        record,
        communities=communities,
        show_files=record.can_access_files(request.user),
        published=published,
        usage=usage or stats_services.totals_of(record.pk),
    )


class RecordView(PublicView):
    @extend_schema(exclude=True)
    def get(self, request, pk: int):
        record = _published(request, pk)
        if isinstance(record, Response):
            return record
        return Response(record_json(request, record, _communities_of([record.pk])[record.pk]))


class RecordLatestView(PublicView):
    """Records are not versioned: the latest version of a record is the record itself."""

    @extend_schema(exclude=True)
    def get(self, request, pk: int):
        record = _published(request, pk)
        if isinstance(record, Response):
            return record
        return HttpResponseRedirect(serializers.absolute("record", record.pk))


class RecordVersionsView(PublicView):
    @extend_schema(exclude=True)
    def get(self, request, pk: int):
        record = _published(request, pk)
        if isinstance(record, Response):
            return record
        hit = record_json(request, record, _communities_of([record.pk])[record.pk])
        return Response(
            {"hits": {"hits": [hit], "total": 1}, "links": {"self": request.build_absolute_uri()}}
        )


class RecordFilesView(PublicView):
    @extend_schema(exclude=True)
    def get(self, request, pk: int):
        record = _published(request, pk)
        if isinstance(record, Response):
            return record
        if not record.can_access_files(request.user):
            return error(403, _("The files of this record are not available to you."))
        entries = serializers.record_files(record)
        return Response({"entries": entries, "links": {"self": serializers.absolute("record-files", pk)}})


class RecordFileContentView(PublicView):
    @extend_schema(exclude=True)
    def get(self, request, pk: int, key: str):
        record = _published(request, pk)
        if isinstance(record, Response):
            return record
        if not record.can_access_files(request.user):
            return error(403, _("The files of this record are not available to you."))
        try:
            version = storage.find_version(record.files_bucket(), key, None, privileged=False)
        except storage.FileMissing as exc:
            return error(404, exc.message)
        return downloads.serve_version(request._request, version, attachment=True)


FIELD_QUERY_RE = re.compile(
    r"^\s*(conceptrecid|recid|id|conceptdoi|doi|title)\s*:\s*(.+?)\s*$", re.IGNORECASE
)


def _doi_filter(qs: QuerySet[Record], value: str) -> QuerySet[Record]:
    value = normalize_doi(value)
    if "*" in value or "?" in value:
        pattern = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in value)
        return qs.filter(doi__iregex=f"^{pattern}$")
    return qs.filter(doi__iexact=value)


def field_query(q: str) -> QuerySet[Record] | None:
    """Zenodo's field queries clients use (``conceptrecid:123``, ``doi:"10.…"``, ``title:…``)."""
    match = FIELD_QUERY_RE.match(q)
    if match is None:
        return None
    name, value = match.group(1).lower(), match.group(2).strip("\"'")
    qs = Record.objects.published()
    if name in ("conceptrecid", "recid", "id"):
        return qs.filter(pk=int(value)) if value.isdigit() else qs.none()
    if name in ("conceptdoi", "doi"):
        return _doi_filter(qs, value)
    return qs.filter(metadata__title__icontains=value)


def _aggregations(facets: dict) -> dict:
    return {
        name: {"buckets": [{"key": f.value, "doc_count": f.count} for f in values]}
        for name, values in facets.items()
    }


class RecordListView(PublicView):
    """``?q=&size=&page=&sort=&communities=&type=`` → ``{"hits": {"hits", "total"}, "aggregations", "links"}``."""

    @extend_schema(exclude=True)
    def get(self, request):
        size = page_size(request)
        q = request.query_params.get("q", "")
        direct = field_query(q)
        aggregations: dict = {}
        if direct is not None:
            paginator = Paginator(
                direct.select_related("owner", "bucket").order_by("-published_at", "-id"), size
            )
            page = paginator.get_page(request.query_params.get("page"))
            total = paginator.count
        else:
            query = request.query_params.copy()
            query.setlist("community", query.getlist("communities") + query.getlist("community"))
            if request.query_params.get("sort") in ("mostrecent", "-mostrecent", "newest"):
                query["sort"] = "newest"
            result = search(SearchParams.from_querydict(query, request.user), page_size=size)
            page, total = result.page, result.total
            aggregations = _aggregations(result.facets)
        rows = list(page.object_list)
        communities = _communities_of([r.pk for r in rows])
        files = storage.published_files_by_bucket(r.bucket_id for r in rows if r.bucket_id is not None)
        usage = stats_services.totals(r.pk for r in rows)  # one query for the page
        links = {"self": request.build_absolute_uri()}
        if page.has_next():
            query = request.query_params.copy()
            query["page"] = str(page.next_page_number())
            links["next"] = request.build_absolute_uri("?" + query.urlencode())
        if page.has_previous():
            query = request.query_params.copy()
            query["page"] = str(page.previous_page_number())
            links["prev"] = request.build_absolute_uri("?" + query.urlencode())
        return Response(
            {
                "hits": {
                    "hits": [
                        record_json(
                            request,
                            r,
                            communities[r.pk],
                            files.get(r.bucket_id or 0, []),
                            usage.get(r.pk, Totals()),
                        )
                        for r in rows
                    ],
                    "total": total,
                },
                "aggregations": aggregations,
                "links": links,
            }
        )
