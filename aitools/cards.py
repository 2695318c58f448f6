"""Dataset and model cards outside the portal: Croissant's Responsible-AI properties and the Hugging Face
``README.md`` card (YAML front matter, then the card's headings as Markdown sections).

The card itself (headings, form, validation) belongs to records (``records/cards.py``).
"""

from __future__ import annotations

import yaml

from records.cards import DATASET, MODEL, SECTIONS, SIZE_CATEGORIES, ordered_sections
from records.exports.base import ExportRecord, as_export_record, html_to_text, language_bcp47

# Croissant RAI properties (http://mlcommons.org/croissant/RAI/) each card heading feeds.
RAI_PROPERTIES = {
    "motivation": "rai:dataUseCases",
    "composition": "rai:dataLimitations",
    "collection_process": "rai:dataCollection",
    "preprocessing": "rai:dataPreprocessingProtocol",
    "uses": "rai:dataUseCases",
    "distribution": "rai:dataReleaseMaintenancePlan",
    "maintenance": "rai:dataReleaseMaintenancePlan",
    "intended_use": "rai:dataUseCases",
    "out_of_scope_use": "rai:dataLimitations",
    "training_data": "rai:dataCollection",
    "evaluation": "rai:dataUseCases",
    "limitations": "rai:dataLimitations",
    "ethical_considerations": "rai:dataSocialImpact",
}

# English headings of the exported card (exports are in English, like the other formats).
HEADINGS = {
    "motivation": "Motivation",
    "composition": "Composition",
    "collection_process": "Collection process",
    "preprocessing": "Preprocessing, cleaning and labelling",
    "uses": "Uses",
    "distribution": "Distribution",
    "maintenance": "Maintenance",
    "intended_use": "Intended use",
    "out_of_scope_use": "Out-of-scope use",
    "training_data": "Training data",
    "evaluation": "Evaluation data and metrics",
    "limitations": "Limitations",
    "ethical_considerations": "Ethical considerations",
}


def _text(card: dict, name: str) -> str:
    value = card.get(name)
    return value.strip() if isinstance(value, str) else ""


def rai_properties(card: dict) -> dict:
    """``{"rai:…": text or [texts]}`` from the card's filled-in headings (several may share one)."""
    if not isinstance(card, dict) or card.get("kind") not in SECTIONS:
        return {}
    out: dict[str, list[str]] = {}
    for name, _heading, _hint in ordered_sections(card["kind"]):
        text = _text(card, name)
        if text:
            out.setdefault(RAI_PROPERTIES[name], []).append(f"{HEADINGS[name]}: {text}")
    return {prop: values[0] if len(values) == 1 else values for prop, values in out.items()}


def card_kind(rec: ExportRecord) -> str:
    """The card's kind; without a card, ``model`` for software and ``dataset`` for anything else."""
    card = rec.metadata.get("card") or {}
    if card.get("kind") in SECTIONS:
        return str(card["kind"])
    return MODEL if rec.resource_type_id == "software" else DATASET


def front_matter(rec: ExportRecord) -> dict:
    """The card's YAML metadata as the Hugging Face Hub reads it."""
    card = rec.metadata.get("card") or {}
    data: dict = {}
    if rec.metadata.get("license"):
        data["license"] = str(rec.metadata["license"]).lower()
    if rec.languages:
        data["language"] = [language_bcp47(code) for code in rec.languages]
    tasks = [str(t) for t in card.get("task_categories") or []]
    if card_kind(rec) == DATASET:
        if tasks:
            data["task_categories"] = tasks
        if card.get("size_category") in SIZE_CATEGORIES:
            data["size_categories"] = [SIZE_CATEGORIES[card["size_category"]]]
        data["pretty_name"] = rec.title
    elif tasks:
        data["pipeline_tag"] = tasks[0]
    if rec.keywords:
        data["tags"] = [str(k) for k in rec.keywords]
    return data


def to_readme(record) -> str:
    """The Hugging Face ``README.md`` card: YAML front matter, the title, description and headings."""
    rec = as_export_record(record)
    card = rec.metadata.get("card") or {}
    kind = card_kind(rec)
    yaml_text = yaml.safe_dump(front_matter(rec), allow_unicode=True, sort_keys=False)
    parts = [f"---\n{yaml_text}---\n", f"# {rec.title or f'Record {rec.id}'}\n"]
    if rec.description_text:
        parts.append(rec.description_text + "\n")
    link = rec.doi_url or rec.landing_url
    parts.append(f"Archived at {link}.\n")
    for name, _heading, _hint in SECTIONS[kind]:
        text = _text(card, name)
        parts.append(f"## {HEADINGS[name]}\n\n{text or '[More information needed]'}\n")
    for name, _heading, _hint in ordered_sections(kind)[len(SECTIONS[kind]) :]:
        if _text(card, name):  # the other kind's headings, where filled in
            parts.append(f"## {HEADINGS[name]}\n\n{_text(card, name)}\n")
    notes = html_to_text(str(rec.metadata.get("notes") or ""))
    if notes:
        parts.append(f"## Notes\n\n{notes}\n")
    return "\n".join(parts)
