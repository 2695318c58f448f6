"""The export formats this app adds to records' registry (imported once, by the app's ``ready``)."""

from __future__ import annotations

from aitools import cards, cff, croissant
from records.exports.registry import JSON, TEXT, ExportFormat, register

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

register(
    ExportFormat(
        name="hf-card",
        label="Hugging Face card (README.md)",
        media_type="text/markdown",
        extension="md",
        serialise=lambda record: cards.to_readme(record),
        kind=TEXT,
        order=76,
    )
)

register(
    ExportFormat(
        name="cff",
        label="CITATION.cff",
        media_type="application/yaml",
        extension="cff",
        serialise=lambda record: cff.to_cff(record),
        kind=TEXT,
        order=77,
    )
)
