"""The upload API: used by the browser uploader (session + CSRF) and API clients (token, deposit:write).

Resumable protocol (offsets in bytes; bodies of chunks are raw bytes):

- ``POST /api/v1/records/<id>/uploads`` ``{"key": "data/a.csv", "size": 123}`` → 201
  ``{"id", "offset": 0, "size", "key", "url"}``; refused before any byte for a bad name (400), a
  record that cannot change (409) or the quota (413, with ``limit`` and ``used``).
- ``HEAD /api/v1/uploads/<id>`` → ``Upload-Offset`` and ``Upload-Length`` headers (``GET``: JSON).
- ``PATCH /api/v1/uploads/<id>`` with ``Upload-Offset: N`` and ``Content-Length`` → 204 with the new
  ``Upload-Offset``. A wrong offset → 409 ``{"offset": expected}``; past the declared size → 400.
- ``POST /api/v1/uploads/<id>/finish`` (optional ``{"md5", "sha256"}`` to compare) → 201 file JSON;
  409 while a chunk is still being written or another finish runs, and for an upload already finished.
- Starting an upload also checks the owner's allowance across all their drafts (``USER_DRAFT_QUOTA_BYTES``,
  413 with ``limit``, ``used`` and ``"scope": "user"``).
- ``DELETE /api/v1/uploads/<id>`` cancels.

One streaming request: ``PUT /api/v1/records/<id>/files/<key>`` with the bytes as the body.
``DELETE`` on the same URL removes the key from the draft; ``GET /api/v1/records/<id>/files`` lists.
"""

from __future__ import annotations

import unicodedata

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import reader, require_scope
from previews import services as preview_services
from records.access import get_record_for_user
from records.allowances import draft_allowance
from records.files import download_url, files_editable, require_editable
from records.models import Record
from storage import downloads, services, streams
from storage.models import FileVersion, Upload

DepositWrite = require_scope("deposit:write")

FILE_SCHEMA = inline_serializer(
    "StoredFile",
    {
        "key": serializers.CharField(),
        "size": serializers.IntegerField(),
        "md5": serializers.CharField(help_text="md5:<hex>"),
        "sha256": serializers.CharField(help_text="sha256:<hex>"),
        "mimetype": serializers.CharField(),
        "version": serializers.IntegerField(allow_null=True, help_text="null while staged"),
        "staged": serializers.BooleanField(),
        "download": serializers.CharField(),
    },
)
UPLOAD_SCHEMA = inline_serializer(
    "Upload",
    {
        "id": serializers.UUIDField(),
        "key": serializers.CharField(),
        "size": serializers.IntegerField(),
        "offset": serializers.IntegerField(),
        "url": serializers.CharField(),
    },
)
ERROR_SCHEMA = inline_serializer(
    "StorageError", {"message": serializers.CharField(), "code": serializers.CharField()}
)
OFFSET_HEADER = OpenApiParameter("Upload-Offset", int, OpenApiParameter.HEADER, required=True)


def error_response(exc: services.StorageError) -> Response:
    response = Response(exc.as_dict(), status=exc.status)
    if "offset" in exc.details:
        response["Upload-Offset"] = str(exc.details["offset"])
    if isinstance(exc, services.UploadBusy):
        response["Retry-After"] = "1"
    return response


def _unknown_field(data, allowed: tuple[str, ...]) -> Response | None:
    """400 naming the first field of a JSON body that the operation does not know."""
    unknown = sorted(set(data) - set(allowed)) if isinstance(data, dict) else []
    if not unknown:
        return None
    message = _("Unknown field “%(name)s”: send %(fields)s.") % {
        "name": unknown[0],
        "fields": ", ".join(allowed),
    }
    return Response(
        {"message": message, "code": "invalid", "errors": [{"field": f"$.{unknown[0]}", "message": message}]},
        status=400,
    )


def _forbidden(message: str) -> Response:
    return Response({"message": message, "code": "forbidden"}, status=403)


def record_for_owner(request, pk: int) -> Record:
    """The record if the user may see it (drafts: 404 to others); PermissionError unless an owner;
    ``NotEditable`` unless its files may change now."""
    record = get_record_for_user(request.user, pk)
    if not record.is_owner(request.user):
        raise PermissionError(_("Only the owners of a record can change its files."))
    require_editable(record)
    return record


def upload_for_user(request, upload_id) -> tuple[Upload, Record]:
    """The user's own upload and the record whose bucket it fills; 404 for anyone else's."""
    upload = Upload.objects.select_related("bucket", "location").filter(pk=upload_id).first()
    record = Record.objects.filter(bucket=upload.bucket_id).first() if upload is not None else None
    if (
        upload is None
        or record is None
        or upload.created_by_id != request.user.pk
        or not record.is_owner(request.user)
    ):
        raise Http404
    return upload, record


def upload_json(upload: Upload) -> dict:
    return {
        "id": str(upload.pk),
        "key": upload.key,
        "size": upload.size,
        "offset": upload.offset,
        "state": upload.state,
        "created": upload.created.isoformat(),
        "url": reverse("storage:api-upload", args=[upload.pk]),
    }


def version_json(record_id: int, key: str, version: FileVersion | None, **extra) -> dict:
    data = {"key": key, **extra}
    if version is not None:
        instance = version.instance
        data.update(
            size=instance.size,
            md5=instance.md5,
            sha256=instance.sha256,
            mimetype=version.mimetype,
            version=version.number,
            staged=version.is_staged,
            created=version.created.isoformat(),
            download=download_url(record_id, key, None if version.number else "draft"),
        )
    return data


def files_json(record, user) -> dict:
    """The files as ``user`` may see them: the working set for owners, the published ones otherwise."""
    if record.is_owner(user) and files_editable(record):
        working = services.working_files(record.bucket)
        usage = services.usage(record.bucket)
        uploads = record.bucket.uploads.filter(created_by=user) if user.is_authenticated else []
        return {
            "editable": True,
            "files": [
                version_json(
                    record.pk,
                    wf.key,
                    wf.version or wf.current,
                    status=wf.status,
                    versions=[
                        {"version": v.number, "md5": v.instance.md5, "size": v.instance.size}
                        for v in wf.history
                    ],
                )
                for wf in working
            ],
            "uploads": [upload_json(upload) for upload in uploads],
            "usage": {
                "bytes": usage.bytes,
                "files": usage.files,
                "max_bytes": usage.max_bytes,
                "max_files": usage.max_files,
            },
        }
    return {
        "editable": False,
        "files": [
            version_json(record.pk, fk.key, current)
            for fk, current, _history in services.published_files(record.bucket)
        ],
    }


class RecordFilesAPI(APIView):
    """GET: the record's files (owners editing see the staged state and their unfinished uploads)."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 403: ERROR_SCHEMA}, tags=["files"])
    def get(self, request, pk: int):
        user = reader(request)  # a user:read token reads what the public reads
        record = get_record_for_user(user, pk)
        if not record.can_access_files(user):
            return _forbidden(_("The files of this record are not available to you."))
        return Response(files_json(record, user))


class RecordFileAPI(APIView):
    """GET: the file's bytes. PUT: the body becomes a new staged version of the key (one streaming
    request). DELETE: remove it from the draft."""

    def get_permissions(self):
        if self.request.method in ("GET", "HEAD"):
            return [permissions.AllowAny()]
        return [DepositWrite()]

    @extend_schema(
        parameters=[
            OpenApiParameter("version", str, description="an older version's number (owners: draft)"),
        ],
        responses={
            (200, "*/*"): OpenApiTypes.BINARY,
            (206, "*/*"): OpenApiTypes.BINARY,
            304: None,
            403: ERROR_SCHEMA,
            404: ERROR_SCHEMA,
            412: ERROR_SCHEMA,
            416: ERROR_SCHEMA,
            503: ERROR_SCHEMA,
        },
        description="Download (Range and conditional requests honoured); drafts for their owners' tokens too.",
        tags=["files"],
    )
    def get(self, request, pk: int, key: str):
        user = reader(request)  # a token with a deposit scope reads its owner's drafts
        record = get_record_for_user(user, pk)
        if not record.can_access_files(user):
            return _forbidden(_("The files of this record are not available to you."))
        if record.bucket is None:
            raise Http404
        privileged = bool(user.is_authenticated and (user.is_staff or record.is_owner(user)))
        try:
            version = services.find_version(
                record.bucket,
                unicodedata.normalize("NFC", key),
                request.query_params.get("version"),
                privileged=privileged,
            )
        except services.FileMissing:
            raise Http404
        return downloads.serve_version(request._request, version, attachment=True)

    @extend_schema(
        request={"application/octet-stream": OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter("md5", str, description="expected MD5 (hex); a mismatch removes the upload"),
            OpenApiParameter("sha256", str, description="expected SHA-256 (hex)"),
        ],
        responses={
            201: FILE_SCHEMA,
            400: ERROR_SCHEMA,
            409: ERROR_SCHEMA,
            411: ERROR_SCHEMA,
            413: ERROR_SCHEMA,
        },
        description="The request body, streamed, becomes a new staged version of the key (Content-Length required).",
        tags=["files"],
    )
    def put(self, request, pk: int, key: str):
        try:
            record = record_for_owner(request, pk)
        except PermissionError as exc:
            return _forbidden(str(exc))
        except services.StorageError as exc:
            return error_response(exc)
        raw = request._request
        length = raw.META.get("CONTENT_LENGTH")
        if not length or not length.isdigit():
            return Response(
                {
                    "message": _("Send the file with a Content-Length header (its size in bytes)."),
                    "code": "length_required",
                },
                status=411,
            )
        try:
            version = services.store_stream(
                record.files_bucket(),
                key,
                streams.request_body_reader(raw),
                request.user,
                size=int(length),
                md5=request.query_params.get("md5"),
                sha256=request.query_params.get("sha256"),
                allowance=draft_allowance(record),
            )
        except services.StorageError as exc:
            return error_response(exc)
        preview_services.schedule_previews([version.pk])
        return Response(version_json(record.pk, version.file.key, version), status=201)

    @extend_schema(responses={204: None, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA}, tags=["files"])
    def delete(self, request, pk: int, key: str):
        try:
            record = record_for_owner(request, pk)
            services.remove_file(record.files_bucket(), key, request.user)
        except PermissionError as exc:
            return _forbidden(str(exc))
        except services.StorageError as exc:
            return error_response(exc)
        return Response(status=204)


class RestoreFileAPI(APIView):
    """POST ``{"key"}``: undo the staged removal of a key."""

    permission_classes = [DepositWrite]

    @extend_schema(
        request=inline_serializer("RestoreFile", {"key": serializers.CharField()}),
        responses={204: None, 404: ERROR_SCHEMA},
        tags=["files"],
    )
    def post(self, request, pk: int):
        key = request.data.get("key") if isinstance(request.data, dict) else None
        try:
            record = record_for_owner(request, pk)
            services.restore_file(record.files_bucket(), key or "", request.user)
        except PermissionError as exc:
            return _forbidden(str(exc))
        except services.StorageError as exc:
            return error_response(exc)
        return Response(status=204)


class CreateUploadAPI(APIView):
    permission_classes = [DepositWrite]

    @extend_schema(
        request=inline_serializer(
            "NewUpload", {"key": serializers.CharField(), "size": serializers.IntegerField()}
        ),
        responses={201: UPLOAD_SCHEMA, 400: ERROR_SCHEMA, 409: ERROR_SCHEMA, 413: ERROR_SCHEMA},
        description="Start a resumable upload; name, record state and quota are checked before any byte.",
        tags=["uploads"],
    )
    def post(self, request, pk: int):
        data = request.data if isinstance(request.data, dict) else {}
        unknown = _unknown_field(data, ("key", "size"))
        if unknown:
            return unknown
        size = data.get("size")
        if not isinstance(size, int) or isinstance(size, bool):
            return Response(
                {"message": _("Give the file's size in bytes as “size”."), "code": "invalid"}, status=400
            )
        try:
            record = record_for_owner(request, pk)
            upload = services.create_upload(
                record.files_bucket(),
                data.get("key", ""),
                size,
                request.user,
                allowance=draft_allowance(record),
            )
        except PermissionError as exc:
            return _forbidden(str(exc))
        except services.StorageError as exc:
            return error_response(exc)
        response = Response(upload_json(upload), status=201)
        response["Location"] = upload_json(upload)["url"]
        response["Upload-Offset"] = "0"
        return response


class UploadAPI(APIView):
    permission_classes = [DepositWrite]

    def _headers(self, response: Response, upload: Upload) -> Response:
        response["Upload-Offset"] = str(upload.offset)
        response["Upload-Length"] = str(upload.size)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        responses={200: None}, description="The current offset in the Upload-Offset header.", tags=["uploads"]
    )
    def head(self, request, upload_id):
        upload, _record = upload_for_user(request, upload_id)
        return self._headers(Response(status=200), upload)

    @extend_schema(responses={200: UPLOAD_SCHEMA}, tags=["uploads"])
    def get(self, request, upload_id):
        upload, _record = upload_for_user(request, upload_id)
        return self._headers(Response(upload_json(upload)), upload)

    @extend_schema(
        request={"application/offset+octet-stream": OpenApiTypes.BINARY},
        parameters=[OFFSET_HEADER],
        responses={204: None, 400: ERROR_SCHEMA, 409: ERROR_SCHEMA, 411: ERROR_SCHEMA, 507: ERROR_SCHEMA},
        description="Append a chunk at Upload-Offset; 409 with the expected offset when it does not match.",
        tags=["uploads"],
    )
    def patch(self, request, upload_id):
        upload, _record = upload_for_user(request, upload_id)
        raw = request._request
        offset = raw.headers.get("Upload-Offset", request.query_params.get("offset", ""))
        length = raw.META.get("CONTENT_LENGTH") or ""
        if not offset.isdigit():
            return self._headers(
                Response(
                    {
                        "message": _("Send the chunk's start as an Upload-Offset header."),
                        "code": "invalid",
                        "offset": upload.offset,
                    },
                    status=400,
                ),
                upload,
            )
        if not length.isdigit():
            return self._headers(
                Response(
                    {
                        "message": _("Send the chunk with a Content-Length header."),
                        "code": "length_required",
                        "offset": upload.offset,
                    },
                    status=411,
                ),
                upload,
            )
        try:
            upload = services.write_chunk(upload, int(offset), streams.request_body_reader(raw), int(length))
        except services.StorageError as exc:
            return error_response(exc)
        return self._headers(Response(status=204), upload)

    @extend_schema(responses={204: None}, tags=["uploads"])
    def delete(self, request, upload_id):
        upload, _record = upload_for_user(request, upload_id)
        services.cancel_upload(upload, request.user)
        return Response(status=204)


def _already_finished(request, upload_id) -> Response | None:
    """409 for a finish repeated after another one stored the file (its answer lost, or both at once)."""
    finished = (
        FileVersion.objects.select_related("file")
        .filter(instance_id=upload_id, created_by=request.user)
        .first()
    )
    if finished is None:
        return None
    return Response(
        {
            "message": _("This upload was already finished: the file is stored as “%(key)s”.")
            % {"key": finished.file.key},
            "code": "finished",
            "key": finished.file.key,
        },
        status=409,
    )


class FinishUploadAPI(APIView):
    permission_classes = [DepositWrite]

    @extend_schema(
        request=inline_serializer(
            "FinishUpload",
            {"md5": serializers.CharField(required=False), "sha256": serializers.CharField(required=False)},
        ),
        responses={201: FILE_SCHEMA, 400: ERROR_SCHEMA, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA},
        description=(
            "Finish a complete upload. 409 when bytes are still to come, a chunk is still being written, "
            "another finish is under way, or the upload was already finished; 404 when its bytes were lost."
        ),
        tags=["uploads"],
    )
    def post(self, request, upload_id):
        try:
            upload, record = upload_for_user(request, upload_id)
        except Http404:
            answer = _already_finished(request, upload_id)
            if answer is None:
                raise
            return answer
        data = request.data if isinstance(request.data, dict) else {}
        unknown = _unknown_field(data, ("md5", "sha256"))
        if unknown:
            return unknown
        try:
            version = services.finish_upload(
                upload, request.user, md5=data.get("md5"), sha256=data.get("sha256")
            )
        except services.FileMissing as exc:
            return _already_finished(request, upload_id) or error_response(exc)
        except services.StorageError as exc:
            return error_response(exc)
        preview_services.schedule_previews([version.pk])
        return Response(version_json(record.pk, version.file.key, version), status=201)
