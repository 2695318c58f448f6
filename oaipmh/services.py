"""The ``render_record`` verb and the payload lookups the endpoint builds on.

Payloads are rendered once per record and format and stored as text in ``RenderedPayload``. The
records app does not push renders: every verb that changes what harvesters see moves the record's
``datestamp``, and OAI-PMH pulls. A beat job (``oaipmh.tasks.render_stale``, every
``OAI_RENDER_INTERVAL_SECONDS``) finds the records whose payloads are missing or older than their
datestamp and renders them in batches. Responses only stream stored text; a payload still missing or
stale when a harvester asks is rendered on demand, stored and served, so nothing is ever missing and
nothing outdated is ever served.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from communities.models import Community
from oaipmh.formats import FORMATS
from oaipmh.models import RenderedPayload, SweepMark
from records.exports.base import ExportRecord
from records.exports.registry import NOT_DISSEMINATED
from records.models import CommunityRecord, Record, RecordState

# States that OAI-PMH exposes: published records, and withdrawn ones as deleted headers.
VISIBLE_STATES = (RecordState.PUBLISHED, RecordState.WITHDRAWN)


def oai_identifier(record_id: int) -> str:
    return f"oai:{settings.OAI_REPOSITORY_IDENTIFIER}:{record_id}"


def record_id_from(identifier: str) -> int | None:
    """The record id inside ``oai:<repository>:<id>``, or None if it is not one of ours."""
    prefix = f"oai:{settings.OAI_REPOSITORY_IDENTIFIER}:"
    if not identifier.startswith(prefix):
        return None
    local = identifier[len(prefix) :]
    if not re.fullmatch(r"[1-9][0-9]{0,17}", local):
        return None
    return int(local)


def visible_records() -> QuerySet[Record]:
    """Records OAI-PMH shows (drafts never): published ones, and withdrawn ones as deleted.

    Written ``state <> 'draft'``, which is ``state IN VISIBLE_STATES`` (every other state): without
    statistics the planner takes an ``IN`` for a rare few rows and sorts them rather than walk the
    ``(datestamp, id)`` index, and a ``<>`` for most of the table, which it is."""
    return Record.objects.exclude(state=RecordState.DRAFT).filter(datestamp__isnull=False)


def render_payloads(record: Record, prefixes: Iterable[str] | None = None) -> list[RenderedPayload]:
    """Serialise a published record in the given formats (default: all), without storing."""
    return render_many([record], prefixes)


def render_many(records: Iterable[Record], prefixes: Iterable[str] | None = None) -> list[RenderedPayload]:
    """Serialise published records in the given formats (default: all), without storing.

    The export view of all of them is built at once (``ExportRecord.from_records``: two queries
    for the whole batch, not two per record), so bulk rendering is bound by the serialisers.
    """
    records = list(records)
    prefixes = list(prefixes or FORMATS)
    now = timezone.now()
    return [
        RenderedPayload(
            record_id=record.pk,
            prefix=prefix,
            xml=FORMATS[prefix].render(export),
            datestamp=record.datestamp or now,
            rendered_at=now,
        )
        for record, export in zip(records, ExportRecord.from_records(records), strict=True)
        for prefix in prefixes
    ]


def store_payloads(payloads: list[RenderedPayload]) -> None:
    RenderedPayload.objects.bulk_create(
        payloads,
        update_conflicts=True,
        unique_fields=["record", "prefix"],
        update_fields=["xml", "datestamp", "rendered_at"],
    )


def render_record(record: Record | int) -> dict[str, str]:
    """Render and store the record's payload in every format; returns ``{prefix: xml}``.

    Only published records have payloads: for any other state (withdrawn, a draft, gone) stored
    payloads are removed and ``{}`` is returned. Safe to run twice or out of order: the payload
    records the datestamp it was made from, and the endpoint never serves a stale one.
    """
    record_id = record.pk if isinstance(record, Record) else int(record)
    with transaction.atomic():
        current = Record.objects.filter(pk=record_id).first()
        if current is None or current.state != RecordState.PUBLISHED or current.datestamp is None:
            RenderedPayload.objects.filter(record_id=record_id).delete()
            return {}
        payloads = render_payloads(current)
        store_payloads(payloads)
    return {p.prefix: p.xml for p in payloads}


def rerender_records(record_ids: Iterable[int]) -> tuple[int, int]:
    """Render every format of these published records again (``oai_render``); ``(rendered, moved)``.

    OAI-PMH wants a new datestamp whenever a record's serialisation changes. When a serialiser
    changed (or a format was added) since the record's payloads were rendered for its current
    datestamp, the record's datestamp moves to now, so incremental harvesters fetch it again.
    A fixed number of queries per batch: records, their stored payloads, files and communities,
    the datestamp moves, the upsert.
    """
    records = list(
        Record.objects.filter(pk__in=list(record_ids), state=RecordState.PUBLISHED, datestamp__isnull=False)
    )
    before = {
        (row["record_id"], row["prefix"]): (row["xml"], row["datestamp"])
        for row in RenderedPayload.objects.filter(record__in=records).values(
            "record_id", "prefix", "xml", "datestamp"
        )
    }
    rendered = render_many(records)
    per_record = len(rendered) // len(records) if records else 0
    changed = []
    for index, record in enumerate(records):
        payloads = rendered[index * per_record : (index + 1) * per_record]
        old = [before.get((record.pk, p.prefix)) for p in payloads]
        # Only payloads rendered for the current datestamp say what harvesters already have.
        current = [o for o in old if o is not None and o[1] == record.datestamp]
        if current and any(
            o is None or (o[1] == record.datestamp and o[0] != p.xml)
            for o, p in zip(old, payloads, strict=True)
        ):
            changed.append(record)
    moved = _move_datestamps(changed)
    if moved:
        for payload in rendered:
            payload.datestamp = moved.get(payload.record_id, payload.datestamp)
    with transaction.atomic():
        store_payloads(rendered)
    return len(records), len(moved)


def _move_datestamps(records: list[Record]) -> dict[int, dt.datetime]:
    """Give these records a new datestamp, now; ``{id: new datestamp}`` of those moved.

    Conditional on the datestamp they were rendered for: a record edited meanwhile has already
    moved on (and its own render task renders it), so it is left alone.
    """
    if not records:
        return {}
    now = timezone.now()
    for start in range(0, len(records), 200):  # SQLite caps an expression's depth at 1,000
        unchanged = Q()
        for record in records[start : start + 200]:
            unchanged |= Q(pk=record.pk, datestamp=record.datestamp)
        Record.objects.filter(unchanged).update(datestamp=now)
    moved = Record.objects.filter(pk__in=[r.pk for r in records], datestamp=now).values_list("pk", flat=True)
    return dict.fromkeys(moved, now)


def render_missing(record_ids: Iterable[int], prefix: str) -> dict[int, str]:
    """On-demand rendering for records whose ``prefix`` payload is missing or stale: ``{id: xml}``.

    Every format of each record is rendered and stored (it was missing or stale in all of them
    too, most likely), so the next request finds them.
    """
    ids = list(record_ids)
    if not ids:
        return {}
    payloads = render_many(
        Record.objects.filter(pk__in=ids, state=RecordState.PUBLISHED, datestamp__isnull=False)
    )
    store_payloads(payloads)
    return {p.record_id: p.xml for p in payloads if p.prefix == prefix}


def public_communities() -> QuerySet[Community]:
    """The communities that are OAI-PMH sets: those anyone may see (restricted ones are never revealed)."""
    return Community.objects.visible_to(AnonymousUser())


def set_spec(slug: str) -> str:
    return f"user-{slug}"


def community_slug(spec: str) -> str | None:
    return spec[len("user-") :] if spec.startswith("user-") and len(spec) > len("user-") else None


# OpenAIRE's sets by resource type (https://guidelines.openaire.eu): literature in ``openaire``,
# research data and software in ``openaire_data``. Membership follows the record's resource type.
TYPE_SETS: dict[str, tuple[Promise | str, Promise | str, tuple[str, ...]]] = {
    "openaire": (
        _("OpenAIRE: literature"),
        _("Publications, posters and presentations, for OpenAIRE's literature harvest."),
        ("publication", "poster", "presentation"),
    ),
    "openaire_data": (
        _("OpenAIRE: research data"),
        _("Datasets and software, for OpenAIRE's research data harvest."),
        ("dataset", "software"),
    ),
}


def type_set_types(spec: str | None) -> tuple[str, ...] | None:
    """The resource types of a type set, or None when ``spec`` is not one."""
    entry = TYPE_SETS.get(spec or "")
    return entry[2] if entry else None


def type_set_specs(resource_type: str) -> list[str]:
    return [spec for spec, (_name, _description, types) in TYPE_SETS.items() if resource_type in types]


def set_specs_for(record_ids: Iterable[int], types: dict[int, str] | None = None) -> dict[int, list[str]]:
    """``{record id: [setSpec, …]}``: the records' current communities, then their type sets.

    ``types`` (``{record id: resource type}``), when the caller has read them, saves a query."""
    record_ids = list(record_ids)
    specs: dict[int, list[str]] = {}
    rows = (
        CommunityRecord.objects.filter(
            record_id__in=record_ids, removed_at__isnull=True, community__in=public_communities()
        )
        .order_by("community__slug")
        .values_list("record_id", "community__slug")
    )
    for record_id, slug in rows:
        specs.setdefault(record_id, []).append(set_spec(slug))
    if types is None:
        typed = Record.objects.filter(pk__in=record_ids).values_list("pk", "metadata__resource_type__type")
        types = {record_id: resource_type or "" for record_id, resource_type in typed}
    for record_id, resource_type in types.items():
        for spec in type_set_specs(resource_type or ""):
            specs.setdefault(record_id, []).append(spec)
    return specs


# --- Pulling stale payloads -------------------------------------------------------------------------

# A verb sets a record's datestamp inside its transaction and commits a little later: a sweep looks
# back this far before the previous sweep's start, so no record committed late is ever passed over.
SWEEP_OVERLAP = dt.timedelta(minutes=5)
SWEEP = "payloads"


def _stale(queryset: QuerySet[Record]) -> QuerySet[Record]:
    """Published records without a payload rendered for their current datestamp, and records that are
    no longer published but still have payloads (withdrawn)."""
    first = next(iter(FORMATS))
    fresh = RenderedPayload.objects.filter(
        record=OuterRef("pk"), prefix=first, datestamp=OuterRef("datestamp")
    )
    any_payload = RenderedPayload.objects.filter(record=OuterRef("pk"))
    published = Q(state=RecordState.PUBLISHED, datestamp__isnull=False) & ~Q(Exists(fresh))
    gone = ~Q(state=RecordState.PUBLISHED) & Q(Exists(any_payload))
    return queryset.filter(published | gone)


def stale_record_ids(now: dt.datetime | None = None) -> list[int]:
    """Ids of the records whose payloads must be rendered or dropped, oldest change first.

    Only records changed since shortly before the previous sweep are looked at (an index range on
    ``datestamp``), so a sweep costs little however large the repository; the first sweep looks at all.
    """
    now = now or timezone.now()
    mark = SweepMark.objects.filter(name=SWEEP).first()
    candidates = Record.objects.all()
    if mark is not None:
        candidates = candidates.filter(datestamp__gte=mark.started - SWEEP_OVERLAP)
    ids = list(_stale(candidates).order_by("datestamp", "pk").values_list("pk", flat=True))
    SweepMark.objects.update_or_create(name=SWEEP, defaults={"started": now})
    return ids


def render_stale_batch(record_ids: Iterable[int]) -> int:
    """Render the payloads of those of these records that are still stale, drop those of records no
    longer published; returns how many records were brought up to date. Safe to run twice."""
    stale = list(_stale(Record.objects.filter(pk__in=list(record_ids))))
    published = [r for r in stale if r.state == RecordState.PUBLISHED]
    gone = [r.pk for r in stale if r.state != RecordState.PUBLISHED]
    with transaction.atomic():
        if published:
            store_payloads(render_many(published))
        if gone:
            RenderedPayload.objects.filter(record_id__in=gone).delete()
    return len(stale)


# --- Records a format withholds --------------------------------------------------------------------


def withheld_records(prefix: str) -> QuerySet[Record]:
    """Published records not disseminated in ``prefix`` because they lack what the format requires
    (``OaiMetadata.problems``): their payload for their current datestamp is empty. Oldest change first."""
    empty = RenderedPayload.objects.filter(
        record=OuterRef("pk"), prefix=prefix, xml=NOT_DISSEMINATED, datestamp=OuterRef("datestamp")
    )
    return Record.objects.filter(state=RecordState.PUBLISHED, datestamp__isnull=False).filter(Exists(empty))


def format_problems(record: Record, prefix: str) -> list[str]:
    """What keeps ``record`` out of ``prefix`` (empty: nothing, or a format without such rules)."""
    oai = FORMATS[prefix].export_format.oai
    if oai is None or oai.problems is None:
        return []
    return oai.problems(ExportRecord.from_record(record))
