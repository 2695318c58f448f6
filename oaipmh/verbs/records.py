"""GetRecord, ListIdentifiers and ListRecords (spec 4.1, 4.3, 4.5).

Harvest consistency — how a keyset over ``(datestamp, id)`` never loses a record
-------------------------------------------------------------------------------
Lists are ordered by ``(key, id)``, where ``key`` is the record's datestamp (in a set: the later of
the record's datestamp and the time its membership last changed). A page is the next
``OAI_PAGE_SIZE`` rows after the position in the token: ``WHERE (key, id) > (last key, last id)
ORDER BY key, id LIMIT n+1`` on the ``(datestamp, id)`` index. No OFFSET, nothing held open.

A change to a record always moves its key forward to "now", which is after the harvest's start.
So a record that existed when the harvest began is either (a) already returned, (b) still ahead
of the position at its old key, or (c) moved by a change to a key after the start — and every
list also covers keys after its start:

* without ``until`` the list is open-ended, so (c) is simply further ahead;
* with ``until`` the list is ``[from, until]`` followed by ``(max(start, until), ∞)``: records
  that changed during the harvest are appended with their new datestamps (the spec, 3.5.1, allows
  records that moved out of the range to be returned).

Hence every record that existed at the start is returned at least once, and a changed one may
appear twice, the second time with its new datestamp. Replaying a token re-runs the same keyset
query from the same position: the same page while nothing changed. The start time, the range and
the position travel in the signed token (``oaipmh.tokens``), so any process can serve any page.
``completeListSize`` is left out of the pages before the last (the protocol makes it optional, and
counting a list of a million records cost a table scan on its first page); the final page states
the exact number returned. A page costs the same few queries wherever it is in the list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import DateTimeField, Exists, F, FilteredRelation, Max, OuterRef, Q, Subquery, Value
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from oaipmh import envelope, tokens
from oaipmh.formats import FORMATS
from oaipmh.models import RenderedPayload
from oaipmh.services import (
    community_slug,
    oai_identifier,
    public_communities,
    record_id_from,
    render_missing,
    set_specs_for,
    type_set_types,
    visible_records,
)
from oaipmh.verbs import OAIError
from records.exports.registry import NOT_DISSEMINATED
from records.models import CommunityRecord, RecordState

CHUNK = 100  # records per streamed chunk
PAYLOAD_FIELDS = (
    "id",
    "state",
    "datestamp",
    "payload__xml",
    "payload__datestamp",
    "payload__rendered_at",
    "links_changed",
    "metadata__resource_type__type",  # the record's type sets
)


@dataclass(frozen=True)
class Query:
    verb: str
    prefix: str
    from_: dt.datetime | None
    until: dt.datetime | None
    set_spec: str | None
    community_id: int | None
    started: dt.datetime
    types: tuple[str, ...] | None = None  # a type set's resource types (``oaipmh.services.TYPE_SETS``)


@dataclass
class Item:
    record_id: int
    key: dt.datetime
    deleted: bool
    xml: str | None = None
    resource_type: str = ""


# --- GetRecord ---------------------------------------------------------------------------------


def get_record(request) -> list[str]:
    prefix = request.args["metadataPrefix"]
    record_id = record_id_from(request.args["identifier"])
    row = None
    if record_id is not None:
        row = _with_payload(visible_records().filter(pk=record_id), prefix).values(*PAYLOAD_FIELDS).first()
    problems = []
    if row is None:
        problems.append(("idDoesNotExist", _("No record has this identifier.")))
    if prefix not in FORMATS:
        problems.append(
            ("cannotDisseminateFormat", _("This repository does not disseminate this metadataPrefix."))
        )
    if problems or row is None:  # row is None only with a problem named
        raise OAIError.many(problems)
    item = _item(row, row["datestamp"], deleted=row["state"] != RecordState.PUBLISHED)
    _fill_missing([item], prefix)
    if item.xml == NOT_DISSEMINATED and not item.deleted:
        raise OAIError(
            "cannotDisseminateFormat",
            _("This record lacks fields this metadata format requires, so it is not disseminated in it."),
        )
    specs = set_specs_for([item.record_id], {item.record_id: item.resource_type})
    record = _record(item, specs.get(item.record_id, []))
    return [
        envelope.head(request.base_url, request.echo()) + f"<GetRecord>{record}</GetRecord>" + envelope.TAIL
    ]


# --- ListIdentifiers and ListRecords -------------------------------------------------------------


def list_identifiers(request):
    return _list(request)


def list_records(request):
    return _list(request)


def _list(request):
    now = dt.datetime.now(dt.UTC)
    token = request.args.get("resumptionToken")
    state = None
    if token:
        state = _resume(request.verb, token, now)
        if state.prefix is None:  # every ListIdentifiers/ListRecords token is issued with one
            raise OAIError("badResumptionToken", _("This resumption token is invalid or has expired."))
        types = type_set_types(state.set_spec)
        community_id = None if types else _community_id(state.set_spec)
        if state.set_spec is not None and community_id is None and types is None:
            raise OAIError("noRecordsMatch", _("The set of this harvest no longer exists."))
        query = Query(
            request.verb,
            state.prefix,
            state.from_,
            state.until,
            state.set_spec,
            community_id,
            state.started,
            types,
        )
    else:
        query = _new_query(request, now)
    page_size = settings.OAI_PAGE_SIZE
    # A first page starts with the records' own (datestamp, id) stream: curation decisions move the
    # record's datestamp (records.services.mark_public_view_changed), so members are mostly there.
    after, lead = (state.after, state.lead) if state else (None, 0)
    while True:
        items, lead = _fetch(query, after, page_size + 1, lead)
        if not items:
            raise OAIError("noRecordsMatch", _("No records match these arguments."))
        more = len(items) > page_size
        items = items[:page_size]
        position = (items[-1].key, items[-1].record_id)
        if _with_payloads(query):
            _fill_missing(items, query.prefix)
            # rendered just now and found not disseminable in this format (OaiMetadata.problems)
            items = [i for i in items if i.deleted or i.xml != NOT_DISSEMINATED]
        if items or not more:
            break
        after = position  # a whole page of records not disseminable in this format: read on
    if not items:
        raise OAIError("noRecordsMatch", _("No records match these arguments."))
    cursor = state.cursor if state else 0
    specs = set_specs_for([i.record_id for i in items], {i.record_id: i.resource_type for i in items})
    resumption = ""
    if more:
        expires = tokens.expiry(now)
        next_token = tokens.issue(
            tokens.Resumption(
                query.verb,
                query.prefix,
                query.from_,
                query.until,
                query.set_spec,
                query.started,
                position,
                cursor + len(items),
                0,  # no completeListSize (see the module's docstring)
                expires,
                lead,
            )
        )
        resumption = envelope.resumption_token(next_token, cursor, None, expires)
    elif state:  # the final page: the number returned, known without counting
        resumption = envelope.resumption_token("", cursor, cursor + len(items), None)
    return _stream(request, query.verb, items, specs, resumption)


def _stream(request, verb: str, items: list[Item], specs: dict[int, list[str]], resumption: str):
    """The response as chunks: envelope, then CHUNK records at a time, then the token and the tail."""
    head = envelope.head(request.base_url, request.echo()) + f"<{verb}>"
    yield head
    render = _record if verb == "ListRecords" else _header
    for start in range(0, len(items), CHUNK):
        yield "".join(render(item, specs.get(item.record_id, ())) for item in items[start : start + CHUNK])
    yield resumption + f"</{verb}>" + envelope.TAIL


def _resume(verb: str, token: str, now: dt.datetime) -> tokens.Resumption:
    try:
        state = tokens.read(token, now)
    except tokens.BadToken as exc:
        raise OAIError("badResumptionToken", _("This resumption token is invalid or has expired.")) from exc
    if state.verb != verb:
        raise OAIError("badResumptionToken", _("This resumption token belongs to another verb."))
    return state


def _new_query(request, now: dt.datetime) -> Query:
    prefix = request.args["metadataPrefix"]
    if prefix not in FORMATS:
        raise OAIError(
            "cannotDisseminateFormat", _("This repository does not disseminate this metadataPrefix.")
        )
    spec = request.args.get("set")
    community_id = None
    types = type_set_types(spec)
    if spec is not None and types is None:
        community_id = _community_id(spec)
        if community_id is None:  # the type sets always exist: never noSetHierarchy
            raise OAIError("noRecordsMatch", _("There is no set with this setSpec."))
    return Query(request.verb, prefix, request.from_, request.until, spec, community_id, now, types)


def _community_id(spec: str | None) -> int | None:
    if spec is None:
        return None
    slug = community_slug(spec)
    return public_communities().filter(slug=slug).values_list("pk", flat=True).first() if slug else None


# --- Queries ---------------------------------------------------------------------------------------


def _with_payload(queryset, prefix: str):
    """Annotate the stored payload of ``prefix`` and when the record's community links last changed
    (payloads name the record's communities; curation also moves the record's datestamp, but a link
    written by other means would not)."""
    links_changed = (
        CommunityRecord.objects.filter(record=OuterRef("pk"))
        .order_by()
        .values("record")
        .annotate(last=Max(Coalesce("removed_at", "added_at")))
        .values("last")
    )
    return queryset.annotate(
        payload=FilteredRelation("oai_payloads", condition=Q(oai_payloads__prefix=prefix)),
        links_changed=Subquery(links_changed, output_field=DateTimeField()),
    )


def _withholds(prefix: str) -> bool:
    """Whether the format leaves out records it names problems with (``OaiMetadata.problems``)."""
    oai = FORMATS[prefix].export_format.oai
    return oai is not None and oai.problems is not None


def _with_payloads(query: Query) -> bool:
    """ListRecords reads the payloads; so does ListIdentifiers of a format that withholds records (a
    payload not rendered yet is rendered, so a withheld record is never listed)."""
    return query.verb == "ListRecords" or _withholds(query.prefix)


def _streams(query: Query) -> list:
    """Querysets of the query's scope, each annotated with the list ``key`` and ``removed``, each
    ordered by an index on its key, which merged by ``(key, id)`` make the whole list.

    Everything: one stream, records by ``(datestamp, id)``. A set: a record's key there is the
    later of its datestamp and its membership's last change; each of the three cases has its own
    index (records' ``(datestamp, id)``, links' ``added_at``, links' ``removed_at``), so a page of
    a set of a million records costs what a page of a small one does.
    """
    records = visible_records()
    if _withholds(query.prefix):
        # records not disseminable in this format (an empty payload for their current datestamp)
        records = records.exclude(
            Exists(
                RenderedPayload.objects.filter(
                    record=OuterRef("pk"),
                    prefix=query.prefix,
                    xml=NOT_DISSEMINATED,
                    datestamp=OuterRef("datestamp"),
                )
            )
        )
    if query.types is not None:
        # a type set: the records of its resource types (a withdrawn one keeps its type: deleted there)
        records = records.filter(metadata__resource_type__type__in=query.types)
    if query.community_id is None:
        return [records.annotate(key=F("datestamp"), removed=Value(None, output_field=DateTimeField()))]

    def linked(condition: Q, key: str):
        # One filter() call: the membership is joined once (each filter() on a multi-valued
        # relation would join it again, which hides the key's index from the planner).
        return (
            records.annotate(
                link=FilteredRelation(
                    "community_links", condition=Q(community_links__community_id=query.community_id)
                )
            )
            .filter(Q(link__id__isnull=False) & condition)
            .annotate(key=F(key), removed=F("link__removed_at"))
        )

    return [
        # the record changed after its membership did
        linked(
            Q(link__removed_at__isnull=True, link__added_at__lte=F("datestamp"))
            | Q(link__removed_at__lte=F("datestamp")),
            "datestamp",
        ),
        # added (or added again) after the record's last change
        linked(Q(link__removed_at__isnull=True, link__added_at__gt=F("datestamp")), "link__added_at"),
        # removed after the record's last change
        linked(Q(link__removed_at__gt=F("datestamp")), "link__removed_at"),
    ]


def _intervals(query: Query) -> list[tuple[Q, dt.datetime | None]]:
    """The list's key ranges in order, each with its inclusive upper bound (None: open)."""
    lower = Q(key__gte=query.from_) if query.from_ else Q()
    if query.until is None:
        return [(lower, None)]
    tail_start = max(query.started, query.until)
    return [(lower & Q(key__lte=query.until), query.until), (lower & Q(key__gt=tail_start), None)]


def _fetch(query: Query, after: tuple | None, limit: int, lead: int = 0) -> tuple[list[Item], int]:
    """The first ``limit`` items after ``after``, and the stream that gave most of them.

    Streams are read in turn, ``lead`` first (the densest one on the previous page). Once one
    stream alone returns ``limit`` rows, nothing after its last key can be on this page, so the
    other streams are bounded by that key: a sparse stream never walks its whole index.
    """
    fields = (
        ("key", "removed", *PAYLOAD_FIELDS)
        if _with_payloads(query)
        else ("id", "state", "datestamp", "key", "removed", "metadata__resource_type__type")
    )
    streams = []
    for stream in _streams(query):
        if _with_payloads(query):
            stream = _with_payload(stream, query.prefix)
        if after is not None:
            key, record_id = after
            stream = stream.filter(_after(key, record_id))
        streams.append(stream)
    lead = lead if 0 <= lead < len(streams) else 0
    order = [lead] + [i for i in range(len(streams)) if i != lead]
    rows: list[tuple[int, dict]] = []
    for interval, upper in _intervals(query):
        if after is not None and upper is not None and after[0] > upper:
            continue  # the position is already past this range
        found: list[tuple[int, dict]] = []
        wanted, bound = limit - len(rows), None
        for index in order:
            stream = streams[index].filter(interval)
            if bound is not None:
                stream = stream.filter(key__lte=bound)
            batch = list(stream.order_by("key", "id").values(*fields)[:wanted])
            found.extend((index, row) for row in batch)
            if len(batch) == wanted:
                bound = batch[-1]["key"] if bound is None else min(bound, batch[-1]["key"])
        found.sort(key=lambda pair: (pair[1]["key"], pair[1]["id"]))
        rows.extend(found[:wanted])
        if len(rows) >= limit:
            break
    counts = [0] * len(streams)
    for index, _row in rows:
        counts[index] += 1
    # Deleted: withdrawn, or (in a set) removed from the set's community.
    items = [
        _item(row, row["key"], deleted=row["state"] != RecordState.PUBLISHED or row["removed"] is not None)
        for _index, row in rows
    ]
    return items, counts.index(max(counts))


def _after(key: dt.datetime, record_id: int) -> TupleGreaterThan:
    """``(key, id) > (key, record_id)``: one row comparison, which is a range of the ``(datestamp, id)``
    index (the OR of ``key > …`` and ``key = … AND id > …`` is not, and with stale statistics the
    planner sorted the whole table for it on every page). Databases without row values get the OR."""
    return TupleGreaterThan(Tuple(F("key"), F("id")), (key, record_id))


def _item(row: dict, key: dt.datetime, deleted: bool) -> Item:
    xml = row.get("payload__xml")
    if xml is not None and (
        row["payload__datestamp"] != row["datestamp"]  # rendered before the record's last change
        or (row["links_changed"] is not None and row["payload__rendered_at"] < row["links_changed"])
    ):
        xml = None  # stale: rendered afresh on demand
    return Item(row["id"], key, deleted, None if deleted else xml, row["metadata__resource_type__type"] or "")


def _fill_missing(items: list[Item], prefix: str) -> None:
    missing = [i.record_id for i in items if not i.deleted and i.xml is None]
    if missing:
        rendered = render_missing(missing, prefix)
        for item in items:
            if not item.deleted and item.xml is None:
                item.xml = rendered.get(item.record_id)
                # Withdrawn between the page query and now: no metadata any more. It is listed
                # again further on with its withdrawal datestamp.
                item.deleted = item.xml is None


# --- Output ----------------------------------------------------------------------------------------


def _header(item: Item, specs) -> str:
    return envelope.header(oai_identifier(item.record_id), item.key, specs, item.deleted)


def _record(item: Item, specs) -> str:
    if item.deleted:
        return f"<record>{_header(item, specs)}</record>"
    return f"<record>{_header(item, specs)}<metadata>{item.xml}</metadata></record>"
