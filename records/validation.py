"""Record metadata: the JSON Schema (records/schemas/) with its custom formats, cleaning and errors by path.

The schema is the one source of truth for the web form, the APIs and imports. ``validate_metadata``
returns ``FieldError`` objects that carry the path of the offending value, so the APIs report JSON
paths (``$.creators[1].orcid``) and the web form puts each message beside its field.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import html
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import nh3
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker

from identifiers import DOI_RE, normalize_orcid, normalize_ror
from identifiers import strip_doi_prefix as normalize_doi
from records import resource_types

SCHEMA_VERSION = "1.0.0"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / f"record-v{SCHEMA_VERSION}.json"
LICENSES_PATH = Path(__file__).resolve().parent / "data" / "licenses.json"

PARTIAL_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
FULL_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
ARXIV_RE = re.compile(
    r"^(?:arxiv:)?(\d{4}\.\d{4,5}(?:v\d+)?|[a-z\-]+(?:\.[a-z]{2})?/\d{7}(?:v\d+)?)$", re.IGNORECASE
)
TAG_RE = re.compile(r"<[a-zA-Z/!?]")
# NUL and lone surrogates cannot be stored (PostgreSQL's jsonb refuses \u0000; UTF-8 has no
# surrogates): cleaning drops them. Other XML-illegal characters are kept and removed by the exports.
UNSTORABLE_RE = re.compile(r"[\x00\ud800-\udfff]")

# Tags and attributes allowed in the description (rich text). nh3 (ammonia) drops everything else,
# including <script>/<style> with their content, on* attributes and javascript: URLs.
DESCRIPTION_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "sub",
    "sup",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "span",
    "div",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "caption",
}
DESCRIPTION_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "td": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto"}

# Offered first in the form's language choices: the policy prefers English and accepts Swedish.
PREFERRED_LANGUAGES = ("eng", "swe")


@lru_cache(maxsize=1)
def load_schema() -> dict:
    """The record schema, its resource type and subtype rules built from ``records.resource_types``."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schema["properties"]["resource_type"] = resource_type_schema(schema["properties"]["resource_type"])
    return schema


def resource_type_schema(shipped: dict) -> dict:
    """``shipped`` (the file's ``resource_type``) with the types and subtypes of the resource type table:
    a type with subtypes requires one of them, the others allow none."""
    by_type = resource_types.subtypes_by_type()
    rules = [
        {
            "if": {"properties": {"type": {"const": rtype}}},
            "then": {"required": ["subtype"], "properties": {"subtype": {"enum": subtypes}}},
        }
        for rtype, subtypes in by_type.items()
    ]
    rules.append(
        {
            "if": {"properties": {"type": {"not": {"enum": list(by_type)}}}},
            "then": {"not": {"required": ["subtype"]}},
        }
    )
    properties = {**shipped["properties"], "type": {"enum": [row.type for row in resource_types.types()]}}
    return {**shipped, "properties": properties, "allOf": rules}


@lru_cache(maxsize=1)
def licenses() -> dict[str, dict]:
    """The shipped SPDX licence list, by identifier, in the file's order (most used first)."""
    data = json.loads(LICENSES_PATH.read_text(encoding="utf-8"))
    return {entry["id"]: entry for entry in data["licenses"]}


def license_info(identifier: str) -> dict | None:
    return licenses().get(identifier or "")


def schema_enum(*path: str) -> list[str]:
    """An ``enum`` list from the schema, e.g. ``schema_enum("$defs", "relation_type")``."""
    node: Any = load_schema()
    for key in path:
        node = node[key]
    return list(node["enum"])


def resource_subtypes() -> dict[str, list[str]]:
    """Subtypes allowed per resource type (``records.resource_types``)."""
    return resource_types.subtypes_by_type()


# --- Formats ---------------------------------------------------------------------------------

format_checker = FormatChecker(formats=())


def _check_calendar(year: str, month: str | None, day: str | None) -> None:
    if month is None:
        return
    if not 1 <= int(month) <= 12:
        raise ValueError(_("%(month)s is not a month (01–12).") % {"month": month})
    if day is None:
        return
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(_("%(date)s is not a date in the calendar.") % {"date": f"{year}-{month}-{day}"})


@format_checker.checks("partial-date", raises=ValueError)
def is_partial_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    match = PARTIAL_DATE_RE.match(value)
    if not match:
        raise ValueError(_("Enter a date as YYYY, YYYY-MM or YYYY-MM-DD."))
    _check_calendar(*match.groups())
    return True


@format_checker.checks("date", raises=ValueError)
def is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    match = FULL_DATE_RE.match(value)
    if not match:
        raise ValueError(_("Enter a date as YYYY-MM-DD."))
    _check_calendar(*match.groups())
    return True


@format_checker.checks("orcid", raises=ValueError)
def is_orcid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        normalize_orcid(value)
    except ValidationError as exc:
        raise ValueError(exc.messages[0])
    return True


@format_checker.checks("ror", raises=ValueError)
def is_ror(value: object) -> bool:
    if isinstance(value, str):
        normalize_ror(value)
    return True


@format_checker.checks("spdx-license", raises=ValueError)
def is_spdx_license(value: object) -> bool:
    if isinstance(value, str) and value not in licenses():
        raise ValueError(
            _("“%(value)s” is not a licence in the list: choose one from the list.") % {"value": value}
        )
    return True


@lru_cache(maxsize=4096)
def language_name(code: str) -> str:
    """The English name of an ISO 639-3 language ("" if unknown): for validation and exports."""
    import pycountry

    language = pycountry.languages.get(alpha_3=code)
    return language.name if language else ""


@functools.lru_cache(maxsize=8)
def _language_catalog(lang: str):
    import gettext

    import pycountry

    return gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=[lang], fallback=True)


def language_label(code: str) -> str:
    """The name of an ISO 639-3 language in the reader's language (pycountry ships the catalogs)."""
    from django.utils import translation

    name = language_name(code)
    if not name:
        return code
    active = (translation.get_language() or "en").split("-")[0]
    if active == "en":
        return name
    return _language_catalog(active).gettext(name)


@format_checker.checks("iso639-3", raises=ValueError)
def is_iso639_3(value: object) -> bool:
    if isinstance(value, str) and not language_name(value):
        raise ValueError(
            _("“%(value)s” is not an ISO 639-3 language code (e.g. eng, swe).") % {"value": value}
        )
    return True


@format_checker.checks("email", raises=ValueError)
def is_email(value: object) -> bool:
    if isinstance(value, str):
        try:
            EmailValidator()(value)
        except ValidationError:
            raise ValueError(_("Enter a valid e-mail address."))
    return True


@format_checker.checks("uri", raises=ValueError)
def is_uri(value: object) -> bool:
    if isinstance(value, str):
        try:
            URLValidator(schemes=["http", "https", "ftp"])(value)
        except ValidationError:
            raise ValueError(_("Enter a full web address starting with https://."))
    return True


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=format_checker)


# --- Errors -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    path: tuple
    message: str
    code: str = "invalid"

    @property
    def pointer(self) -> str:
        return "".join(f"/{part}" for part in self.path)

    @property
    def jsonpath(self) -> str:
        text = "$"
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else f".{part}"
        return text

    def as_dict(self) -> dict:
        return {"field": self.jsonpath, "pointer": self.pointer, "code": self.code, "message": self.message}


REQUIRED_MESSAGES = {
    "license": lambda: _("Choose a licence: it is required for open and embargoed access."),
    "embargo_date": lambda: _("Give the date the embargo ends."),
    "access_conditions": lambda: _("Describe the conditions under which access is granted."),
    "subtype": lambda: _("Choose a subtype."),
    "creators": lambda: _("Add at least one creator."),
}


def _required_errors(error) -> list[FieldError]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    found = []
    for name in error.validator_value:
        if name not in instance:
            message = REQUIRED_MESSAGES.get(name, lambda: _("This field is required."))()
            found.append(FieldError((*error.absolute_path, name), message, "required"))
    return found


def _size_message(kind: str, value: int, instance: Any) -> tuple[str, str]:
    if kind == "minLength":
        if value <= 1:
            return _("This field cannot be empty."), "required"
        return _("Enter at least %(count)d characters.") % {"count": value}, "min_length"
    if kind == "maxLength":
        return _("Enter at most %(count)d characters (this has %(length)d).") % {
            "count": value,
            "length": len(instance),
        }, "max_length"
    if kind == "maxItems":
        return _("At most %(count)s are allowed (this has %(length)s).") % {
            "count": f"{value:,}",
            "length": f"{len(instance):,}",
        }, "max_items"
    return _("Add at least %(count)d.") % {"count": value}, "required"


def _message(error) -> tuple[str, str]:
    kind, value = error.validator, error.validator_value
    if kind == "format":
        return (str(error.cause) if error.cause else _("This value is not valid.")), "format"
    if kind in ("enum", "const"):
        return _("“%(value)s” is not one of the allowed values.") % {"value": error.instance}, "choice"
    if kind == "type":
        return _("This value has the wrong type (expected %(type)s).") % {"type": value}, "type"
    if kind in ("minLength", "maxLength", "minItems", "maxItems"):
        return _size_message(kind, value, error.instance)
    if kind == "uniqueItems":
        return _("Each value may appear only once."), "duplicate"
    if kind in ("additionalProperties", "unevaluatedProperties"):
        names = ", ".join(re.findall(r"'([^']+)'", error.message.split("(")[-1])) or error.message
        return _("Unknown field(s): %(names)s.") % {"names": names}, "unknown_field"
    if kind == "not":
        return _("A subtype is only allowed for publications and images."), "not_allowed"
    if kind == "pattern":
        return _("This value is not in the expected form."), "pattern"
    return error.message, kind


def _schema_errors(metadata: Any) -> list[FieldError]:
    found: list[FieldError] = []
    for error in validator().iter_errors(metadata):
        if error.validator == "required":
            found.extend(_required_errors(error))
            continue
        if error.validator == "minItems" and error.absolute_path and error.absolute_path[-1] == "creators":
            found.append(FieldError(tuple(error.absolute_path), REQUIRED_MESSAGES["creators"](), "required"))
            continue
        message, code = _message(error)
        found.append(FieldError(tuple(error.absolute_path), message, code))
    return found


def _extra_errors(metadata: dict, today: dt.date) -> list[FieldError]:
    """Rules a JSON Schema cannot say: dates relative to today, identifiers by scheme."""
    found = []
    embargo = metadata.get("embargo_date")
    if (
        metadata.get("access_right") == "embargoed"
        and isinstance(embargo, str)
        and FULL_DATE_RE.match(embargo)
    ):
        try:
            if dt.date.fromisoformat(embargo) <= today:
                found.append(
                    FieldError(
                        ("embargo_date",), _("The embargo end date must be in the future."), "past_date"
                    )
                )
        except ValueError:
            pass  # reported by the date format
    for index, item in enumerate(metadata.get("related_identifiers") or []):
        if not isinstance(item, dict) or not isinstance(item.get("identifier"), str):
            continue
        problem = identifier_problem(item.get("scheme"), item["identifier"])
        if problem:
            found.append(FieldError(("related_identifiers", index, "identifier"), problem, "identifier"))
    return found


def identifier_problem(scheme: Any, identifier: str) -> str | None:
    if scheme == "doi" and not DOI_RE.match(identifier):
        return _("Enter a DOI such as 10.1234/abc.5678.")
    if scheme == "url":
        try:
            URLValidator(schemes=["http", "https", "ftp"])(identifier)
        except ValidationError:
            return _("Enter a full web address starting with https://.")
    if scheme == "arxiv" and not ARXIV_RE.match(identifier):
        return _("Enter an arXiv id such as arXiv:2101.00001.")
    return None


# Problems of size: a draft is never stored with them, even when the web form keeps other errors as typed.
REFUSED_CODES = frozenset({"max_items", "too_deep"})

# Metadata nests at most about six levels (creators → person → affiliations → affiliation → name);
# anything deeper is refused before the recursive cleaning and validation see it.
MAX_METADATA_DEPTH = 16


def nesting_depth(value: Any, limit: int) -> int:
    """How deeply ``value`` nests lists and dicts (a scalar is 0), counted without recursion and
    stopping once past ``limit``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def oversized_lists(metadata: dict) -> list[FieldError]:
    """The top-level lists over their schema's ``maxItems``, found before anything walks them (a
    100,000-creator deposit is refused at once, not cleaned and validated item by item first)."""
    found = []
    properties = load_schema()["properties"]
    for name, value in metadata.items():
        cap = properties.get(name, {}).get("maxItems") if isinstance(name, str) else None
        if cap is not None and isinstance(value, list) and len(value) > cap:
            message, code = _size_message("maxItems", cap, value)
            found.append(FieldError((name,), message, code))
    return found


def too_deep(metadata: Any) -> FieldError | None:
    if nesting_depth(metadata, MAX_METADATA_DEPTH) > MAX_METADATA_DEPTH:
        return FieldError(
            (),
            _("The metadata is nested too deeply (at most %(count)d levels).")
            % {"count": MAX_METADATA_DEPTH},
            "too_deep",
        )
    return None


PRIORITY = {"required": 0, "format": 1, "identifier": 1, "past_date": 1, "choice": 2}


def validate_metadata(
    metadata: Any, *, complete: bool = True, today: dt.date | None = None
) -> list[FieldError]:
    """All problems of ``metadata``, at most one per path (the most specific first).

    ``complete=False`` (saving a draft) accepts missing required fields; everything present
    must still be valid.
    """
    if not isinstance(metadata, dict):
        return [FieldError((), _("The metadata must be a JSON object."), "type")]
    deep = too_deep(metadata)
    if deep:
        return [deep]
    oversized = oversized_lists(metadata)
    if oversized:
        return oversized
    today = today or timezone.localdate()
    errors = _schema_errors(metadata) + _extra_errors(metadata, today)
    if not complete:
        errors = [e for e in errors if e.code != "required"]
    best: dict[tuple, FieldError] = {}
    for error in sorted(errors, key=lambda e: PRIORITY.get(e.code, 5)):
        best.setdefault(error.path, error)
    return sorted(best.values(), key=lambda e: [str(p).zfill(6) for p in e.path])


# --- Cleaning ---------------------------------------------------------------------------------


def sanitize_html(value: str) -> str:
    return nh3.clean(
        value,
        tags=DESCRIPTION_TAGS,
        attributes=DESCRIPTION_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    ).strip()


def plain_text(value: str) -> str:
    """Text fields are plain text: tags (and script/style content) are removed, the rest kept."""
    value = value.strip()
    if TAG_RE.search(value):
        value = html.unescape(nh3.clean(value, tags=set())).strip()
    return value


def _clean_value(value: Any, key: str | None = None) -> Any:
    if isinstance(value, str):
        value = UNSTORABLE_RE.sub("", value)
        return sanitize_html(value) if key == "description" else plain_text(value)
    if isinstance(value, list):
        items = [_clean_value(item) for item in value]
        return [item for item in items if item not in ("", None, {}, [])]
    if isinstance(value, dict):
        cleaned = {UNSTORABLE_RE.sub("", str(k)): _clean_value(v, k) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v not in ("", None, {}, [])}
    return value


def _clean_person(person: Any) -> Any:
    if not isinstance(person, dict):
        return person
    family, given = person.get("family_name"), person.get("given_name")
    if not person.get("name") and isinstance(family, str) and family:
        person["name"] = f"{family}, {given}" if isinstance(given, str) and given else family
    if isinstance(person.get("orcid"), str):
        with contextlib.suppress(ValidationError):  # else kept as typed; the format check reports it
            person["orcid"] = normalize_orcid(person["orcid"])
    for affiliation in person.get("affiliations") or []:
        if isinstance(affiliation, dict) and isinstance(affiliation.get("ror"), str):
            with contextlib.suppress(ValueError):
                affiliation["ror"] = normalize_ror(affiliation["ror"])
    return person


def _dedupe(values: list) -> list:
    seen, result = set(), []
    for value in values:
        marker = json.dumps(value, sort_keys=True)
        if marker not in seen:
            seen.add(marker)
            result.append(value)
    return result


def clean_metadata(metadata: Any) -> Any:
    """Trim, drop empty values, sanitise HTML and normalise identifiers. Invalid values stay as typed."""
    if not isinstance(metadata, dict) or too_deep(metadata) or oversized_lists(metadata):
        return metadata  # refused by validate_metadata
    data = _clean_value(metadata)
    for key in ("creators", "contributors"):
        if isinstance(data.get(key), list):
            data[key] = [_clean_person(p) for p in data[key]]
    if isinstance(data.get("languages"), list):
        data["languages"] = _dedupe([v.lower() if isinstance(v, str) else v for v in data["languages"]])
    if isinstance(data.get("keywords"), list):
        data["keywords"] = _dedupe(data["keywords"])
    for item in data.get("related_identifiers") or []:
        if isinstance(item, dict) and item.get("scheme") == "doi" and isinstance(item.get("identifier"), str):
            item["identifier"] = normalize_doi(item["identifier"])
    for item in data.get("funding") or []:
        funder = item.get("funder") if isinstance(item, dict) else None
        if isinstance(funder, dict) and isinstance(funder.get("ror"), str):
            with contextlib.suppress(ValueError):
                funder["ror"] = normalize_ror(funder["ror"])
    if data.get("access_right") not in ("embargoed", None):
        data.pop("embargo_date", None)
    return data


# --- JSON text depth (checked before parsing: the parser recurses once per level) -------------------

JSON_STRING_RE = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
JSON_BRACKET_RE = re.compile(rb"[\[\]{}]")


def json_text_depth(raw: bytes) -> int:
    """The deepest nesting of ``[`` and ``{`` in a JSON text (brackets inside strings ignored)."""
    depth = deepest = 0
    for match in JSON_BRACKET_RE.finditer(JSON_STRING_RE.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest
