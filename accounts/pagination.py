"""Cursor pagination for the native API's lists: ``next`` and ``previous`` links, no depth ceiling.

The links never echo a token sent as ``?access_token=``; a cursor that is not one of its links is a
400 naming ``$.cursor`` (DRF answers 404). Shared by every app's API (accounts is the lowest app with
one).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

from accounts.redact import strip_token_from_url


class ApiCursorPagination(CursorPagination):
    ordering = ("-id",)
    page_size_query_param = "size"

    def __init__(self):
        self.page_size = settings.API_PAGE_SIZE
        self.max_page_size = max(settings.API_PAGE_SIZE, 100)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            message = _("Not a cursor of this list: follow a “next” or “previous” link.")
            raise ValidationError({"cursor": [message]}) from exc

    def encode_cursor(self, cursor):
        return strip_token_from_url(super().encode_cursor(cursor))


def cursor_pagination(*fields: str) -> type[ApiCursorPagination]:
    """A paginator class ordered by ``fields`` (the last one unique, e.g. ``"-id"``)."""
    return type("ApiCursorPagination", (ApiCursorPagination,), {"ordering": fields})
