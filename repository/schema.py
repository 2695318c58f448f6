"""OpenAPI post-processing: every ``/api/v1/`` operation documents the error answers it can give.

The one error shape (``repository.middleware.error_body``) is the ``Error`` component; each
operation lists 400 (malformed JSON, bad input), 401, 403, 404, 405, 406, 413, 415, 429 and 500
with it (the ones a view already declared keep their status, with the shape corrected). Record
reads add 304 and writes 412 (conditional requests). Views that answer HEAD themselves (the upload's
offset) get a HEAD operation, which drf-spectacular leaves out.
"""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "required": ["status", "message", "errors"],
    "properties": {
        "status": {"type": "integer"},
        "message": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "messages"],
                "properties": {
                    "field": {"type": "string", "description": "a JSON path ($.creators[0].orcid) or $"},
                    "messages": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
ERRORS = {
    "400": "The request is malformed or its content invalid",
    "401": "No valid credentials",
    "403": "Not allowed (or the token lacks the scope)",
    "404": "Not found (or not yours to see)",
    "405": "Method not allowed",
    "406": "Not acceptable",
    "409": "Conflicts with the current state",
    "413": "The body is too large",
    "415": "Unsupported media type",
    "429": "Too many requests (see Retry-After)",
    "500": "Unexpected server error",
}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

# OpenAPI links: what a created thing's id leads to (clients and schemathesis' stateful runs follow them)
RECORD_ID = {"id": "$response.body#/id"}
LINKS: dict[tuple[str, str, str], dict[str, tuple[str, dict]]] = {
    ("/api/v1/records", "post", "201"): {
        "GetRecord": ("records_retrieve", RECORD_ID),
        "UpdateRecord": ("records_update", RECORD_ID),
        "RecordFiles": ("v1_records_files_retrieve", RECORD_ID),
        "StartUpload": ("v1_records_uploads_create", RECORD_ID),
        "PutFile": ("v1_records_files_update", RECORD_ID),
        "RecordAction": ("records_action", RECORD_ID),
        "RequestInclusion": ("v1_records_requests_create", RECORD_ID),
    },
    ("/api/v1/records/{id}/uploads", "post", "201"): {
        "GetUpload": ("v1_uploads_retrieve", {"upload_id": "$response.body#/id"}),
        "SendChunk": ("v1_uploads_partial_update", {"upload_id": "$response.body#/id"}),
        "FinishUpload": ("v1_uploads_finish_create", {"upload_id": "$response.body#/id"}),
        "CancelUpload": ("v1_uploads_destroy", {"upload_id": "$response.body#/id"}),
    },
    ("/api/v1/records/{id}/requests", "post", "201"): {
        "GetRequest": ("v1_requests_retrieve", RECORD_ID),
        "Comment": ("v1_requests_comments_create", RECORD_ID),
        "Cancel": ("v1_requests_cancel_create", RECORD_ID),
    },
    ("/api/v1/me/tokens", "post", "201"): {
        "GetToken": ("me_tokens_retrieve", RECORD_ID),
        "RevokeToken": ("me_tokens_revoke", RECORD_ID),
    },
}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        "headers": {"Retry-After": {"schema": {"type": "integer"}}}
        if description.startswith("Too many")
        else {},
    }


def _errors(responses: dict) -> None:
    """The common error statuses, and the one shape for every 4xx/5xx the view declared itself."""
    for status, description in ERRORS.items():
        if status in responses:
            responses[status]["content"] = _error(description)["content"]
        else:
            responses[status] = _error(description)
    for status in list(responses):
        if status[0] in "45" and status not in ERRORS:
            responses[status]["content"] = _error(responses[status].get("description", ""))["content"]


def _conditional(path: str, method: str, responses: dict) -> None:
    """Record reads answer 304 (If-None-Match); record writes and actions 412 (If-Match)."""
    if path == "/api/v1/records/{id}" and method == "get":
        responses["304"] = {"description": "Not modified (If-None-Match)"}
        responses["410"] = responses.get("410") or {"description": "Withdrawn: the tombstone"}
    elif path == "/api/v1/records/{id}" or "/actions/" in path:
        responses["412"] = _error("The record changed since it was read (If-Match)")


def _links(path: str, method: str, responses: dict) -> None:
    for (link_path, link_method, status), links in LINKS.items():
        if (link_path, link_method) == (path, method) and status in responses:
            responses[status]["links"] = {
                name: {"operationId": target, "parameters": parameters}
                for name, (target, parameters) in links.items()
            }


# HEAD answers' headers, by path (drf-spectacular leaves HEAD out: _head_operations puts it back)
HEAD_HEADERS = {
    "/api/v1/uploads/{upload_id}": {
        "Upload-Offset": "The bytes received so far: the next chunk's offset",
        "Upload-Length": "The upload's announced size in bytes",
    },
}


def _head_operations(result: dict, generator) -> None:
    """A HEAD operation beside the GET of every view that answers HEAD itself (uploads: the offset):
    the GET's parameters, and its answers without a body."""
    for path, _regex, method, callback in getattr(generator, "endpoints", None) or []:
        item = result.get("paths", {}).get(path)
        view = getattr(callback, "cls", None)
        if method != "GET" or item is None or "get" not in item or "head" in item:
            continue
        if view is None or "head" not in vars(view):
            continue
        get = item["get"]
        headers = {
            name: {"schema": {"type": "integer"}, "description": description}
            for name, description in HEAD_HEADERS.get(path, {}).items()
        }
        item["head"] = {
            **{
                key: value
                for key, value in get.items()
                if key not in ("responses", "operationId", "requestBody")
            },
            "operationId": get["operationId"].removesuffix("_retrieve") + "_head",
            "description": "The headers of the GET answer, without its body.",
            "responses": {"200": {"description": "The headers, without a body", "headers": headers}},
        }


def _without_bodies(responses: dict) -> None:
    """A HEAD answer has no body: its error answers document the status only."""
    for response in responses.values():
        response.pop("content", None)


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    _head_operations(result, generator)
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method in METHODS:
            operation = item.get(method)
            if operation is not None:
                responses = operation.setdefault("responses", {})
                _errors(responses)
                _conditional(path, method, responses)
                _links(path, method, responses)
                if method == "head":
                    _without_bodies(responses)
    return result
