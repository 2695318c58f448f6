"""The native API's exception handler: DRF's, then the one error shape of ``/api/v1/``.

``{"status": 400, "message": "…", "errors": [{"field": "$.creators[0].orcid", "messages": ["…"]}]}``;
an unexpected exception is logged and answers 500 in the same shape (the transaction rolled back).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from repository.middleware import error_body

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, RequestDataTooBig):
        message = _("The request body is too large (at most %(count)d bytes).") % {
            "count": settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        }
        return Response(error_body({"message": message}, 413, request), status=413)
    if isinstance(exc, exceptions.NotAuthenticated):
        exc = exceptions.NotAuthenticated(
            _("Sign in, or send a personal access token (Authorization: Bearer <token>).")
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unexpected error in %s", context.get("view").__class__.__name__, exc_info=exc)
        set_rollback()
        return Response(error_body(None, 500, request), status=500)
    response.data = error_body(response.data, response.status_code, request)
    return response
