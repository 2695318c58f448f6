"""Request parsing and dispatch: the six verbs, their arguments, and every protocol error.

``handle(params, base_url)`` takes the request's arguments as ``{name: [values]}`` (GET query string or
POST form, already percent-decoded) and returns the response as an iterable of text chunks. Protocol
errors never raise out of here: they become ``<error>`` elements (served with HTTP 200).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from oaipmh import envelope
from oaipmh.envelope import XML_ILLEGAL_RE


class OAIError(Exception):
    """One or more protocol errors: ``OAIError(code, message)`` or ``OAIError.many([(code, message)])``."""

    def __init__(self, code: str = "", message: str = ""):
        super().__init__(message)
        self.items = [(code, message)] if code else []

    @classmethod
    def many(cls, items: list[tuple[str, str]]) -> OAIError:
        error = cls()
        error.items = items
        return error


@dataclass
class Request:
    verb: str
    args: dict[str, str]
    base_url: str
    # parsed values
    from_: dt.datetime | None = None
    until: dt.datetime | None = None
    extras: dict = field(default_factory=dict)

    def echo(self) -> dict[str, str]:
        return {"verb": self.verb, **self.args}


@dataclass(frozen=True)
class Verb:
    handler: Callable[[Request], Iterable[str]]
    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    exclusive: str | None = None

    @property
    def allowed(self) -> frozenset[str]:
        return self.required | self.optional | ({self.exclusive} if self.exclusive else set())


METADATA_PREFIX_RE = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")
SET_SPEC_RE = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*")
DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
SECOND_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def _verbs() -> dict[str, Verb]:
    from oaipmh.verbs import identify, metadata_formats, records, sets

    listing = frozenset({"from", "until", "set"})
    return {
        "Identify": Verb(identify.identify),
        "ListMetadataFormats": Verb(
            metadata_formats.list_metadata_formats, optional=frozenset({"identifier"})
        ),
        "ListSets": Verb(sets.list_sets, exclusive="resumptionToken"),
        "GetRecord": Verb(records.get_record, required=frozenset({"identifier", "metadataPrefix"})),
        "ListIdentifiers": Verb(
            records.list_identifiers, frozenset({"metadataPrefix"}), listing, exclusive="resumptionToken"
        ),
        "ListRecords": Verb(
            records.list_records, frozenset({"metadataPrefix"}), listing, exclusive="resumptionToken"
        ),
    }


def handle(params: dict[str, list[str]], base_url: str) -> Iterable[str]:
    verbs = _verbs()
    verb_values = params.get("verb", [])
    if len(verb_values) != 1 or verb_values[0] not in verbs:
        if not verb_values:
            message = _("The verb argument is missing.")
        elif len(verb_values) > 1:
            message = _("The verb argument is repeated.")
        else:
            message = _("This is not an OAI-PMH verb (verbs are case-sensitive).")
        return [envelope.errors(base_url, None, [("badVerb", message)])]
    name = verb_values[0]
    verb = verbs[name]
    try:
        request = parse(name, verb, params, base_url)
    except OAIError as error:  # badArgument: the request element carries no attributes
        return [envelope.errors(base_url, None, error.items)]
    try:
        return verb.handler(request)
    except OAIError as error:
        return [envelope.errors(base_url, request.echo(), error.items)]


def parse(name: str, verb: Verb, params: dict[str, list[str]], base_url: str) -> Request:
    args = _arguments(name, verb, params)
    if verb.exclusive and verb.exclusive in args:
        if len(args) > 1:
            raise OAIError("badArgument", _("The resumptionToken argument is exclusive: send it alone."))
        if not args[verb.exclusive]:
            raise OAIError("badArgument", _("The resumptionToken argument is empty."))
        return Request(name, args, base_url)
    missing = sorted(verb.required - args.keys())
    if missing:
        raise OAIError(
            "badArgument",
            _("%(verb)s requires the argument(s) %(arguments)s.")
            % {"verb": name, "arguments": ", ".join(missing)},
        )
    _check_values(args)
    request = Request(name, args, base_url)
    request.from_, request.until = parse_range(args.get("from"), args.get("until"))
    return request


def _arguments(name: str, verb: Verb, params: dict[str, list[str]]) -> dict[str, str]:
    """The verb's arguments, each given once and free of XML-illegal characters."""
    args: dict[str, str] = {}
    for key, values in params.items():
        if key == "verb":
            continue
        if key not in verb.allowed:
            raise OAIError(
                "badArgument",
                _("%(verb)s does not take the argument %(argument)s.")
                % {"verb": name, "argument": _clip(key)},
            )
        if len(values) != 1:
            raise OAIError("badArgument", _("The argument %(argument)s is repeated.") % {"argument": key})
        value = values[0]
        if XML_ILLEGAL_RE.search(value):
            raise OAIError(
                "badArgument", _("The argument %(argument)s contains control characters.") % {"argument": key}
            )
        args[key] = value
    return args


def _check_values(args: dict[str, str]) -> None:
    """No empty argument, and metadataPrefix and set in their syntax."""
    for key, value in args.items():
        if not value:
            raise OAIError("badArgument", _("The argument %(argument)s is empty.") % {"argument": key})
    if "metadataPrefix" in args and not METADATA_PREFIX_RE.fullmatch(args["metadataPrefix"]):
        raise OAIError("badArgument", _("The metadataPrefix has characters a prefix cannot have."))
    if "set" in args and not SET_SPEC_RE.fullmatch(args["set"]):
        raise OAIError("badArgument", _("The set argument is not a valid setSpec."))


def _clip(value: str, length: int = 60) -> str:
    return value if len(value) <= length else value[:length] + "…"


def parse_date(value: str, *, upper: bool) -> tuple[dt.datetime, str]:
    """``(datetime, granularity)``; ``upper`` makes the bound inclusive (end of the day or second)."""
    try:
        if DAY_RE.fullmatch(value):
            day = dt.datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=dt.UTC)
            if upper:
                day = day.replace(hour=23, minute=59, second=59, microsecond=999999)
            return day, "day"
        if SECOND_RE.fullmatch(value):
            moment = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            return (moment.replace(microsecond=999999) if upper else moment), "second"
    except ValueError:
        pass
    raise OAIError(
        "badArgument",
        _("%(value)s is not a date: use YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ (UTC).") % {"value": _clip(value)},
    )


def parse_range(
    from_value: str | None, until_value: str | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    lower = upper = None
    granularities = set()
    if from_value is not None:
        lower, granularity = parse_date(from_value, upper=False)
        granularities.add(granularity)
    if until_value is not None:
        upper, granularity = parse_date(until_value, upper=True)
        granularities.add(granularity)
    if len(granularities) > 1:
        raise OAIError("badArgument", _("from and until must have the same granularity."))
    if lower is not None and upper is not None and lower > upper:
        raise OAIError("badArgument", _("from is later than until."))
    return lower, upper
