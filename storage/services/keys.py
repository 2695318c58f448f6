"""Key (file name) rules and MIME types."""

from __future__ import annotations

import mimetypes
import posixpath
import unicodedata

from django.utils.translation import gettext as _

from storage.services.errors import InvalidKey

MAX_KEY_BYTES = 1024
MAX_NAME_BYTES = 255

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_key(key: str) -> str:
    """The NFC form of ``key``, or ``InvalidKey`` naming the rule it breaks."""
    if not isinstance(key, str):
        raise InvalidKey(_("The file name must be text."))
    key = unicodedata.normalize("NFC", key)
    if key == "":
        raise InvalidKey(_("A file name is required."))
    for position, char in enumerate(key):
        # Cc: C0/C1 controls incl. NUL. The bidirectional overrides and isolates (U+202A–E, U+2066–9)
        # are formatting controls that can disguise a name's extension ("txt.exe" shown as "exe.txt").
        if unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS:
            raise InvalidKey(
                _(
                    "File names may not contain NUL or control characters "
                    "(found U+%(code)04X at position %(position)s)."
                )
                % {"code": ord(char), "position": position + 1}
            )
    if key.startswith("/") or key.startswith("\\") or (len(key) > 1 and key[1] == ":" and key[0].isalpha()):
        raise InvalidKey(
            _("Absolute paths are not allowed: start the name with a file or folder name, not “/”.")
        )
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidKey(
            _(
                "The full name with its folders is %(size)s bytes long; at most %(limit)s bytes (UTF-8) are allowed."
            )
            % {"size": len(key.encode("utf-8")), "limit": MAX_KEY_BYTES}
        )
    for segment in key.split("/"):
        # "..\\" too: archive tools on Windows read backslashes as folder separators (zip slip).
        if segment == ".." or ".." in segment.split("\\"):
            raise InvalidKey(_("“..” segments are not allowed in file names."))
        if segment in ("", "."):
            raise InvalidKey(
                _("Empty folder names and “.” segments are not allowed (check for “//” or a trailing “/”).")
            )
        if len(segment.encode("utf-8")) > MAX_NAME_BYTES:
            raise InvalidKey(
                _(
                    "The name “%(name)s…” is %(size)s bytes long; names may be at most %(limit)s bytes (UTF-8)."
                )
                % {"name": segment[:40], "size": len(segment.encode("utf-8")), "limit": MAX_NAME_BYTES}
            )
    return key


def guess_mimetype(key: str) -> str:
    return mimetypes.guess_type(posixpath.basename(key), strict=False)[0] or "application/octet-stream"
