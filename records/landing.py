"""What the landing page, tombstone, revision and publish-review pages show of a record."""

from __future__ import annotations

import copy
import logging

from django.conf import settings
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import strip_tags

from communities.models import Community
from records.cards import landing_card
from records.exports import bibtex, citation, styles
from records.exports.jsonld import to_jsonld_script
from records.exports.registry import export_formats
from records.files import current_files
from records.models import Record, WithdrawalReason, WithdrawnBy
from records.validation import language_label, license_info
from records.vocabularies import (
    ACCESS_LABELS,
    RELATION_LABELS,
    ROLE_LABELS,
    SCHEME_LABELS,
    camel_words,
    resource_type_label,
)
from stats import services as stats_services

logger = logging.getLogger(__name__)


# DataCite's test prefix: such DOIs resolve nowhere, so they are shown but not linked to doi.org.
TEST_DOI_PREFIXES = ("10.5072/",)


def is_test_doi(doi: str) -> bool:
    return doi.lower().startswith(TEST_DOI_PREFIXES)


def doi_url(doi: str) -> str:
    return f"https://doi.org/{doi}" if doi and not is_test_doi(doi) else ""


def identifier_url(scheme: str, identifier: str) -> str:
    if scheme == "doi":
        return doi_url(identifier)
    if scheme in ("url", "purl", "w3id") or identifier.startswith(("http://", "https://")):
        return identifier
    if scheme == "arxiv":
        return f"https://arxiv.org/abs/{identifier.removeprefix('arXiv:').removeprefix('arxiv:')}"
    if scheme == "handle":
        return f"https://hdl.handle.net/{identifier}"
    if scheme == "pmid":
        return f"https://pubmed.ncbi.nlm.nih.gov/{identifier}"
    return ""


def export_links(record: Record) -> list[dict]:
    """A link to every export format in the registry (published records only)."""
    if not record.is_published():
        return []
    return [
        {
            "label": fmt.label,
            "name": fmt.name,
            "media_type": fmt.media_type,
            "url": reverse("record-export", args=[record.pk, fmt.name]),
        }
        for fmt in export_formats().values()
    ]


def citations(record: Record) -> dict[str, str]:
    """APA and BibTeX from records/exports (empty while the record is unpublished)."""
    if not record.is_published():
        return {}
    result: dict[str, str] = {}
    try:
        shown = citation_record(record)  # APA's 20 and last creators, BibTeX's 25 and "and others"
        result["apa"] = citation.apa_html(shown)
        result["bibtex"] = bibtex.to_bibtex(shown, max_authors=settings.LANDING_LIST_ITEMS)
    except Exception:  # a formatter's bug must not take the landing page down
        logger.exception("citation formatting failed for record %s", record.pk)
    return result


def styled_citations(record: Record) -> list[dict]:
    """The citation in each style of the picker (APA, Harvard, IEEE, Chicago, Vancouver) by citeproc-py."""
    if not record.is_published():
        return []
    try:
        return styles.render_all(citation_record(record))
    except Exception:  # a style's bug must not take the landing page down
        logger.exception("citeproc failed for record %s", record.pk)
        return []


def jsonld_script(record: Record) -> str:
    """The page's JSON-LD, with the page's share of the long lists (the JSON-LD export has them all)."""
    if not record.is_published():
        return ""
    try:
        return to_jsonld_script(page_record(record))
    except Exception:
        logger.exception("JSON-LD failed for record %s", record.pk)
        return ""


LONG_LISTS = ("creators", "contributors", "references", "related_identifiers")


def bounded(items: list | None) -> tuple[list, int]:
    """The first ``LANDING_LIST_ITEMS`` of a list and how many more there are."""
    items = items or []
    limit = settings.LANDING_LIST_ITEMS
    return items[:limit], max(0, len(items) - limit)


def page_record(record: Record) -> Record:
    """A copy of ``record`` whose long lists are cut to what a page shows inline."""
    shown = copy.copy(record)
    shown.metadata = {
        **record.metadata,
        **{name: bounded(record.metadata.get(name))[0] for name in LONG_LISTS if name in record.metadata},
    }
    return shown


def citation_record(record: Record) -> Record:
    """``page_record`` with the creators the inline citations name: APA's first 20 and the last one,
    BibTeX's first ``LANDING_LIST_ITEMS`` and one more (so it says ``and others``). The formatters
    then never walk thousands of creators for a page."""
    shown = page_record(record)
    everyone = record.metadata.get("creators")
    head = max(settings.LANDING_LIST_ITEMS, 20) + 1
    if isinstance(everyone, list) and len(everyone) > head:
        shown.metadata["creators"] = [*everyone[:head], everyone[-1]]
    return shown


def more(count: int) -> dict:
    """``{"count": 2311, "text": "2,311"}`` for "and 2,311 more" (grouped in the reader's language)."""
    return {"count": count, "text": number_format(count, force_grouping=True)}


def citation_meta(record: Record, metadata: dict) -> list[tuple[str, str]]:
    """Highwire Press ``citation_*`` tags for Google Scholar."""
    tags = [("citation_title", metadata.get("title", ""))]
    tags += [("citation_author", p.get("name", "")) for p in bounded(metadata.get("creators"))[0]]
    date = metadata.get("publication_date", "")
    if date:
        tags.append(("citation_publication_date", date.replace("-", "/")))
    if record.doi:
        tags.append(("citation_doi", record.doi))
    if metadata.get("keywords"):
        tags.append(("citation_keywords", "; ".join(metadata["keywords"])))
    for code in metadata.get("languages") or []:
        tags.append(("citation_language", code))
    tags.append(("citation_publisher", metadata.get("publisher") or settings.SITE_NAME))
    tags.append(("citation_abstract_html_url", settings.SITE_URL + record.get_absolute_url()))
    rtype = (metadata.get("resource_type") or {}).get("subtype")
    if rtype == "thesis":
        tags.append(("citation_dissertation_institution", metadata.get("publisher", "")))
    elif rtype in ("report", "technicalnote", "workingpaper"):
        tags.append(("citation_technical_report_institution", metadata.get("publisher", "")))
    for url in _pdf_urls(record):
        tags.append(("citation_pdf_url", url))
    return [(name, value) for name, value in tags if value]


def _pdf_urls(record: Record) -> list[str]:
    """Public PDF files (for Google Scholar), from the storage app's list of current files."""
    if not record.files_are_public():
        return []
    return [settings.SITE_URL + f["url"] for f in current_files(record) if f["key"].lower().endswith(".pdf")]


def communities(record: Record, user) -> list:
    """The communities the record is in, as ``user`` may see them (restricted ones: members and staff)."""
    return list(
        Community.objects.visible_to(user)
        .filter(record_links__record=record, record_links__removed_at__isnull=True)
        .order_by("title")
        .distinct()
    )


def people(persons: list | None) -> list[dict]:
    result = []
    for person in persons or []:
        if not isinstance(person, dict):
            continue
        orcid = person.get("orcid", "")
        role = person.get("role")
        result.append(
            {
                **person,
                "orcid_url": f"https://orcid.org/{orcid}" if orcid else "",
                "role_label": str(ROLE_LABELS.get(role) or camel_words(role)) if role else "",
            }
        )
    return result


def landing_context(record: Record, user, *, metadata: dict | None = None) -> dict:
    meta = metadata if metadata is not None else record.metadata
    rtype = meta.get("resource_type") or {}
    is_owner = record.can_edit(user)
    related_items, related_more = bounded(meta.get("related_identifiers"))
    related = [
        {
            **item,
            "url": identifier_url(item.get("scheme", ""), item.get("identifier", "")),
            "relation_label": str(
                RELATION_LABELS.get(item.get("relation", "")) or camel_words(item.get("relation", ""))
            ),
            "scheme_label": SCHEME_LABELS.get(item.get("scheme", ""), ""),
        }
        for item in related_items
        if isinstance(item, dict)
    ]
    creators, creators_more = bounded(meta.get("creators"))
    contributors, contributors_more = bounded(meta.get("contributors"))
    references, references_more = bounded(meta.get("references"))
    return {
        "record": record,
        "meta": meta,
        # long lists: the first LANDING_LIST_ITEMS inline, "and 2,311 more" links to the full list
        "creators": people(creators),
        "creators_more": more(creators_more),
        "contributors": people(contributors),
        "contributors_more": more(contributors_more),
        "references": references,
        "references_more": more(references_more),
        "related_more": more(related_more),
        "type_label": resource_type_label(rtype.get("type", ""), rtype.get("subtype", "")),
        "access_label": ACCESS_LABELS.get(meta.get("access_right", ""), ""),
        "license": license_info(meta.get("license", "")),
        "languages": [{"code": c, "name": language_label(c)} for c in meta.get("languages") or []],
        "related": related,
        "doi_url": doi_url(record.doi),
        "local_doi_url": reverse("records:doi", args=[record.doi])
        if record.doi and not record.doi_is_external
        else "",
        "landing_url": settings.SITE_URL + record.get_absolute_url(),
        "communities": communities(record, user) if not record.is_draft() else [],
        "citation": citations(record),
        "styled_citations": styled_citations(record),
        "exports": export_links(record),
        "jsonld": jsonld_script(record),
        "citation_meta": citation_meta(record, meta) if record.is_published() else [],
        "meta_description": strip_tags(meta.get("description", ""))[:300],
        "is_owner": is_owner,
        "revisions": record.revisions.select_related("created_by") if is_owner else [],
        "can_access_files": record.can_access_files(user),
        "card": landing_card(meta.get("card")),
        # usage statistics (COUNTER): published records only
        "usage": stats_services.totals_of(record.pk) if record.is_published() else None,
    }


def tombstone_context(record: Record, user) -> dict:
    """The landing context plus what a tombstone shows: reason, note, role, citation (none for spam)."""
    context = landing_context(record, user)
    category = record.withdrawal_category or WithdrawalReason.OTHER
    apa = ""
    if category != WithdrawalReason.SPAM:
        try:
            apa = citation.apa_html(record)
        except Exception:  # a formatter's bug must not take the tombstone down
            logger.exception("citation formatting failed for record %s", record.pk)
    return {
        **context,
        "withdrawal_category": WithdrawalReason(category).label,
        "withdrawn_by": WithdrawnBy(record.withdrawn_by).label if record.withdrawn_by else "",
        "tombstone_citation": apa,
        "staff_files": record.can_access_files(user),
    }
