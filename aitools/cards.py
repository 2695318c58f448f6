"""Dataset and model cards: the optional ``card`` section of a record's metadata.

Datasets follow "Datasheets for Datasets" (Gebru et al.), models "Model Cards" (Mitchell et al.);
each heading is a free-text field. :func:`rai_properties` maps a card to Croissant's
Responsible-AI vocabulary (``rai:``).
"""

from __future__ import annotations

# (field, English heading) in the order the papers give them.
DATASET_SECTIONS = [
    ("motivation", "Motivation"),
    ("composition", "Composition"),
    ("collection_process", "Collection process"),
    ("preprocessing", "Preprocessing, cleaning and labelling"),
    ("uses", "Uses"),
    ("distribution", "Distribution"),
    ("maintenance", "Maintenance"),
]
MODEL_SECTIONS = [
    ("intended_use", "Intended use"),
    ("out_of_scope_use", "Out-of-scope use"),
    ("training_data", "Training data"),
    ("evaluation", "Evaluation data and metrics"),
    ("limitations", "Limitations"),
    ("ethical_considerations", "Ethical considerations"),
]

# Croissant RAI properties (http://mlcommons.org/croissant/RAI/) each card field feeds.
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


def rai_properties(card: dict) -> dict:
    """``{"rai:…": [text, …]}`` from the card's filled-in fields (several fields may share one)."""
    out: dict[str, list[str]] = {}
    for name, prop in RAI_PROPERTIES.items():
        text = (card.get(name) or "").strip() if isinstance(card.get(name), str) else ""
        if text:
            out.setdefault(prop, []).append(text)
    return {prop: values[0] if len(values) == 1 else values for prop, values in out.items()}
