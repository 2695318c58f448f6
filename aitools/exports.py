"""The export formats this app adds to records' registry (imported once, by the app's ``ready``)."""

from __future__ import annotations

from aitools import croissant
from records.exports.registry import JSON, ExportFormat, register

register(
    ExportFormat(
        name="croissant",
        label="Croissant",
        media_type="application/ld+json",
        extension="croissant.json",
        serialise=lambda record: croissant.to_croissant(record),
        kind=JSON,
        order=75,
    )
)
