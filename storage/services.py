"""Storage verbs. The records app calls the two hooks below from its own verbs."""

from __future__ import annotations


def on_publish(record, actor) -> None:
    """Called inside records.services.publish's transaction: staged file versions become current."""


def on_discard(record, actor) -> None:
    """Called inside records.services.discard_edit's transaction: staged file versions are dropped."""
