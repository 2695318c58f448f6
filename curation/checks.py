"""Automated policy checks shown to curators: pass, fail or unknown, each with its reason.

The checks inform; the curator decides. Each community configures them (``Community.check_rules``:
``{rule key: {"enabled": bool, …params}}``; missing keys take the rule's defaults below), so nothing
here is specific to Stockholm AI except the defaults.

A result is stored as JSON on the request (``key``, ``status``, ``code``, ``params``) and its reason
is formatted when shown, in the reader's language.
"""

from __future__ import annotations

import abc
import html
import re
import threading
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from curation.models import CheckStatus
from identifiers import ror_id
from storage.sizes import format_size

# --- Results ----------------------------------------------------------------------------------

REASONS = {
    # affiliation
    "affiliation.match": _("%(creator)s: “%(affiliation)s” matches %(organisation)s in the registry."),
    "affiliation.ror": _("%(creator)s: the ROR id %(ror)s is %(organisation)s."),
    "affiliation.none": _("No creator gives an affiliation."),
    "affiliation.city_only": _(
        "No affiliation is in the registry of %(city)s organisations, but “%(affiliation)s” mentions "
        "%(city)s: check it by hand."
    ),
    "affiliation.no_match": _(
        "None of the affiliations (%(affiliations)s) is a registered %(city)s organisation."
    ),
    # language
    "language.metadata_ok": _("The metadata gives %(languages)s."),
    "language.metadata_ok_detected": _(
        "The metadata gives %(languages)s; the title and description read as %(detected)s."
    ),
    "language.metadata_other": _("The metadata gives %(languages)s; this community accepts %(allowed)s."),
    "language.metadata_mismatch": _(
        "The metadata gives %(languages)s, but the title and description read as %(detected)s."
    ),
    "language.detected_ok": _("No language in the metadata; the title and description read as %(detected)s."),
    "language.detected_other": _(
        "No language in the metadata; the title and description read as %(detected)s, and this community "
        "accepts %(allowed)s."
    ),
    "language.undetermined": _(
        "No language in the metadata, and the title and description are too short to tell."
    ),
    # access
    "access.ok": _("Open access under the licence %(license)s."),
    "access.ok_no_license_needed": _("Access: %(access)s."),
    "access.not_allowed": _("The files are %(access)s; this community accepts %(allowed)s."),
    "access.no_license": _("The files are %(access)s but the record has no licence."),
    # size
    "size.ok": _("The files total %(size)s, within the limit of %(limit)s."),
    "size.no_limit": _("The files total %(size)s; the community sets no limit."),
    "size.too_big": _("The files total %(size)s, more than the limit of %(limit)s."),
    "size.unavailable": _("The files' sizes are not available."),
}


@dataclass
class CheckResult:
    key: str
    status: str
    code: str
    params: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict) -> CheckResult:
        return cls(
            data.get("key", ""),
            data.get("status", CheckStatus.UNKNOWN),
            data.get("code", ""),
            data.get("params") or {},
        )

    def as_json(self) -> dict:
        return {"key": self.key, "status": self.status, "code": self.code, "params": self.params}

    @property
    def label(self) -> str:
        rule = RULES.get(self.key)
        return str(rule.label) if rule else self.key

    @property
    def reason(self) -> str:
        template = REASONS.get(self.code)
        if template is None:
            return ""
        params = dict(self.params)
        for key in ("size", "limit"):
            if isinstance(params.get(key), int):
                params[key] = format_size(params[key])
        try:
            return str(template) % params
        except (KeyError, TypeError, ValueError):
            return str(template)

    @property
    def status_label(self) -> str:
        return str(CheckStatus(self.status).label) if self.status in CheckStatus.values else self.status


def overall_status(results: list[CheckResult]) -> str:
    statuses = {r.status for r in results}
    if CheckStatus.FAIL in statuses:
        return CheckStatus.FAIL
    if CheckStatus.UNKNOWN in statuses:
        return CheckStatus.UNKNOWN
    return CheckStatus.PASS


# --- Text normalisation and the organisation registry -------------------------------------------

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalize_name(value: str) -> str:
    """Case-, punctuation- and diacritic-insensitive form: "Södertörns Högskola!" → "sodertorns hogskola"."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", stripped.casefold()).strip()


def _segments(affiliation: str) -> set[str]:
    """The parts of an affiliation between commas, semicolons, slashes, brackets and dashes, normalised."""
    parts = re.split(r"[,;/()\[\]|–—]+|\s-\s", affiliation or "")
    return {normalize_name(p) for p in parts if normalize_name(p)}


class Registry:
    """A matching index over the active organisations of one city."""

    SHORT = 4  # a name this short (normalised) is matched like an acronym: as a whole part only

    def __init__(self, organisations):
        self.by_ror: dict[str, object] = {}
        self.phrases: list[tuple[str, object]] = []
        self.exact: dict[str, object] = {}
        for org in organisations:
            if org.ror:
                self.by_ror[ror_id(org.ror)] = org
            for name in org.all_names():
                norm = normalize_name(name)
                if not norm:
                    continue
                if len(norm) <= self.SHORT:
                    self.exact.setdefault(norm, org)
                else:
                    self.phrases.append((norm, org))
            for acronym in org.acronyms:
                norm = normalize_name(acronym)
                if norm:
                    self.exact.setdefault(norm, org)
        # Longest phrases first, so "karolinska university hospital" wins over "karolinska".
        self.phrases.sort(key=lambda item: -len(item[0]))

    @classmethod
    def for_city(cls, city: str) -> Registry:
        from curation.models import Organisation

        return cls(Organisation.objects.filter(active=True, city__iexact=city))

    def match(self, affiliation: dict | str):
        """The registered organisation this affiliation names, or None."""
        if isinstance(affiliation, dict):
            ror = ror_id(affiliation.get("ror", ""))
            if ror and ror in self.by_ror:
                return self.by_ror[ror]
            name = affiliation.get("name", "")
        else:
            name = affiliation
        padded = f" {normalize_name(name)} "
        for phrase, org in self.phrases:
            if f" {phrase} " in padded:
                return org
        for segment in _segments(name):
            if segment in self.exact:
                return self.exact[segment]
        return None

    def match_ror(self, affiliation: dict):
        ror = ror_id(affiliation.get("ror", "")) if isinstance(affiliation, dict) else ""
        return self.by_ror.get(ror) if ror else None


# --- Language detection (py3langid, offline) ----------------------------------------------------

_identifiers: dict[tuple[str, ...] | None, object] = {}
_identifiers_lock = threading.Lock()


def _identifier(languages: tuple[str, ...] | None):
    """A py3langid identifier, restricted to ``languages`` (ISO 639-1) or over all its languages."""
    with _identifiers_lock:
        if languages not in _identifiers:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            if languages:
                identifier.set_languages(list(languages))
            _identifiers[languages] = identifier
        return _identifiers[languages]


def _alpha2(code3: str) -> str | None:
    import pycountry

    language = pycountry.languages.get(alpha_3=code3)
    return getattr(language, "alpha_2", None) if language else None


def _alpha3(code2: str) -> str:
    import pycountry

    language = pycountry.languages.get(alpha_2=code2)
    return getattr(language, "alpha_3", code2) if language else code2


def language_name(code3: str) -> str:
    from records.validation import language_label

    return language_label(code3)


def _names(codes) -> str:
    return ", ".join(language_name(c) for c in codes)


MIN_DETECT_CHARS = 12  # shorter text (a two-word title) is not worth a guess
OTHER_LANGUAGE_CONFIDENCE = 0.9
ALLOWED_LANGUAGE_CONFIDENCE = 0.8


def detect_language(text: str, allowed3: list[str]) -> tuple[str | None, bool]:
    """The ISO 639-3 code the text reads as, and whether that is one of ``allowed3``; (None, False) if unsure.

    Restricted to the allowed languages, py3langid tells English from Swedish reliably even in short
    titles; an unrestricted pass with high confidence catches text in a third language.
    """
    text = " ".join(text.split())
    if len(text) < MIN_DETECT_CHARS:
        return None, False
    allowed2 = tuple(sorted({a for a in (_alpha2(c) for c in allowed3) if a}))
    full_code, full_p = _identifier(None).classify(text)
    if full_code not in allowed2 and full_p >= OTHER_LANGUAGE_CONFIDENCE:
        return _alpha3(full_code), False
    if not allowed2:
        return None, False
    if len(allowed2) == 1:
        return (allowed3[0], True) if full_code == allowed2[0] else (None, False)
    code, p = _identifier(allowed2).classify(text)
    if p >= ALLOWED_LANGUAGE_CONFIDENCE:
        return _alpha3(code), True
    return None, False


# --- Rules ------------------------------------------------------------------------------------


class Rule(abc.ABC):
    key = ""
    label = ""
    help = ""
    defaults: dict = {}

    @abc.abstractmethod
    def run(self, record, community, params: dict) -> CheckResult:
        """Check ``record`` against this rule for ``community`` with the owners' ``params``."""

    def result(self, status: str, code: str, **params) -> CheckResult:
        return CheckResult(self.key, status, code, params)


class AffiliationRule(Rule):
    key = "affiliation"
    label = _("Affiliation")
    help = _("At least one creator is affiliated with a registered organisation of the city.")
    defaults = {"city": "Stockholm"}

    def run(self, record, community, params):
        city = params.get("city") or self.defaults["city"]
        creators = record.metadata.get("creators") or []
        given = [
            (creator.get("name", ""), aff)
            for creator in creators
            for aff in creator.get("affiliations") or []
            if (aff.get("name") or aff.get("ror"))
        ]
        if not given:
            return self.result(CheckStatus.UNKNOWN, "affiliation.none")
        registry = Registry.for_city(city)
        for creator, aff in given:
            org = registry.match_ror(aff)
            if org is not None:
                return self.result(
                    CheckStatus.PASS,
                    "affiliation.ror",
                    creator=creator,
                    ror=ror_id(aff["ror"]),
                    organisation=org.name,
                )
        for creator, aff in given:
            org = registry.match(aff.get("name", ""))
            if org is not None:
                return self.result(
                    CheckStatus.PASS,
                    "affiliation.match",
                    creator=creator,
                    affiliation=aff.get("name", ""),
                    organisation=org.name,
                )
        city_norm = normalize_name(city)
        for _creator, aff in given:
            if f" {city_norm} " in f" {normalize_name(aff.get('name', ''))} ":
                return self.result(
                    CheckStatus.UNKNOWN, "affiliation.city_only", affiliation=aff.get("name", ""), city=city
                )
        names = "; ".join(dict.fromkeys(aff.get("name") or aff.get("ror", "") for _c, aff in given))
        return self.result(CheckStatus.FAIL, "affiliation.no_match", affiliations=names, city=city)


def _plain(value: str) -> str:
    import nh3

    return html.unescape(nh3.clean(value or "", tags=set()))


class LanguageRule(Rule):
    key = "language"
    label = _("Language")
    help = _("The metadata's language, and the language the title and description read as.")
    defaults = {"languages": ["eng", "swe"]}

    def run(self, record, community, params):
        allowed = [c for c in params.get("languages") or self.defaults["languages"] if c]
        metadata = record.metadata
        given = [c for c in metadata.get("languages") or [] if c]
        text = " ".join([metadata.get("title", ""), _plain(metadata.get("description", ""))])
        detected, detected_ok = detect_language(text, allowed)
        allowed_names = _names(allowed)
        if given:
            if not any(c in allowed for c in given):
                return self.result(
                    CheckStatus.FAIL,
                    "language.metadata_other",
                    languages=_names(given),
                    allowed=allowed_names,
                )
            if detected and not detected_ok:
                return self.result(
                    CheckStatus.FAIL,
                    "language.metadata_mismatch",
                    languages=_names(given),
                    detected=language_name(detected),
                )
            if detected:
                return self.result(
                    CheckStatus.PASS,
                    "language.metadata_ok_detected",
                    languages=_names(given),
                    detected=language_name(detected),
                )
            return self.result(CheckStatus.PASS, "language.metadata_ok", languages=_names(given))
        if detected is None:
            return self.result(CheckStatus.UNKNOWN, "language.undetermined")
        if detected_ok:
            return self.result(CheckStatus.PASS, "language.detected_ok", detected=language_name(detected))
        return self.result(
            CheckStatus.FAIL,
            "language.detected_other",
            detected=language_name(detected),
            allowed=allowed_names,
        )


ACCESS_LABELS = {
    "open": _("open access"),
    "embargoed": _("embargoed"),
    "restricted": _("restricted"),
    "closed": _("closed access"),
}


class AccessRule(Rule):
    key = "access"
    label = _("Access and licence")
    help = _("The access right is one the community accepts, and public files have a licence.")
    defaults = {"access_rights": ["open"], "require_license": True}

    def run(self, record, community, params):
        allowed = params.get("access_rights") or self.defaults["access_rights"]
        require_license = params.get("require_license", self.defaults["require_license"])
        access = record.metadata.get("access_right") or "open"
        license_id = record.metadata.get("license", "")
        label = str(ACCESS_LABELS.get(access, access))
        if access not in allowed:
            names = ", ".join(str(ACCESS_LABELS.get(a, a)) for a in allowed)
            return self.result(CheckStatus.FAIL, "access.not_allowed", access=label, allowed=names)
        if access in ("open", "embargoed") and require_license and not license_id:
            return self.result(CheckStatus.FAIL, "access.no_license", access=label)
        if license_id:
            return self.result(CheckStatus.PASS, "access.ok", license=license_id)
        return self.result(CheckStatus.PASS, "access.ok_no_license_needed", access=label)


def record_files_size(record) -> int | None:
    """The total size of the record's current files, or None while the storage app cannot tell."""
    try:
        from storage.services import current_files
    except ImportError:
        return None
    total = 0
    for item in current_files(record.bucket):
        size = getattr(item, "size", None)
        if size is None and isinstance(item, dict):
            size = item.get("size")
        if size is None:
            return None
        total += int(size)
    return total


class SizeRule(Rule):
    key = "size"
    label = _("Size")
    help = _("The record's files fit within the community's size limit.")
    defaults: dict = {}

    def run(self, record, community, params):
        size = record_files_size(record)
        if size is None:
            return self.result(CheckStatus.UNKNOWN, "size.unavailable")
        limit = community.size_limit_bytes
        if not limit:
            return self.result(CheckStatus.PASS, "size.no_limit", size=size)
        if size > limit:
            return self.result(CheckStatus.FAIL, "size.too_big", size=size, limit=limit)
        return self.result(CheckStatus.PASS, "size.ok", size=size, limit=limit)


RULES: dict[str, Rule] = {
    rule.key: rule for rule in (AffiliationRule(), LanguageRule(), AccessRule(), SizeRule())
}


def rule_config(community) -> dict[str, dict]:
    """Each rule's effective configuration for ``community``: defaults overlaid by its settings."""
    configured = community.check_rules or {}
    config = {}
    for key, rule in RULES.items():
        own = configured.get(key) or {}
        config[key] = {"enabled": True, **rule.defaults, **own}
    return config


def run_checks(record, community) -> list[CheckResult]:
    results = []
    for key, params in rule_config(community).items():
        if params.get("enabled", True):
            results.append(RULES[key].run(record, community, params))
    return results
