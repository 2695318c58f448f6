"""Dataset and model cards: the optional ``card`` section of a record's metadata.

A dataset card has the headings of "Datasheets for Datasets" (Gebru et al. 2021), a model card those
of "Model Cards for Model Reporting" (Mitchell et al. 2019); each heading is free plain text. The
JSON schema (``records/schemas/``) validates the section; this module names the headings (for the
deposit form, the landing page and the exports) and reads the form's ``card-*`` fields.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

DATASET = "dataset"
MODEL = "model"

# (field, heading, a hint of what goes there) in the order the papers give them.
DATASET_SECTIONS = [
    ("motivation", _("Motivation"), _("Why was the dataset created, by whom, funded by whom?")),
    ("composition", _("Composition"), _("What do the instances represent; how many; what is missing?")),
    ("collection_process", _("Collection process"), _("How, when and from whom was the data collected?")),
    ("preprocessing", _("Preprocessing, cleaning and labelling"), _("What was done to the raw data?")),
    ("uses", _("Uses"), _("What has it been used for; what should it not be used for?")),
    ("distribution", _("Distribution"), _("How is it distributed, under which terms?")),
    ("maintenance", _("Maintenance"), _("Who maintains it; how are errata and updates handled?")),
]
MODEL_SECTIONS = [
    ("intended_use", _("Intended use"), _("Primary uses and users.")),
    ("out_of_scope_use", _("Out-of-scope use"), _("Uses the model is not meant or fit for.")),
    ("training_data", _("Training data"), _("What the model was trained on.")),
    ("evaluation", _("Evaluation data and metrics"), _("Datasets, metrics and results.")),
    ("limitations", _("Limitations"), _("Known failure modes, biases and risks.")),
    ("ethical_considerations", _("Ethical considerations"), _("Sensitive data, risks, mitigations.")),
]
SECTIONS = {DATASET: DATASET_SECTIONS, MODEL: MODEL_SECTIONS}
KINDS = [(DATASET, _("Dataset card (Datasheets for Datasets)")), (MODEL, _("Model card (Model Cards)"))]
FORM_PREFIX = "card-"


def ordered_sections(kind: str) -> list[tuple]:
    """The kind's headings first, then the other kind's."""
    return [*SECTIONS[kind], *(s for k, sections in SECTIONS.items() if k != kind for s in sections)]


def card_from_post(data) -> dict:
    """The ``card`` metadata typed into the deposit form's ``card-*`` fields; {} when none is filled."""
    kind = (data.get(FORM_PREFIX + "kind") or "").strip()
    if not kind:
        return {}
    card: dict = {"kind": kind}
    for name, _heading, _hint in ordered_sections(kind if kind in SECTIONS else DATASET):
        text = (data.get(FORM_PREFIX + name) or "").strip()
        if text:
            card[name] = text
    tasks = [t.strip() for t in (data.get(FORM_PREFIX + "task_categories") or "").split(",") if t.strip()]
    if tasks:
        card["task_categories"] = tasks
    size = (data.get(FORM_PREFIX + "size_category") or "").strip()
    if size:
        card["size_category"] = size
    return card if len(card) > 1 else {}


def card_sections(card) -> list[dict]:
    """``[{"name", "heading", "text"}]`` of a card's filled-in headings: its kind's, then the others."""
    if not isinstance(card, dict) or card.get("kind") not in SECTIONS:
        return []
    return [
        {"name": name, "heading": heading, "text": card[name]}
        for name, heading, _hint in ordered_sections(card["kind"])
        if isinstance(card.get(name), str) and card[name]
    ]


SIZE_CATEGORIES = {
    # stored id: the Hugging Face size category (kept free of "<" and ">", which text cleaning strips)
    "lt-1K": "n<1K",
    "1K-10K": "1K<n<10K",
    "10K-100K": "10K<n<100K",
    "100K-1M": "100K<n<1M",
    "1M-10M": "1M<n<10M",
    "10M-100M": "10M<n<100M",
    "100M-1B": "100M<n<1B",
    "1B-10B": "1B<n<10B",
    "10B-100B": "10B<n<100B",
    "100B-1T": "100B<n<1T",
    "gt-1T": "n>1T",
}


def landing_card(card) -> dict | None:
    """What the landing page shows of a card: its kind and filled-in headings; None without any."""
    sections = card_sections(card)
    return {"kind": card["kind"], "sections": sections} if sections else None


def form_context(card) -> dict:
    """The deposit form's card fields, filled from the stored (or just typed) card."""
    card = card if isinstance(card, dict) else {}
    tasks = card.get("task_categories")
    return {
        "kind": card.get("kind", ""),
        "kinds": KINDS,
        "sections": form_sections(card),
        "task_categories": ", ".join(str(t) for t in tasks) if isinstance(tasks, list) else "",
        "size_category": card.get("size_category", ""),
        "size_categories": list(SIZE_CATEGORIES.items()),
    }


def form_sections(card) -> list[dict]:
    """Every heading of both kinds with the card's text, for the deposit form's card fields."""
    card = card if isinstance(card, dict) else {}
    return [
        {
            "kind": kind,
            "name": name,
            "field": FORM_PREFIX + name,
            "heading": heading,
            "hint": hint,
            "text": card.get(name, ""),
        }
        for kind, sections in SECTIONS.items()
        for name, heading, hint in sections
    ]
