"""Demo records for ``seed_demo --records N``: realistic, deterministic, idempotent.

The first ``FULL_PATH`` records go through the same verbs as a depositor in the browser
(create_draft → store files → publish). The rest use a bulk path that writes the same rows the
verbs write — record, revision 1, facets, search vector, DOI, stored files with checksums (from
``seed_files`` through ``storage.services.bulk_store``), audit entries — in one transaction, and
queues the same after-commit work: replication to the other storage locations and DataCite
registration. Its Stockholm-affiliated records are accepted into the demo community with the rows
``request_inclusion`` and ``accept`` write (``bulk_accept``). OAI-PMH pulls its payloads for them like
for any record (``seed_demo`` queues the sweep at its end). So 100,000 records take minutes and look exactly like deposited ones.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
import struct
import time
import zlib

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, DateTimeField, ExpressionWrapper, F, Value
from django.db.models.functions import Cast, Concat, Least, Lower
from django.utils import timezone

from audit.models import AuditEntry
from curation import services as curation_services
from curation.models import Event, InclusionRequest, Notification, NotificationKind, RequestKind, RequestState
from curation.rules import overall_status, run_checks_many
from records import services
from records import tasks as records_tasks
from records.doi import doi_stem, get_provider
from records.models import CommunityRecord, MetadataRevision, Record, RecordFacet, RecordState
from records.search import facet_values, search_text, update_vectors
from records.validation import clean_metadata, validate_metadata
from storage import services as storage_services
from storage.models import FileVersion

FULL_PATH = 100
BATCH = 2000

STOCKHOLM = [
    {"name": "KTH Royal Institute of Technology", "ror": "https://ror.org/026vcq606"},
    {"name": "Stockholm University", "ror": "https://ror.org/05f0yaq80"},
    {"name": "Karolinska Institutet", "ror": "https://ror.org/056d84691"},
    {"name": "RISE Research Institutes of Sweden, Kista"},
    {"name": "Spotify AB, Stockholm"},
    {"name": "Ericsson Research, Stockholm"},
]
ELSEWHERE = [
    {"name": "Uppsala University", "ror": "https://ror.org/048a87296"},
    {"name": "Chalmers University of Technology", "ror": "https://ror.org/040wg7k59"},
    {"name": "University of Oxford", "ror": "https://ror.org/052gg0110"},
    {"name": "Massachusetts Institute of Technology", "ror": "https://ror.org/042nb2s44"},
    {"name": "ETH Zurich", "ror": "https://ror.org/05a28rw58"},
    {"name": "Aalto University", "ror": "https://ror.org/020hwjq30"},
]
FAMILY = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Lindqvist",
    "Åberg",
    "Öhman",
    "Chen",
    "Nguyen",
    "García",
    "Müller",
    "Kowalski",
    "Smith",
    "Okafor",
    "Rossi",
    "Tanaka",
    "Haddad",
    "Novak",
]
GIVEN = [
    "Anna",
    "Erik",
    "Maria",
    "Lars",
    "Karin",
    "Johan",
    "Sara",
    "Anders",
    "Elin",
    "Mikael",
    "Åsa",
    "Björn",
    "Wei",
    "Linh",
    "Lucía",
    "Jonas",
    "Agnieszka",
    "John",
    "Chinedu",
    "Giulia",
    "Haruto",
    "Leila",
    "Petra",
]
EN_METHODS = [
    "Graph neural networks",
    "Transformer models",
    "Reinforcement learning",
    "Federated learning",
    "Bayesian optimisation",
    "Contrastive self-supervised learning",
    "Diffusion models",
    "Explainable AI methods",
    "Active learning",
    "Causal inference",
]
EN_TASKS = [
    "traffic forecasting",
    "protein structure prediction",
    "speech recognition",
    "anomaly detection",
    "medical image segmentation",
    "energy demand prediction",
    "legal document classification",
    "robot navigation",
    "music recommendation",
    "climate downscaling",
]
EN_PLACES = [
    "in Stockholm",
    "in Nordic hospitals",
    "on edge devices",
    "for low-resource languages",
    "at city scale",
    "under distribution shift",
    "with limited labels",
    "in public transport",
]
SV_METHODS = [
    "Grafneurala nätverk",
    "Transformermodeller",
    "Förstärkningsinlärning",
    "Federerad inlärning",
    "Bayesiansk optimering",
    "Förklarbar AI",
    "Aktiv inlärning",
    "Kausal inferens",
]
SV_TASKS = [
    "trafikprognoser",
    "taligenkänning",
    "avvikelsedetektering",
    "medicinsk bildsegmentering",
    "prognoser av energibehov",
    "klassificering av juridiska dokument",
    "robotnavigering",
    "musikrekommendationer",
]
SV_PLACES = [
    "i Stockholm",
    "inom svensk sjukvård",
    "på inbyggda system",
    "för svenska texter",
    "i kollektivtrafiken",
    "med få annoteringar",
]
KEYWORDS = [
    "machine learning",
    "deep learning",
    "maskininlärning",
    "AI",
    "neural networks",
    "NLP",
    "computer vision",
    "robotics",
    "statistics",
    "open data",
    "reproducibility",
    "Stockholm",
]
TYPES = [
    ({"type": "dataset"}, 24),
    ({"type": "publication", "subtype": "article"}, 20),
    ({"type": "publication", "subtype": "preprint"}, 12),
    ({"type": "publication", "subtype": "conferencepaper"}, 8),
    ({"type": "publication", "subtype": "thesis"}, 4),
    ({"type": "publication", "subtype": "report"}, 4),
    ({"type": "software"}, 12),
    ({"type": "poster"}, 5),
    ({"type": "presentation"}, 5),
    ({"type": "image", "subtype": "figure"}, 3),
    ({"type": "video"}, 2),
    ({"type": "lesson"}, 1),
]
LICENSES = [
    ("CC-BY-4.0", 50),
    ("CC0-1.0", 15),
    ("MIT", 10),
    ("Apache-2.0", 8),
    ("CC-BY-SA-4.0", 8),
    ("GPL-3.0-or-later", 5),
    ("BSD-3-Clause", 4),
]
SOFTWARE_LICENSES = {"MIT", "Apache-2.0", "GPL-3.0-or-later", "BSD-3-Clause"}


def _weighted(rng: random.Random, options):
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]


def _person(rng: random.Random, stockholm: bool) -> dict:
    family, given = rng.choice(FAMILY), rng.choice(GIVEN)
    person = {
        "name": f"{family}, {given}",
        "family_name": family,
        "given_name": given,
        "affiliations": [dict(rng.choice(STOCKHOLM if stockholm else ELSEWHERE))],
    }
    return person


EN_CONTENTS = {
    "dataset": "The data are in CSV, one row per observation, with a codebook.",
    "software": "The code is a Jupyter notebook with the experiments and a small sample of the data.",
    "image": "The figure is a PNG rendering of the main result.",
    "poster": "The poster, as a PNG, was presented at the Stockholm AI spring meeting.",
}
SV_CONTENTS = {
    "dataset": "Data ligger i CSV-format, en rad per observation, med en kodbok.",
    "software": "Koden är en Jupyter-anteckningsbok med experimenten och ett litet urval av data.",
    "image": "Figuren är en PNG-bild av huvudresultatet.",
    "poster": "Postern, som PNG, presenterades vid Stockholm AI:s vårmöte.",
}


def _pair(methods: list[str], tasks: list[str], index: int) -> tuple[str, str]:
    """Method and task for record ``index``: neighbouring records differ in both, and the first
    len(methods) × len(tasks) records never repeat a pair (distinct titles for a small demo)."""
    size = len(methods)
    first, second = index % size, index // size
    return methods[first], tasks[(3 * first + second) % len(tasks)]


def demo_metadata(index: int) -> dict:
    """Deterministic, valid metadata for demo record number ``index`` (titles carry no counter)."""
    rng = random.Random(index * 7919 + 17)
    swedish = rng.random() < 0.3
    rtype = dict(_weighted(rng, TYPES))
    if swedish:
        method, task = _pair(SV_METHODS, SV_TASKS, index)
        title = f"{method} för {task} {rng.choice(SV_PLACES)}"
        contents = SV_CONTENTS.get(rtype["type"], "Artikeln finns som PDF.")
        description = (
            f"<p>Vi undersöker {title[0].lower() + title[1:]} och jämför med etablerade metoder.</p>"
            f"<p>{contents} Resultaten kan återskapas med materialet i posten.</p>"
        )
    else:
        method, task = _pair(EN_METHODS, EN_TASKS, index)
        title = f"{method} for {task} {rng.choice(EN_PLACES)}"
        contents = EN_CONTENTS.get(rtype["type"], "The paper is attached as a PDF.")
        description = (
            f"<p>We study {title[0].lower() + title[1:]} and compare it with established baselines.</p>"
            f"<p>{contents} The results can be reproduced from the material in this record.</p>"
        )
    creators = [_person(rng, stockholm=(i == 0 and index % 5 != 3)) for i in range(rng.randint(1, 4))]
    license_id = _weighted(rng, LICENSES)
    if rtype["type"] == "software" and license_id not in SOFTWARE_LICENSES:
        license_id = "MIT"
    year = rng.randint(2015, 2025)
    meta = {
        "resource_type": rtype,
        "title": title,
        "publication_date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "creators": creators,
        "description": description,
        "languages": ["swe"] if swedish else ["eng"],
        "keywords": rng.sample(KEYWORDS, 3),
        "access_right": "open",
        "license": license_id,
        "publisher": "Stockholm AI",
    }
    if rng.random() < 0.1:
        meta["version"] = f"{rng.randint(1, 3)}.{rng.randint(0, 9)}"
    if rng.random() < 0.15:
        meta["related_identifiers"] = [
            {
                "identifier": f"10.48550/arXiv.{year % 100:02d}{rng.randint(1, 12):02d}.{index % 100000:05d}",
                "scheme": "doi",
                "relation": "IsSupplementTo",
            }
        ]
    return clean_metadata(meta)


def _png(index: int, size: int = 48) -> bytes:
    """A small real PNG: a colour gradient that differs per record."""
    rows = b"".join(
        b"\x00"
        + bytes(c for x in range(size) for c in ((x * 5 + index) % 256, (y * 5) % 256, (index * 37) % 256))
        for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _pdf(title: str) -> bytes:
    """A small real one-page PDF with the title on it."""
    text = title.encode("latin-1", "replace").replace(b"\\", b"").replace(b"(", b"").replace(b")", b"")
    stream = b"BT /F1 14 Tf 56 780 Td (" + text[:90] + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 " + str(len(objects) + 1).encode() + b"\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size " + str(len(objects) + 1).encode() + b" /Root 1 0 R >>\nstartxref\n"
    return out + str(xref).encode() + b"\n%%EOF\n"


def _notebook(index: int) -> bytes:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Experiments\n", "Scores per training step."]},
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "outputs": [
                {"name": "stdout", "output_type": "stream", "text": [f"mean score {index % 50 + 40}\n"]}
            ],
            "source": ["import csv\n", f"print('mean score', 40 + {index % 50})"],
        },
    ]
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(notebook, indent=1).encode()


def demo_file(index: int, number: int, metadata: dict | None = None) -> tuple[str, bytes]:
    """A small real file that suits the record: CSV for data, a notebook for code, PNG for images and
    posters, PDF for papers and slides (the first file; further ones are CSV tables)."""
    kind = ((metadata or {}).get("resource_type") or {}).get("type", "dataset")
    if number == 0 and kind == "software":
        return "experiments.ipynb", _notebook(index)
    if number == 0 and kind in ("image", "poster", "video"):
        return ("figure.png" if kind != "poster" else "poster.png"), _png(index)
    if number == 0 and kind in ("publication", "presentation", "lesson"):
        return "paper.pdf" if kind == "publication" else "slides.pdf", _pdf((metadata or {}).get("title", ""))
    rows = "\n".join(f"{i},{(index * 31 + i * 17) % 1000 / 10}" for i in range(50))
    return f"data/results-{number + 1}.csv", f"step,score\n{rows}\n".encode()


# --- Bulk path ------------------------------------------------------------------------------------


def bulk_publish(
    owner,
    metadatas: list[dict],
    *,
    published_at: list[dt.datetime] | None = None,
    check_every: int = 1,
    files_per_record: int = 0,
) -> list[int]:
    """Publish many records at once, writing what ``create_draft`` + ``publish`` write. Returns ids.

    The metadata must be complete and valid: every ``check_every``-th one is validated here (the
    demo generator, whose output its tests validate, is sampled to keep 100,000 records fast).
    ``files_per_record`` demo files are stored and published with the records.
    """
    for meta in metadatas[::check_every]:
        errors = validate_metadata(meta)
        if errors:
            raise services.InvalidMetadata("invalid demo metadata", errors)
    now = timezone.now()
    stamps = published_at or [now] * len(metadatas)
    with transaction.atomic():
        records = Record.objects.bulk_create(
            [
                Record(
                    owner=owner,
                    state=RecordState.PUBLISHED,
                    metadata=meta,
                    created=stamp,
                    published_at=stamp,
                    datestamp=stamp,
                    search_text=search_text(meta),
                )
                for meta, stamp in zip(metadatas, stamps, strict=True)
            ]
        )
        ids = [r.pk for r in records]
        buckets = storage_services.create_buckets(services.BUCKET_SUBJECT, ids, locked=True)
        for record, bucket in zip(records, buckets, strict=True):
            record.bucket = bucket
        Record.objects.bulk_update(records, ["bucket"], batch_size=BATCH)
        Record.objects.filter(pk__in=ids).update(doi=Concat(Value(doi_stem()), Cast("id", CharField())))
        # the DOI is searchable too (search_text ends with it, as ``index_record`` writes it)
        Record.objects.filter(pk__in=ids).update(
            search_text=Concat(F("search_text"), Value(" "), Lower("doi"))
        )
        MetadataRevision.objects.bulk_create(
            [
                MetadataRevision(
                    record=r,
                    number=1,
                    metadata=r.metadata,
                    created=stamp,
                    created_by=owner,
                    summary="First publication",
                )
                for r, stamp in zip(records, stamps, strict=True)
            ]
        )
        RecordFacet.objects.bulk_create(
            [
                RecordFacet(record=r, name=name, value=value)
                for r in records
                for name, value in facet_values(r.metadata)
            ]
        )
        if connection.vendor == "postgresql":
            update_vectors("id = ANY(%s)", [ids])
        AuditEntry.objects.bulk_create(
            [
                AuditEntry(
                    actor=owner,
                    verb=verb,
                    object_type="records.record",
                    object_id=str(r.pk),
                    object_repr=f"{r.pk}: {r.metadata['title']}"[:255],
                    after=after,
                )
                for r in records
                for verb, after in (
                    ("create_draft", {"metadata": r.metadata}),
                    ("publish", {"state": "published", "revision": 1, "declaration_accepted": True}),
                )
            ]
        )
        if files_per_record:
            _bulk_files(records, files_per_record, owner)
        if get_provider().name != "local":
            for record_id in ids:
                transaction.on_commit(functools.partial(records_tasks.register_doi.delay, record_id))
    return ids


def seed_files(records: list[Record], files_per_record: int, actor) -> int:
    """Give published records ``files_per_record`` demo files as version 1 (records that already
    have files are left alone). Returns the number of files stored."""
    items = [
        (record.files_bucket(), *demo_file(record.pk, number, record.metadata), record.published_at)
        for record in records
        for number in range(files_per_record)
    ]
    return len(storage_services.bulk_store(items, actor))


def _bulk_files(records: list[Record], files_per_record: int, owner) -> None:
    """Stored, published files for bulk records, with what publishing writes besides the file rows
    (the ``publish_files`` audit entry) and queues (replication to the other storage locations)."""
    seed_files(records, files_per_record, owner)
    record_of = {r.bucket_id: r.pk for r in records}
    versions = (
        FileVersion.objects.filter(file__bucket__in=list(record_of), state="published")
        .order_by("file__bucket_id", "file__key")
        .values_list(
            "file__bucket_id", "file__key", "number", "instance__md5", "instance__size", "instance_id"
        )
    )
    titles = {r.pk: f"{r.pk}: {r.metadata['title']}"[:255] for r in records}
    published: dict[int, list[dict]] = {}
    entries = []
    for bucket_id, key, number, md5, size, instance_id in versions:
        record_id = record_of[bucket_id]
        published.setdefault(record_id, []).append({"key": key, "version": number, "md5": md5})
        # an upload's id becomes its file instance's id
        entries.append(
            AuditEntry(
                actor=owner,
                verb="start_upload",
                object_type="records.record",
                object_id=str(record_id),
                object_repr=titles[record_id],
                after={"upload": str(instance_id), "key": key, "size": size},
            )
        )
    entries += [
        AuditEntry(
            actor=owner,
            verb="publish_files",
            object_type="records.record",
            object_id=str(pk),
            object_repr=titles[pk],
            after={"published": files, "removed": []},
        )
        for pk, files in published.items()
    ]
    AuditEntry.objects.bulk_create(entries, batch_size=2000)


PUBLISHED_SPAN = dt.timedelta(days=5 * 365)


def _published_stamp(index: int, total: int, now: dt.datetime | None = None) -> dt.datetime:
    """Spread publication times over the past five years, newest last, for any ``total``: the
    offset is reckoned in whole microseconds (a ``timedelta`` multiplied by the index first would
    overflow past about half a million records); an index past ``total`` gets the newest time."""
    now = now or timezone.now()
    total = max(total, 1)
    span_us = PUBLISHED_SPAN // dt.timedelta(microseconds=1)
    offset_us = span_us * min(max(index, 0) + 1, total) // total
    return now - PUBLISHED_SPAN + dt.timedelta(microseconds=offset_us)


def _full_path(owner, index: int, total: int, files_per_record: int) -> Record:
    record = services.create_draft(owner, demo_metadata(index))
    _store_files(record, index, files_per_record, owner, record.metadata)
    services.publish(record, owner, declaration_accepted=True)
    return record


def _store_files(record, index: int, files_per_record: int, actor, metadata: dict | None = None) -> None:
    for number in range(files_per_record):
        key, data = demo_file(index, number, metadata)
        storage_services.store_bytes(record.bucket, key, data, actor)


def seed_records(command, community, users: dict, n: int, files_per_record: int = 1) -> None:
    """Have ``n`` published demo records (owned by ``depositor``) plus one withdrawn one."""
    owner = users["depositor"]
    started = time.monotonic()
    existing = Record.objects.filter(owner=owner, state=RecordState.PUBLISHED).count()
    missing = max(0, n - existing)
    index = existing
    full = min(missing, max(0, FULL_PATH - existing))
    for _ in range(full):
        _full_path(owner, index, n, files_per_record)
        index += 1
    # the deposit path's records in the community through the verbs, before the bulk ones join it
    _community_life(owner, users.get("curator"), community)
    accepted = 0
    while index < n:
        chunk = list(range(index, min(n, index + BATCH)))
        stamps = [_published_stamp(i, n) for i in chunk]
        metas = [demo_metadata(i) for i in chunk]
        with transaction.atomic():  # published and accepted together, or neither (seeding again resumes)
            ids = bulk_publish(
                owner, metas, published_at=stamps, check_every=20, files_per_record=files_per_record
            )
            local = [pk for pk, meta in zip(ids, metas, strict=True) if _stockholm_metadata(meta)]
            accepted += bulk_accept(local, owner, users.get("curator"), community)
        index += len(chunk)
        command.stdout.write(f"  records: {index}/{n} ({time.monotonic() - started:.0f} s)")
    _ensure_withdrawn(owner, files_per_record)
    if missing > full and connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:  # fresh statistics and visibility map for the planner
            cursor.execute(
                "VACUUM ANALYZE records_record, records_recordfacet, records_metadatarevision, "
                "communities_communityrecord"
            )
    command.stdout.write(
        f"Records: {missing} created ({full} through the deposit verbs; {accepted} of the others "
        f"accepted into {community.slug} in bulk), "
        f"{Record.objects.filter(owner=owner, state=RecordState.PUBLISHED).count()} published in total, "
        f"in {time.monotonic() - started:.1f} s."
    )


WITHDRAWN_TITLE = "Face images scraped without consent (withdrawn demo record)"


def _ensure_withdrawn(owner, files_per_record: int) -> None:
    if Record.objects.filter(owner=owner, state=RecordState.WITHDRAWN).exists():
        return
    meta = demo_metadata(999_999)
    meta["title"] = WITHDRAWN_TITLE
    record = services.create_draft(owner, meta)
    _store_files(record, 999_999, min(files_per_record, 1), owner)
    services.publish(record, owner, declaration_accepted=True)
    services.withdraw(
        record,
        owner,
        "The depositor asked for withdrawal: the images were collected without the subjects' consent.",
    )


STOCKHOLM_NAMES = {a["name"] for a in STOCKHOLM}
PENDING = 2  # Stockholm records left waiting for the curator (their checks pass)
DECLINE_REASON = "None of the authors is affiliated with a Stockholm organisation, as the policy requires."


def _in_stockholm(record: Record) -> bool:
    return _stockholm_metadata(record.metadata)


def _stockholm_metadata(metadata: dict) -> bool:
    return any(
        a.get("name") in STOCKHOLM_NAMES
        for c in metadata.get("creators") or []
        for a in c.get("affiliations") or []
    )


def _community_life(owner, curator, community) -> None:
    """The demo community as it looks in use, through the curation verbs: most Stockholm-affiliated
    records of the deposit path accepted, a few waiting (with passing and with failing checks), one
    declined. Nothing is done when the community already has requests (idempotent)."""
    if InclusionRequest.objects.filter(community=community).exists():
        return
    records = list(Record.objects.filter(owner=owner, state=RecordState.PUBLISHED).order_by("id")[:FULL_PATH])
    local = [r for r in records if _in_stockholm(r)]
    others = [r for r in records if not _in_stockholm(r)]
    accepted, waiting = local[:-PENDING] if len(local) > PENDING else [], local[-PENDING:]
    for record in accepted:
        req = curation_services.request_inclusion(owner, record, community)
        if curator is not None:
            curation_services.accept(curator, req)
    for record in waiting:
        curation_services.request_inclusion(owner, record, community, message="Please include our record.")
    if others:  # fails the affiliation check, and waits
        curation_services.request_inclusion(owner, others[0], community, message="Relevant to Stockholm AI?")
    if len(others) > 1 and curator is not None:
        req = curation_services.request_inclusion(owner, others[1], community)
        curation_services.decline(curator, req, DECLINE_REASON)


ACCEPT_DELAY = dt.timedelta(days=2)  # a bulk record's request is decided this long after publication


def bulk_accept(record_ids: list[int], owner, curator, community) -> int:
    """Stockholm-affiliated bulk records accepted into ``community``, with the rows that
    ``curation.services.request_inclusion`` then ``accept`` write for each (no message): the request
    in its accepted state with its checks and decision, the membership (``add_to_community``) and its
    new OAI-PMH datestamp, both audit entries, and the inbox notifications. Written with bulk_create,
    in one transaction; the request is made at publication and decided ``ACCEPT_DELAY`` later (at
    most now). The notifications count as e-mailed and read: no e-mails are queued for old news.
    Returns the number of records accepted (none without a curator).
    """
    if curator is None:
        return 0
    now = timezone.now()
    expiry = dt.timedelta(days=settings.CURATION_EXPIRY_DAYS)
    records = [
        r
        for r in Record.objects.filter(pk__in=record_ids).defer("search_text", "search_vector").order_by("id")
        if _in_stockholm(r)
    ]
    if not records:
        return 0
    curators = {  # whom ``request_inclusion`` tells: the community's curators, never the asker
        m.user.pk: m.user for m in community.curators() if m.user.is_active and m.user.pk != owner.pk
    }.values()
    with transaction.atomic():
        requests, decided = [], {}
        for record, results in zip(records, run_checks_many(records, community), strict=True):
            asked = record.published_at or now  # bulk records always have one
            decided[record.pk] = min(asked + ACCEPT_DELAY, now)
            requests.append(
                InclusionRequest(
                    record=record,
                    community=community,
                    kind=RequestKind.REQUEST,
                    state=RequestState.ACCEPTED,
                    created_by=owner,
                    created=asked,
                    expires_at=asked + expiry,
                    decided_at=decided[record.pk],
                    decided_by=curator,
                    reason="",
                    checks=[r.as_json() for r in results],
                    checks_status=overall_status(results),
                    checks_run_at=asked,
                )
            )
        InclusionRequest.objects.bulk_create(requests, batch_size=BATCH)
        CommunityRecord.objects.bulk_create(
            [
                CommunityRecord(community=community, record=req.record, added_at=decided[req.record_id])
                for req in requests
            ],
            batch_size=BATCH,
        )
        # the membership changes the records' setSpecs: a new OAI-PMH datestamp, the decision's time
        if connection.vendor == "postgresql":  # one statement: LEAST(published_at + delay, now)
            Record.objects.filter(pk__in=[r.pk for r in records]).update(
                datestamp=Least(
                    ExpressionWrapper(F("published_at") + ACCEPT_DELAY, output_field=DateTimeField()),
                    Value(now, output_field=DateTimeField()),
                )
            )
        else:
            for record in records:
                record.datestamp = decided[record.pk]
            Record.objects.bulk_update(records, ["datestamp"], batch_size=BATCH)
        entries, notes = [], []
        for req in requests:
            submitted = {
                "state": RequestState.SUBMITTED,
                "kind": req.kind,
                "record": req.record_id,
                "community": community.slug,
            }
            accepted = {**submitted, "state": RequestState.ACCEPTED}
            for actor, verb, before, after, state in (
                (owner, "request_inclusion", None, submitted, RequestState.SUBMITTED),
                (curator, "accept", submitted, accepted, RequestState.ACCEPTED),
            ):
                entries.append(
                    AuditEntry(
                        actor=actor,
                        verb=verb,
                        object_type="curation.inclusionrequest",
                        object_id=str(req.pk),
                        object_repr=f"#{req.pk} {req.record_id} → {community.pk} ({state})"[:255],
                        before=before,
                        after=after,
                        reason="",
                    )
                )
            notes += [
                Notification(
                    user=user,
                    kind=NotificationKind.REQUEST_NEW,
                    event=Event.SUBMITTED,
                    request=req,
                    actor=owner,
                    detail="",
                    created=req.created,
                    emailed_at=req.created,
                    read_at=decided[req.record_id],
                )
                for user in curators
            ]
            if owner.is_active and owner.pk != curator.pk:
                notes.append(
                    Notification(
                        user=owner,
                        kind=NotificationKind.REQUEST_DECISION,
                        event=Event.ACCEPTED,
                        request=req,
                        actor=curator,
                        detail="",
                        created=decided[req.record_id],
                        emailed_at=decided[req.record_id],
                        read_at=decided[req.record_id],
                    )
                )
        AuditEntry.objects.bulk_create(entries, batch_size=BATCH)
        Notification.objects.bulk_create(notes, batch_size=BATCH)
    return len(requests)
