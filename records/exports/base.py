"""What every export format shares: the public view of a record and the cleaning rules.

Each format module (``json``, ``datacite``, ``dc``, ``marcxml``, ``bibtex``, ``csl``, ``jsonld``,
``citation``) takes an :class:`ExportRecord` (or a ``Record``, converted with
:func:`as_export_record`). Building the ``ExportRecord`` is where the two export-wide rules are
enforced, once for all formats:

* private fields (``contact_email``) are dropped and anything that looks like an e-mail address is
  removed from every string (the policy: metadata is CC0 *except e-mail addresses*);
* characters that are illegal in XML 1.0 are removed from every string.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import quote

import pycountry
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.urls import NoReverseMatch, reverse
from lxml import etree
from lxml import html as lxml_html

from communities.models import Community
from identifiers import bare_doi, doi_url
from records.models import CommunityRecord
from records.resource_types import ResourceType, by_id
from records.validation import license_info as shipped_license
from storage import services as storage_services
from storage.models import FileVersion, VersionState

PRIVATE_FIELDS = frozenset({"contact_email"})

# XML 1.0 Char production, negated: C0 controls except tab/LF/CR, lone surrogates, U+FFFE/U+FFFF.
XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Generous: anything shaped like local@domain.tld goes (URLs' userinfo and query values too). The
# local part excludes "/" so handles in URL paths (``medium.com/@user.name``) stay intact.
EMAIL_RE = re.compile(r"[\w.!#$%&'*+=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
EMAIL_REPLACEMENT = "[e-mail address removed]"


ACCESS_RIGHT_URIS = {
    "open": "info:eu-repo/semantics/openAccess",
    "embargoed": "info:eu-repo/semantics/embargoedAccess",
    "restricted": "info:eu-repo/semantics/restrictedAccess",
    "closed": "info:eu-repo/semantics/closedAccess",
}
ACCESS_RIGHT_LABELS = {
    "open": "Open Access",
    "embargoed": "Embargoed Access",
    "restricted": "Restricted Access",
    "closed": "Closed Access",
}

# A thesis's level (the record's optional ``thesis_level``) → its label (DataCite resourceType text),
# info:eu-repo type (oai_dc), BibTeX entry type and APA description. A thesis without a level keeps
# its resource type's row (records.resource_types).
THESIS_LEVELS = {
    "bachelor": ("Bachelor thesis", "bachelorThesis", "thesis", "Bachelor's thesis"),
    "master": ("Master thesis", "masterThesis", "mastersthesis", "Master's thesis"),
    "doctoral": ("Doctoral thesis", "doctoralThesis", "phdthesis", "Doctoral dissertation"),
}


def thesis_level(metadata: dict) -> str:
    """``bachelor``, ``master`` or ``doctoral`` for a thesis that names its level, else ``""``."""
    if resource_type_id(metadata) != "publication-thesis":
        return ""
    level = metadata.get("thesis_level") or ""
    return level if level in THESIS_LEVELS else ""


# --- Cleaning ---------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """Remove XML-illegal characters and e-mail addresses from one string."""
    return EMAIL_RE.sub(EMAIL_REPLACEMENT, XML_ILLEGAL_RE.sub("", value))


def clean(value: Any) -> Any:
    """``clean_text`` applied to every string (keys included) of a JSON-like value."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def public_metadata(metadata: dict) -> dict:
    """The metadata as it may be exported: private fields dropped, every string cleaned."""
    return clean({k: v for k, v in (metadata or {}).items() if k not in PRIVATE_FIELDS})


_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "blockquote",
    "tr",
    "hr",
}


def html_to_text(html: str) -> str:
    """Plain text of a (sanitised) HTML fragment: tags dropped, entities decoded, one line per block."""
    if not html or not html.strip():
        return ""
    html = XML_ILLEGAL_RE.sub("", html)  # lxml refuses them (ValueError) before it parses anything
    try:
        root = lxml_html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return clean_text(" ".join(re.sub(r"<[^>]*>", " ", html).split()))
    etree.strip_elements(root, etree.Comment, "script", "style", with_tail=False)
    for el in root.iter():
        # Source line breaks are plain spaces in HTML; only block boundaries start new lines.
        el.text = re.sub(r"\s+", " ", el.text) if el.text else el.text
        el.tail = re.sub(r"\s+", " ", el.tail) if el.tail else el.tail
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag in _BLOCK_TAGS:
            el.tail = "\n" + (el.tail or "")
            if tag == "li":
                el.text = "• " + (el.text or "")
    lines = (line.strip() for line in root.text_content().splitlines())
    return clean_text("\n".join(line for line in lines if line))


def ascii_slug(value: str) -> str:
    """Lower-case ASCII letters and digits only (for citation keys)."""
    decomposed = unicodedata.normalize("NFKD", value)
    return re.sub(r"[^a-z0-9]", "", decomposed.encode("ascii", "ignore").decode().lower())


# --- Identifiers ----------------------------------------------------------------------------


def is_url(value: str) -> bool:
    return bool(re.match(r"^https?://\S+$", value or ""))


def related_identifier_text(rel: dict) -> str:
    """A related identifier as one string: URLs as they are, others as ``scheme:identifier``."""
    scheme, identifier = rel.get("scheme", ""), rel.get("identifier", "")
    if scheme == "doi":
        identifier = bare_doi(identifier) or identifier
    if is_url(identifier):
        return identifier
    if not scheme or identifier.lower().startswith(scheme + ":"):
        return identifier
    return f"{scheme}:{identifier}"


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# --- Dates, languages, licences -----------------------------------------------------------


def date_parts(value: str) -> list[int]:
    """``[2024]``, ``[2024, 5]`` or ``[2024, 5, 1]`` from a partial ISO date; ``[]`` if unparseable."""
    match = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value or "")
    if not match:
        return []
    return [int(part) for part in match.groups() if part]


def _language(code: str):
    return pycountry.languages.get(alpha_3=(code or "").lower()) if code else None


def language_bcp47(code: str) -> str:
    """ISO 639-3 → a BCP 47 tag: the ISO 639-1 code where one exists (``eng`` → ``en``), else the code."""
    language = _language(code)
    return getattr(language, "alpha_2", None) or (code or "").lower()


def language_marc(code: str) -> str:
    """ISO 639-3 → MARC language code (ISO 639-2/B where it differs: ``deu`` → ``ger``)."""
    language = _language(code)
    return getattr(language, "bibliographic", None) or (code or "").lower()


def language_name(code: str) -> str:
    language = _language(code)
    return getattr(language, "name", None) or code


def license_info(spdx_id: str) -> dict:
    """``{"id", "title", "url"}`` for an SPDX licence id.

    Titles and canonical URLs come from the licence list the records app ships
    (``records/data/licenses.json``); an id missing there keeps the id as its title.
    """
    if not spdx_id:
        return {}
    info = {"id": spdx_id, "title": spdx_id, "url": _fallback_license_url(spdx_id)}
    entry = shipped_license(spdx_id)
    if entry:
        info["title"] = entry.get("name") or spdx_id
        info["url"] = entry.get("url") or info["url"]
    return clean(info)


def _fallback_license_url(spdx_id: str) -> str:
    if spdx_id == "CC0-1.0":
        return "https://creativecommons.org/publicdomain/zero/1.0/legalcode"
    match = re.fullmatch(r"CC-(BY(?:-NC)?(?:-ND|-SA)?)-(\d\.\d)", spdx_id)
    if match:
        return f"https://creativecommons.org/licenses/{match.group(1).lower()}/{match.group(2)}/legalcode"
    return f"https://spdx.org/licenses/{spdx_id}.html"


def resource_type_id(metadata: dict) -> str:
    """``publication-article``, ``image-figure``, ``dataset``… (Zenodo's ids)."""
    rt = metadata.get("resource_type") or {}
    kind = rt.get("type") or "other"
    return f"{kind}-{rt['subtype']}" if rt.get("subtype") else kind


def resource_type(metadata: dict) -> ResourceType:
    """The row of ``records.resource_types`` (labels and every format's crosswalk) of the record's type."""
    return by_id(resource_type_id(metadata))


def resource_type_label(metadata: dict) -> str:
    """The type's label in English (exports are in English; the site translates its own labels);
    a thesis's level names it (``Master thesis``)."""
    level = thesis_level(metadata)
    return THESIS_LEVELS[level][0] if level else resource_type(metadata).label


# --- The record as exported -------------------------------------------------------------------


@dataclass
class ExportRecord:
    """The public view of a record that every export format is built from (already cleaned)."""

    id: int
    doi: str
    metadata: dict
    state: str = "published"
    created: datetime | None = None
    updated: datetime | None = None
    published_at: datetime | None = None
    datestamp: datetime | None = None
    withdrawn_at: datetime | None = None
    landing_url: str = ""
    files: list[dict] = field(default_factory=list)
    communities: list[dict] = field(default_factory=list)

    @classmethod
    def from_record(cls, record) -> ExportRecord:
        return cls._build(record, _public_files(record), _communities(record))

    @classmethod
    def from_records(cls, records) -> list[ExportRecord]:
        """``[from_record(r) for r in records]`` in at most two queries in all (files, communities),
        for bulk rendering (OAI-PMH payloads); the same result record by record."""
        records = list(records)
        files = _public_files_of(records)
        communities = _communities_of(records)
        return [cls._build(r, files.get(r.pk, []), communities.get(r.pk, [])) for r in records]

    @classmethod
    def _build(cls, record, files: list[dict], communities: list[dict]) -> ExportRecord:
        return cls(
            id=record.pk,
            doi=clean_text(record.doi or ""),
            metadata=public_metadata(record.metadata),
            state=str(record.state),
            created=record.created,
            updated=record.updated,
            published_at=record.published_at,
            datestamp=record.datestamp,
            withdrawn_at=getattr(record, "withdrawn_at", None),
            landing_url=site_url(_landing_path(record)),
            files=files,
            communities=communities,
        )

    # Convenience accessors shared by the formats.
    @property
    def title(self) -> str:
        return self.metadata.get("title", "")

    @property
    def doi_url(self) -> str:
        return doi_url(self.doi)

    @property
    def url(self) -> str:
        """The preferred link: the DOI URL, else the landing page."""
        return self.doi_url or self.landing_url

    @property
    def creators(self) -> list[dict]:
        return self.metadata.get("creators") or []

    @property
    def contributors(self) -> list[dict]:
        return self.metadata.get("contributors") or []

    @property
    def publication_date(self) -> str:
        return self.metadata.get("publication_date") or ""

    @property
    def year(self) -> str:
        parts = date_parts(self.publication_date)
        if parts:
            return f"{parts[0]:04d}"
        when = self.published_at or self.created
        return f"{when.year:04d}" if when else ""

    @property
    def publisher(self) -> str:
        return self.metadata.get("publisher") or clean_text(settings.SITE_NAME)

    @property
    def access_right(self) -> str:
        return self.metadata.get("access_right") or "open"

    @property
    def license(self) -> dict:
        return license_info(self.metadata.get("license", ""))

    @cached_property  # every format asks for it, and the HTML is parsed to get it
    def description_text(self) -> str:
        return html_to_text(self.metadata.get("description", ""))

    @property
    def resource_type_id(self) -> str:
        return resource_type_id(self.metadata)

    @property
    def resource_type(self) -> ResourceType:
        return resource_type(self.metadata)

    @property
    def resource_type_label(self) -> str:
        return resource_type_label(self.metadata)

    @property
    def languages(self) -> list[str]:
        return self.metadata.get("languages") or []

    @property
    def keywords(self) -> list[str]:
        return self.metadata.get("keywords") or []

    @property
    def last_modified(self) -> datetime | None:
        return self.datestamp or self.updated or self.published_at or self.created

    def file_url(self, key: str) -> str:
        return site_url(f"/records/{self.id}/files/{quote(key, safe='/')}")

    def export_url(self, fmt: str) -> str:
        try:
            return site_url(reverse("record-export", args=[self.id, fmt]))
        except NoReverseMatch:
            return site_url(f"/records/{self.id}/export/{fmt}")


def embargo_start(rec: ExportRecord) -> str:
    """An embargo's start (OpenAIRE's ``Accepted`` date): the publication date when it is a full
    date, else the day the record was published."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", rec.publication_date):
        return rec.publication_date
    when = rec.published_at or rec.created
    return when.date().isoformat() if when else ""


def as_export_record(record) -> ExportRecord:
    """An ``ExportRecord`` as is, or one built from a ``Record``."""
    return record if isinstance(record, ExportRecord) else ExportRecord.from_record(record)


def _landing_path(record) -> str:
    try:
        return record.get_absolute_url()
    except NoReverseMatch:  # before the records app routes its landing page
        return f"/records/{record.pk}/"


def _field(obj, *names, default=None):
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value not in (None, ""):
            return value
    return default


def _public_files(record) -> list[dict]:
    """The current files, only where anonymous visitors may download them (never restricted/closed)."""
    if record.pk is None or not record.can_access_files(AnonymousUser()):
        return []
    files = []
    for item in storage_services.current_files(record.bucket):
        md5 = str(_field(item, "md5", "checksum", default=""))
        files.append(
            clean(
                {
                    "key": str(_field(item, "key", "name", default="")),
                    "size": int(_field(item, "size", default=0) or 0),
                    "md5": md5.removeprefix("md5:"),
                    "mimetype": str(
                        _field(item, "mimetype", "content_type", default="application/octet-stream")
                    ),
                }
            )
        )
    return files


def _public_files_of(records) -> dict[int, list[dict]]:
    """``{record id: _public_files(record)}`` for many records, in one query (none if no record
    has public files): the latest published version of every key not removed, ordered by key."""
    public = {
        r.bucket_id: r.pk
        for r in records
        if r.pk is not None and r.bucket_id is not None and r.can_access_files(AnonymousUser())
    }
    if not public:
        return {}
    versions = (
        FileVersion.objects.filter(
            file__bucket_id__in=list(public), file__removed=False, state=VersionState.PUBLISHED
        )
        .select_related("file", "instance")
        .order_by("file__bucket_id", "file__key", "-number")
    )
    files: dict[int, list[dict]] = {}
    last_file = None
    for version in versions:
        if version.file_id == last_file:
            continue  # an older published version of the same key
        last_file = version.file_id
        files.setdefault(public[version.file.bucket_id], []).append(
            clean(
                {
                    "key": version.file.key,
                    "size": int(version.instance.size or 0),
                    "md5": str(version.instance.md5 or "").removeprefix("md5:"),
                    "mimetype": version.mimetype or "application/octet-stream",
                }
            )
        )
    return files


def _communities_of(records) -> dict[int, list[dict]]:
    """``{record id: _communities(record)}`` for many records, in one query."""
    ids = [r.pk for r in records if r.pk is not None]
    if not ids:
        return {}
    visible = Community.objects.all()
    if hasattr(visible, "visible_to"):  # restricted communities stay unnamed in public exports
        visible = visible.visible_to(AnonymousUser())
    links = (
        CommunityRecord.objects.filter(record_id__in=ids, removed_at__isnull=True, community__in=visible)
        .order_by("community__title", "community_id")
        .values_list("record_id", "community__slug", "community__title")
    )
    communities: dict[int, list[dict]] = {}
    for record_id, slug, title in links:
        communities.setdefault(record_id, []).append(clean({"slug": slug, "title": title}))
    return communities


def _communities(record) -> list[dict]:
    """The communities the record is currently in (live membership), as anonymous visitors see them."""
    if record.pk is None:
        return []
    communities = Community.objects.filter(record_links__record=record, record_links__removed_at__isnull=True)
    if hasattr(communities, "visible_to"):  # restricted communities stay unnamed in public exports
        communities = communities.visible_to(AnonymousUser())
    return [clean({"slug": c.slug, "title": c.title}) for c in communities.order_by("title").distinct()]


def community_url(slug: str) -> str:
    return site_url(f"/communities/{slug}/")
