"""The resource type table is the one source of types, subtypes, labels and every format's crosswalk."""

from __future__ import annotations

import json

from django.utils import translation

from records import resource_types, vocabularies
from records.exports.datacite import RESOURCE_TYPE_GENERAL
from records.validation import SCHEMA_PATH, load_schema, resource_subtypes


def test_the_shipped_schema_file_lists_the_tables_types_and_subtypes():
    shipped = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["properties"]["resource_type"]
    assert load_schema()["properties"]["resource_type"] == shipped
    assert resource_subtypes() == {
        "publication": [row.subtype for row in resource_types.subtypes("publication")],
        "image": [row.subtype for row in resource_types.subtypes("image")],
    }


def test_every_row_has_every_crosswalk_and_a_unique_id():
    ids = [row.id for row in resource_types.RESOURCE_TYPES]
    assert len(ids) == len(set(ids))
    for row in resource_types.RESOURCE_TYPES:
        assert all([row.label, row.datacite, row.dc, row.marc, row.csl, row.bibtex, row.schema_org]), row
        assert RESOURCE_TYPE_GENERAL[row.id] == row.datacite
        assert row.zenodo["upload_type"] == row.type


def test_unknown_ids_fall_back_to_their_type_then_other():
    assert resource_types.by_id("publication-unheardof").id == "publication"
    assert resource_types.by_id("unheardof").id == "other"
    assert resource_types.lookup("image", "photo").schema_org == "ImageObject"


def test_the_site_and_the_exports_use_the_same_label():
    assert vocabularies.resource_type_label("publication", "other") == "Other publication"
    assert dict(vocabularies.subtype_choices("image"))["other"] == "Other image"
    assert [value for value, _label in vocabularies.resource_type_choices()] == [
        row.type for row in resource_types.types()
    ]
    with translation.override("sv"):
        assert vocabularies.resource_type_label("publication", "article") == "Tidskriftsartikel"
        assert str(vocabularies.RESOURCE_TYPE_LABELS["video"]) == "Video/ljud"
