"""The metadata formats the endpoint serves, each built by the one serialiser of ``records.exports``.

Serialisers are looked up by dotted path when rendering (never imported at module level), so
there is exactly one implementation per format in the project and tests can spy on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    schema: str
    namespace: str
    serializer: str  # dotted path of a function Record|ExportRecord -> lxml Element

    def render(self, export_record) -> str:
        from lxml import etree

        element = import_string(self.serializer)(export_record)
        return etree.tostring(element, encoding="unicode")


FORMATS: dict[str, MetadataFormat] = {
    f.prefix: f
    for f in (
        MetadataFormat(
            "oai_dc",
            "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
            "http://www.openarchives.org/OAI/2.0/oai_dc/",
            "records.exports.dc.to_oai_dc",
        ),
        MetadataFormat(
            "oai_datacite",
            "http://schema.datacite.org/oai/oai-1.1/oai.xsd",
            "http://schema.datacite.org/oai/oai-1.1/",
            "records.exports.datacite.to_oai_datacite",
        ),
        MetadataFormat(
            "datacite",
            "http://schema.datacite.org/meta/kernel-4/metadata.xsd",
            "http://datacite.org/schema/kernel-4",
            "records.exports.datacite.to_datacite",
        ),
        MetadataFormat(
            "marcxml",
            "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd",
            "http://www.loc.gov/MARC21/slim",
            "records.exports.marcxml.to_marcxml",
        ),
    )
}
