"""The API's JSON parser: DRF's, with a nesting limit checked before anything recurses.

Python's ``json`` (and everything that walks the parsed value afterwards) recurses once per level:
a body nested about 1,000 deep raised ``RecursionError`` (a 500). The depth is counted on the raw
text first (strings blanked out, then the brackets counted), so a too-deep body is a 400 naming the
limit (``JSON_MAX_DEPTH``) and is never parsed.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from records.validation import json_text_depth


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        limit = settings.JSON_MAX_DEPTH
        if json_text_depth(raw) > limit:
            raise ParseError(
                _("The JSON body is nested too deeply (at most %(count)d levels).") % {"count": limit}
            )
        return super().parse(io.BytesIO(raw), media_type, parser_context)
