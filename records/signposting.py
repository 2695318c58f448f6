"""FAIR Signposting (https://signposting.org, levels 1 and 2) for published records.

The landing page carries typed ``Link`` headers (RFC 8288): ``cite-as`` the DOI, ``describedby`` each
export of the registry with its media type, ``item`` each public file with its MIME type, ``license``,
``author`` each ORCID, ``type`` the schema.org type and ``https://schema.org/AboutPage``, and
``linkset``. The full set, with the level-2 back links (``describes`` from each export,
``collection`` from each file), is served at ``/records/<id>/linkset`` in ``application/linkset``
and ``application/linkset+json`` (RFC 9264). File downloads carry ``Link: rel="collection"``.

A relation with more than ``SIGNPOSTING_HEADER_LINKS`` targets (authors of a consortium paper,
files of a large dataset) is left out of the header and found in the linkset, as signposting.org
recommends: a header stays small.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from identifiers import orcid_url
from records.exports.base import resource_type_id
from records.exports.registry import export_formats
from records.files import current_files
from records.models import Record
from records.resource_types import by_id
from records.validation import license_info

LINKSET = "application/linkset"
LINKSET_JSON = "application/linkset+json"
ABOUT_PAGE = "https://schema.org/AboutPage"
TEST_DOI_PREFIX = "10.5072"  # DataCite's test prefix: such DOIs resolve only here


@dataclass(frozen=True)
class Link:
    href: str
    rel: str
    type: str = ""

    def header_value(self, anchor: str = "") -> str:
        value = f'<{self.href}>; rel="{self.rel}"'
        if self.type:
            value += f'; type="{self.type}"'
        if anchor:
            value += f'; anchor="{anchor}"'
        return value

    def as_json(self) -> dict[str, str]:
        return {"href": self.href, "type": self.type} if self.type else {"href": self.href}


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def landing_url(record: Record) -> str:
    return absolute(record.get_absolute_url())


def linkset_url(record: Record) -> str:
    return absolute(reverse("records:linkset", args=[record.pk]))


def has_signposting(record: Record) -> bool:
    """Published records only: drafts are private, withdrawn records are tombstones."""
    return record.is_published()


def cite_as(record: Record) -> str:
    """``/doi/<doi>`` for the DOIs this portal resolves itself (local or test prefix), else doi.org."""
    if not record.doi:
        return landing_url(record)
    resolves_here = not record.doi_is_external and (
        settings.DOI_PROVIDER == "local" or record.doi.startswith(TEST_DOI_PREFIX + "/")
    )
    if resolves_here:
        return absolute(reverse("records:doi", args=[record.doi]))
    return f"https://doi.org/{record.doi}"


def schema_org_type(record: Record) -> str:
    return f"https://schema.org/{by_id(resource_type_id(record.metadata)).schema_org}"


def export_links(record: Record) -> list[Link]:
    return [
        Link(absolute(reverse("record-export", args=[record.pk, fmt.name])), "describedby", fmt.media_type)
        for fmt in export_formats().values()
    ]


def file_links(record: Record) -> list[Link]:
    """Only files anyone may download: a signpost leads to content, not to a 403."""
    if not record.files_are_public():
        return []
    return [
        Link(absolute(item["url"]), "item", item.get("mimetype") or "application/octet-stream")
        for item in current_files(record)
    ]


def author_links(record: Record) -> list[Link]:
    urls = (orcid_url(person.get("orcid", "")) for person in record.metadata.get("creators") or [])
    return [Link(url, "author") for url in dict.fromkeys(u for u in urls if u)]


def license_links(record: Record) -> list[Link]:
    info = license_info(record.license_id)
    return [Link(info["url"], "license")] if info and info.get("url") else []


def links(record: Record) -> list[Link]:
    """Every signpost of the landing page (empty for a record without signposting)."""
    if not has_signposting(record):
        return []
    return [
        Link(cite_as(record), "cite-as"),
        *export_links(record),
        *file_links(record),
        *license_links(record),
        *author_links(record),
        Link(schema_org_type(record), "type"),
        Link(ABOUT_PAGE, "type"),
        Link(linkset_url(record), "linkset", LINKSET),
        Link(linkset_url(record), "linkset", LINKSET_JSON),
    ]


def header_links(record: Record) -> list[Link]:
    """The header's share: relations with more than the limit's targets are left to the linkset."""
    all_links = links(record)
    limit = settings.SIGNPOSTING_HEADER_LINKS
    counts: dict[str, int] = {}
    for link in all_links:
        counts[link.rel] = counts.get(link.rel, 0) + 1
    return [link for link in all_links if link.rel in ("type", "linkset") or counts[link.rel] <= limit]


def link_header(record: Record) -> str:
    return ", ".join(link.header_value() for link in header_links(record))


def _contexts(record: Record) -> list[tuple[str, list[Link]]]:
    """(anchor, links) of the linkset: the landing page, then each export and file (level 2)."""
    landing = landing_url(record)
    own = links(record)
    contexts = [(landing, own)]
    for link in own:
        if link.rel == "describedby":
            contexts.append((link.href, [Link(landing, "describes", "text/html")]))
        elif link.rel == "item":
            contexts.append((link.href, [Link(landing, "collection", "text/html")]))
    return contexts


def linkset_json(record: Record) -> dict:
    """RFC 9264 section 4.2: ``{"linkset": [{"anchor": …, "<rel>": [{"href": …, "type": …}]}]}``."""
    result = []
    for anchor, context_links in _contexts(record):
        entry: dict = {"anchor": anchor}
        for link in context_links:
            entry.setdefault(link.rel, []).append(link.as_json())
        result.append(entry)
    return {"linkset": result}


def linkset_text(record: Record) -> str:
    """RFC 9264 section 4.1: links in the ``Link`` header syntax, each with its ``anchor``."""
    values = [
        link.header_value(anchor) for anchor, context_links in _contexts(record) for link in context_links
    ]
    return ",\n".join(values) + "\n"
