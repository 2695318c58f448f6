"""The metadata formats the endpoint serves: the export formats that declare OAI-PMH metadata.

A thin view over ``records.exports.registry`` (read at every call, so a format registered later is
served too): ``FORMATS`` maps each ``metadataPrefix`` to a :class:`MetadataFormat` whose ``render``
calls the one serialiser of that format in ``records.exports``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from records.exports.registry import ExportFormat, oai_formats


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    schema: str
    namespace: str
    export_format: ExportFormat

    def render(self, export_record) -> str:
        return self.export_format.render_oai(export_record)


def _metadata_format(fmt: ExportFormat) -> MetadataFormat:
    oai = fmt.oai
    if oai is None:  # never: oai_formats() holds only the formats that declare OAI-PMH metadata
        raise KeyError(fmt.name)
    return MetadataFormat(oai.prefix, oai.schema, oai.namespace, fmt)


class _Formats(Mapping):
    """``{prefix: MetadataFormat}`` in ``ListMetadataFormats`` order, read from the registry."""

    def __getitem__(self, prefix: str) -> MetadataFormat:
        return _metadata_format(oai_formats()[prefix])

    def __iter__(self) -> Iterator[str]:
        return iter(oai_formats())

    def __len__(self) -> int:
        return len(oai_formats())


FORMATS: Mapping[str, MetadataFormat] = _Formats()
