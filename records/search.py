"""Browse and search published records.

PostgreSQL: a weighted ``tsvector`` (title A; creators and keywords B; description C) with a GIN
index, queried in English and Swedish (``websearch_to_tsquery``) and ranked with ``ts_rank``.
SQLite (the embedded default): every word must occur in ``search_text``; title matches rank first.
Facets come from ``RecordFacet`` rows (resource type, year, access right, language, licence) and
from ``records.CommunityRecord`` (live community membership).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.expressions import CombinedExpression
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from records.models import CommunityRecord, Record, RecordFacet, RecordState
from records.validation import language_label, license_info
from records.vocabularies import ACCESS_LABELS, RESOURCE_TYPE_LABELS

PAGE_SIZE = 20
FACETS = ("type", "community", "year", "access", "language", "license")
FACET_LABELS = {
    "type": _("Resource type"),
    "community": _("Community"),
    "year": _("Publication year"),
    "access": _("Access right"),
    "language": _("Language"),
    "license": _("Licence"),
}
TAGS_RE = re.compile(r"<[^>]+>")
# Control characters (NUL above all: PostgreSQL refuses it in a string) and lone surrogates in
# query parameters become spaces; a query is searched up to MAX_QUERY characters.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
MAX_QUERY = 500
MAX_FILTER_VALUE = 255

# --- Indexing -------------------------------------------------------------------------------------


def description_text(metadata: dict) -> str:
    return html.unescape(TAGS_RE.sub(" ", metadata.get("description") or ""))


# Letters NFKD does not take apart: folded by hand, as PostgreSQL's unaccent does.
FOLD_TABLE = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L"}
)


def fold(text: str) -> str:
    """``text`` without diacritics ("Förklarbar" → "Forklarbar"): a query typed without them finds."""
    decomposed = unicodedata.normalize("NFKD", text.translate(FOLD_TABLE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _people(metadata: dict) -> list[dict]:
    return [
        p for group in ("creators", "contributors") for p in metadata.get(group) or [] if isinstance(p, dict)
    ]


def organisations_text(metadata: dict) -> str:
    """Affiliations (with their ROR ids) and funders: found by organisation name ("KTH")."""
    parts = []
    for person in _people(metadata):
        for affiliation in person.get("affiliations") or []:
            if isinstance(affiliation, dict):
                parts += [str(affiliation.get("name") or ""), str(affiliation.get("ror") or "")]
    for grant in metadata.get("funding") or []:
        funder = grant.get("funder") if isinstance(grant, dict) else None
        if isinstance(funder, dict):
            parts.append(str(funder.get("name") or ""))
    return " ".join(p for p in parts if p)


def identifiers_text(metadata: dict, doi: str = "") -> str:
    """The DOI and the creators' ORCID iDs, as typed in a search box."""
    orcids = [str(p.get("orcid")) for p in _people(metadata) if p.get("orcid")]
    return " ".join([doi, *orcids]).strip()


def search_text(metadata: dict, doi: str = "") -> str:
    """Lower-case plain text of the searchable fields without diacritics (the SQLite fallback
    searches this): title, people, affiliations and funders, keywords, description, DOI, ORCID iDs."""
    people = [p.get("name", "") for p in _people(metadata)]
    parts = [
        metadata.get("title") or "",
        *people,
        organisations_text(metadata),
        *(metadata.get("keywords") or []),
        description_text(metadata),
        identifiers_text(metadata, doi),
    ]
    return fold(" ".join(" ".join(str(p).split()) for p in parts if p).lower())


def facet_values(metadata: dict) -> list[tuple[str, str]]:
    values = []
    rtype = (metadata.get("resource_type") or {}).get("type")
    if rtype:
        values.append(("type", rtype))
    year = (metadata.get("publication_date") or "")[:4]
    if year.isdigit():
        values.append(("year", year))
    if metadata.get("access_right"):
        values.append(("access", metadata["access_right"]))
    values += [("language", code) for code in dict.fromkeys(metadata.get("languages") or [])]
    if metadata.get("license"):
        values.append(("license", metadata["license"]))
    return values


# One SQL expression builds the weighted vector from the stored metadata: used for one record at
# publish and for all seeded records at once. Swedish-only records are stemmed as Swedish.
# Text is stripped of diacritics (the unaccent extension, migration 0008) so that "forklarbar"
# finds "Förklarbar"; queries are folded the same way. Creators' affiliations are weighted with
# the names (B); the search_text column (affiliations, funders, DOI, ORCID iDs) is in D.
VECTOR_SQL = """
UPDATE records_record AS r SET search_vector =
  setweight(to_tsvector(c.cfg, unaccent(coalesce(r.metadata->>'title', ''))), 'A') ||
  setweight(to_tsvector(c.cfg, unaccent(
      coalesce((SELECT string_agg(concat_ws(' ', p->>'name', (
                    SELECT string_agg(a->>'name', ' ') FROM jsonb_array_elements(
                      CASE WHEN jsonb_typeof(p->'affiliations') = 'array' THEN p->'affiliations'
                           ELSE '[]'::jsonb END) a)), ' ')
                FROM jsonb_array_elements(
                  CASE WHEN jsonb_typeof(r.metadata->'creators') = 'array' THEN r.metadata->'creators'
                       ELSE '[]'::jsonb END) p), '') || ' ' ||
      coalesce((SELECT string_agg(k, ' ') FROM jsonb_array_elements_text(
                  CASE WHEN jsonb_typeof(r.metadata->'keywords') = 'array' THEN r.metadata->'keywords'
                       ELSE '[]'::jsonb END) k), ''))), 'B') ||
  setweight(to_tsvector(c.cfg, unaccent(
      regexp_replace(coalesce(r.metadata->>'description', ''), '<[^>]+>', ' ', 'g'))), 'C') ||
  setweight(to_tsvector('simple', coalesce(r.search_text, '')), 'D')
FROM (SELECT id, CASE WHEN metadata->'languages' ? 'swe' AND NOT metadata->'languages' ? 'eng'
                      THEN 'swedish'::regconfig ELSE 'english'::regconfig END AS cfg
      FROM records_record WHERE {where}) AS c
WHERE r.id = c.id
"""


def update_vectors(where: str = "id = %s", params: list | tuple = ()) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(VECTOR_SQL.format(where=where), params)


def index_record(record: Record) -> None:
    """Refresh the record's search text, vector and facets from its published metadata."""
    text = search_text(record.metadata, record.doi) if record.state != RecordState.DRAFT else ""
    Record.objects.filter(pk=record.pk).update(search_text=text)
    record.search_text = text
    update_vectors("id = %s", [record.pk])
    RecordFacet.objects.filter(record=record).delete()
    if record.state == RecordState.PUBLISHED:
        RecordFacet.objects.bulk_create(
            [
                RecordFacet(record=record, name=name, value=value[:255])
                for name, value in facet_values(record.metadata)
            ]
        )


# --- Querying -------------------------------------------------------------------------------------


@dataclass
class SearchParams:
    q: str = ""
    sort: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    page: str | int = 1
    # who searches: restricted communities are filters (and facets) only for their members and staff
    user: Any = None

    @classmethod
    def from_querydict(cls, data, user=None) -> SearchParams:
        filters = {}
        for name in FACETS:
            values = [_clean_param(v)[:MAX_FILTER_VALUE] for v in data.getlist(name)]
            values = list(dict.fromkeys(v for v in values if v))
            if values:
                filters[name] = values
        sort = _clean_param(data.get("sort", ""))
        q = _clean_param(data.get("q", ""))[:MAX_QUERY].strip()
        page = _clean_param(data.get("page", "")) or 1
        return cls(q=q, sort=sort, filters=filters, page=page, user=user)

    @property
    def effective_sort(self) -> str:
        if self.sort in ("newest", "relevance"):
            return self.sort if (self.q or self.sort == "newest") else "newest"
        return "relevance" if self.q else "newest"


def _clean_param(value: str) -> str:
    return CONTROL_RE.sub(" ", value or "").strip()


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchResult:
    page: Page
    facets: dict[str, list[FacetValue]]
    params: SearchParams
    total: int


# PostgreSQL's websearch syntax reads "-" as NOT; NOTs stacked before one word (``------x``,
# ``-(-(-(x``) overflow its tsquery stack (32 deep) and raise an error. Only a minus sign directly
# before a word negates it, once; every other one is a space (hyphenated words are kept).
MINUS_RUN_RE = re.compile(r"(?<!\w)-+(?=\w)")
STRAY_MINUS_RE = re.compile(r"(?<!\w)-(?!\w)")


def websearch_text(q: str) -> str:
    """``q`` with the minus signs that cannot negate a word removed: safe for ``websearch_to_tsquery``."""
    return STRAY_MINUS_RE.sub(" ", MINUS_RUN_RE.sub("-", q))


DOI_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
ORCID_RE = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$", re.IGNORECASE)
PREFIX_WORD_RE = re.compile(r"\w+")


def _identifier_filter(qs, q: str):
    """A DOI or an ORCID iD (bare or as a link) finds its records directly; None for other text."""
    if match := DOI_RE.match(q.strip()):
        return qs.filter(doi__iexact=match.group(1)).annotate(rank=Value(1.0))
    if match := ORCID_RE.match(q.strip()):
        return qs.filter(search_text__contains=match.group(1).lower()).annotate(rank=Value(1.0))
    return None


def _text_filter(qs, q: str):
    by_identifier = _identifier_filter(qs, q)
    if by_identifier is not None:
        return by_identifier
    typed, q = q, fold(q)
    if connection.vendor == "postgresql":
        text = websearch_text(q)
        query = (
            SearchQuery(text, config="english", search_type="websearch")
            | SearchQuery(text, config="swedish", search_type="websearch")
            | SearchQuery(text, config="simple", search_type="websearch")
        )
        found = qs.filter(search_vector=query)
        if not found.exists():  # a near miss: every word as a prefix ("forklar" finds "förklarbar")
            words = PREFIX_WORD_RE.findall(q.lower())[:20]
            if words:
                query = SearchQuery(" & ".join(f"{w}:*" for w in words), config="simple", search_type="raw")
                found = qs.filter(search_vector=query)
        return found.annotate(rank=SearchRank(F("search_vector"), query))
    words = [w.lower() for w in typed.split() if w.strip('"-')]
    rank: Value | CombinedExpression = Value(1, output_field=IntegerField())
    for word in words:
        word = word.strip('"')
        qs = qs.filter(search_text__contains=fold(word))  # search_text is folded
        rank = rank + Case(
            When(
                Q(metadata__title__icontains=word) | Q(metadata__title__icontains=fold(word)), then=Value(10)
            ),
            default=Value(0),
            output_field=IntegerField(),
        )
    return qs.annotate(rank=rank)


def _visible_communities(user):
    return Community.objects.visible_to(user or AnonymousUser())


def _apply_filters(qs, filters: dict[str, list[str]], user=None):
    for name, values in filters.items():
        if name == "community":
            links = CommunityRecord.objects.current().filter(
                record=OuterRef("pk"),
                community__slug__in=values,
                community__in=_visible_communities(user).values("pk"),
            )
            qs = qs.filter(Exists(links))
        else:
            # a record matches a facet when it has any of the chosen values; facets combine with AND
            qs = qs.filter(
                Exists(RecordFacet.objects.filter(record=OuterRef("pk"), name=name, value__in=values))
            )
    return qs


def _matching(params: SearchParams):
    qs = Record.objects.published()
    qs = _apply_filters(qs, params.filters, params.user)
    if params.q:
        qs = _text_filter(qs, params.q)
    return qs


def _sort_fields(params: SearchParams) -> tuple[str, ...]:
    """The search's order, all descending; the last field (id) makes it total."""
    if params.effective_sort == "relevance" and params.q:
        return ("rank", "published_at", "id")
    return ("published_at", "id")


def _facets(params: SearchParams, matching_ids) -> dict[str, list[FacetValue]]:
    if params.q or params.filters:
        return facet_counts(matching_ids, params.filters, params.user)
    return _all_facet_counts(matching_ids, params.user)


def search(params: SearchParams, *, page_size: int = PAGE_SIZE) -> SearchResult:
    """A page by number (the web search page) with the facet counts of the whole query."""
    qs = _matching(params)
    matching_ids = qs.order_by().values("pk")
    qs = qs.order_by(*(f"-{name}" for name in _sort_fields(params)))
    paginator = Paginator(qs, page_size)
    page = paginator.get_page(params.page)
    facets = _facets(params, matching_ids)
    return SearchResult(page=page, facets=facets, params=params, total=paginator.count)


# --- Keyset pages (the API) -----------------------------------------------------------------------
# The API pages through a search by cursor: a cursor is the sort key of a row (relevance: rank,
# published_at, id; newest: published_at, id) and a page is the rows strictly after it (or before it,
# for a previous link) in the search's order: ``WHERE (key…) < (k…)``, never an OFFSET, so a deep page
# costs what the first one does. Ranks are computed by the database the same way for the same query
# and row (PostgreSQL's ts_rank, a real; SQLite's integer title score), so comparing them for equality
# is exact.

MAX_LEGACY_PAGE = 1_000_000
MAX_CURSOR = 400


class BadCursor(ValueError):
    """A cursor this search did not make (damaged, or made for another sort)."""


@dataclass(frozen=True)
class Cursor:
    """A position in a search's order; ``before``: the page that ends just before it (previous)."""

    sort: str
    published_at: dt.datetime
    id: int
    rank: float | None = None
    before: bool = False

    def encode(self) -> str:
        data = [self.sort[0], self.rank, self.published_at.isoformat(), self.id, int(self.before)]
        text = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(text).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, sort: str) -> Cursor:
        """The cursor ``text`` encodes, for a search sorted by ``sort``; BadCursor when it is none."""
        try:
            if len(text) > MAX_CURSOR:
                raise BadCursor("too long")
            raw = base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))
            data = json.loads(raw)
            if not isinstance(data, list):
                raise BadCursor("not a list")
            letter, rank, stamp, pk, before = data
            if letter != sort[:1] or before not in (0, 1) or type(before) is not int:
                raise BadCursor("another sort")
            if type(pk) is not int or not 0 < pk < 2**63 or not isinstance(stamp, str):
                raise BadCursor("not a row")
            if sort == "relevance":
                if type(rank) not in (int, float) or not math.isfinite(rank):
                    raise BadCursor("not a rank")
            elif rank is not None:
                raise BadCursor("a rank for another sort")
            published_at = dt.datetime.fromisoformat(stamp)
            if published_at.tzinfo is None:
                raise BadCursor("a time without its zone")
        except (ValueError, TypeError, OverflowError) as exc:  # binascii.Error and JSON errors too
            raise BadCursor(str(exc)) from exc
        return cls(sort, published_at, pk, rank, bool(before))

    @classmethod
    def of(cls, record: Record, sort: str, *, before: bool = False) -> Cursor:
        rank = getattr(record, "rank", None) if sort == "relevance" else None
        if record.published_at is None:  # services.publish always sets it
            raise RuntimeError(f"published record {record.pk} has no published_at")
        return cls(sort, record.published_at, record.pk, rank, before)

    def condition(self) -> Q:
        """The rows after this position in the (descending) order, or before it."""
        op = "gt" if self.before else "lt"
        keys: list[tuple[str, Any]] = [("published_at", self.published_at), ("pk", self.id)]
        if self.sort == "relevance":
            keys.insert(0, ("rank", _as_rank(self.rank)))
        condition = Q()
        for n, (name, value) in enumerate(keys):  # k1 < v1 OR (k1 = v1 AND k2 < v2) OR …
            equal = {prior: prior_value for prior, prior_value in keys[:n]}
            condition |= Q(**equal, **{f"{name}__{op}": value})
        # and k1 <= v1, the same rows: an index on k1 (published_at) starts its scan there
        name, value = keys[0]
        return Q(**{f"{name}__{op}e": value}) & condition


def _as_rank(value: float | None):
    """PostgreSQL ranks are reals: a rank read back (a double printed shortest) compares as a real."""
    if connection.vendor == "postgresql":
        return Func(Value(value), template="CAST(%(expressions)s AS real)", output_field=FloatField())
    return value


@dataclass
class CursorPage:
    records: list[Record]
    next: Cursor | None
    previous: Cursor | None
    total: int
    # the facet counts of the whole query: on the first page only (a cursor page skips them)
    facets: dict[str, list[FacetValue]] | None


def sort_of(params: SearchParams) -> str:
    return "relevance" if _sort_fields(params)[0] == "rank" else "newest"


def search_page(params: SearchParams, *, size: int = PAGE_SIZE, cursor: Cursor | None = None) -> CursorPage:
    """``size`` records after ``cursor`` (or before it) by keyset, or the first page with the facets.

    Without a cursor, ``params.page`` above 1 (kept for old clients) is read by OFFSET; its links are
    cursors like every other page's."""
    sort = sort_of(params)
    qs = _matching(params)
    matching_ids = qs.order_by().values("pk")
    total = qs.order_by().count()
    backwards = cursor is not None and cursor.before
    descending = [f"-{name}" for name in _sort_fields(params)]
    ascending = [name for name in _sort_fields(params)]
    start = 0
    if cursor is not None:
        if cursor.sort != sort:
            raise BadCursor("another sort")
        qs = qs.filter(cursor.condition())
    else:
        text = str(params.page)
        page = int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 1
        start = (min(max(page, 1), MAX_LEGACY_PAGE) - 1) * size
    rows = list(qs.order_by(*(ascending if backwards else descending))[start : start + size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    first, last = (rows[0], rows[-1]) if rows else (None, None)
    # forward: more rows after the page, and rows before it when it started past the first row;
    # backwards: more rows before it, and always the cursor's row after it
    has_next = more if not backwards else True
    has_previous = more if backwards else (cursor is not None or start > 0)
    return CursorPage(
        records=rows,
        next=Cursor.of(last, sort) if last is not None and has_next else None,
        previous=Cursor.of(first, sort, before=True) if first is not None and has_previous else None,
        total=total,
        facets=_facets(params, matching_ids) if cursor is None else None,
    )


def _all_facet_counts(matching_ids, user=None) -> dict[str, list[FacetValue]]:
    """Counts over every published record: cached until a record's public view next changes."""
    latest = Record.objects.aggregate(latest=Max("datestamp"), n=Count("id"))
    stamp = latest["latest"].timestamp() if latest["latest"] else 0
    key = f"records:facets:{stamp}:{latest['n']}:{get_language()}"
    facets = cache.get(key)
    if facets is None:
        facets = facet_counts(matching_ids, {})
        facets.pop("community", None)
        cache.set(key, facets, 3600)
    merged = {**facets, "community": _community_counts(matching_ids, [], user)}
    return {name: merged[name] for name in FACETS if merged.get(name)}


def facet_counts(matching_ids, filters: dict[str, list[str]], user=None) -> dict[str, list[FacetValue]]:
    rows = (
        RecordFacet.objects.filter(record_id__in=matching_ids)
        .values("name", "value")
        .annotate(n=Count("record_id"))
        .order_by("name", "-n", "value")
    )
    facets: dict[str, list[FacetValue]] = {name: [] for name in FACETS}
    for row in rows:
        name, value = row["name"], row["value"]
        if name == "type":
            label = str(RESOURCE_TYPE_LABELS.get(value, value))
        elif name == "access":
            label = str(ACCESS_LABELS.get(value, value))
        elif name == "language":
            label = language_label(value)
        elif name == "license":
            label = (license_info(value) or {}).get("name", value)
        else:
            label = value
        facets[name].append(FacetValue(value, label, row["n"], value in filters.get(name, [])))
    facets["year"] = sorted(facets["year"], key=lambda f: f.value, reverse=True)[:20]
    facets["community"] = _community_counts(matching_ids, filters.get("community", []), user)
    return {name: values for name, values in facets.items() if values}


def _community_counts(matching_ids, selected: list[str], user=None) -> list[FacetValue]:
    rows = (
        CommunityRecord.objects.current()
        .filter(record_id__in=matching_ids, community__in=_visible_communities(user).values("pk"))
        .values("community__slug", "community__title")
        .annotate(n=Count("record_id", distinct=True))
        .order_by("-n", "community__title")
    )
    return [
        FacetValue(r["community__slug"], r["community__title"], r["n"], r["community__slug"] in selected)
        for r in rows
    ]
