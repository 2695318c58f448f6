"""Dataset and model cards: schema, deposit form and API round trips, landing page, HF README, Croissant RAI."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from huggingface_hub import DatasetCard, ModelCard

from records import services
from records.models import Record
from records.validation import validate_metadata
from tests.records.conftest import make_metadata
from tests.records.test_api import LIST, api_for
from tests.records.test_deposit_views import FORM

DATASET_CARD = {
    "kind": "dataset",
    "motivation": "Study sentiment in parliamentary debate.",
    "composition": "12,000 speeches with one label each.",
    "collection_process": "Downloaded from the Riksdag's open data.",
    "uses": "Sentiment classification benchmarks.",
    "task_categories": ["text-classification"],
    "size_category": "10K-100K",
}
MODEL_CARD = {
    "kind": "model",
    "intended_use": "Classify the sentiment of Swedish speeches.",
    "limitations": "Trained on formal speech only.",
    "ethical_considerations": "Speakers are public figures; names are kept.",
    "task_categories": ["text-classification"],
}


@pytest.mark.parametrize(
    ("card", "problem"),
    [
        (DATASET_CARD, None),
        (MODEL_CARD, None),
        ({"motivation": "no kind"}, "kind"),
        ({"kind": "dataset", "intended_use": "a model heading too"}, None),
        ({"kind": "dataset", "unknown_heading": "x"}, "unknown_heading"),
        ({"kind": "dataset", "size_category": "huge"}, "size_category"),
        ({"kind": "dataset", "motivation": "x" * 20001}, "motivation"),
    ],
)
def test_schema_validates_the_card(card, problem):
    errors = validate_metadata(make_metadata(card=card), complete=True)
    if problem is None:
        assert errors == []
    else:
        assert errors, card
        assert any(problem in e.message or problem in e.pointer for e in errors), [
            e.as_dict() for e in errors
        ]


@pytest.fixture
def depositor_client(client_for, depositor):
    return client_for(depositor)


def test_card_round_trips_through_the_form(depositor_client):
    typed = {
        "card-kind": "dataset",
        "card-motivation": "Study sentiment.",
        "card-composition": "Speeches.",
        "card-intended_use": "Kept: a dataset card may use the model headings too.",
        "card-task_categories": "text-classification, translation",
        "card-size_category": "1K-10K",
    }
    response = depositor_client.post(reverse("records:new_upload"), {**FORM, **typed})
    assert response.status_code == 302
    record = Record.objects.get()
    assert record.metadata["card"] == {
        "kind": "dataset",
        "motivation": "Study sentiment.",
        "composition": "Speeches.",
        "intended_use": "Kept: a dataset card may use the model headings too.",
        "task_categories": ["text-classification", "translation"],
        "size_category": "1K-10K",
    }
    page = depositor_client.get(reverse("records:edit", args=[record.pk])).content.decode()
    assert 'id="card-kind-dataset" value="dataset" checked' in page
    assert ">Study sentiment.</textarea>" in page
    assert 'value="text-classification, translation"' in page
    assert '<option value="1K-10K" selected>1K&lt;n&lt;10K</option>' in page
    # saving the page as it is shown keeps the card; choosing "No card" removes it
    depositor_client.post(reverse("records:edit", args=[record.pk]), {**FORM, **typed})
    record.refresh_from_db()
    assert record.metadata["card"]["motivation"] == "Study sentiment."
    depositor_client.post(reverse("records:edit", args=[record.pk]), {**FORM, "card-kind": ""})
    record.refresh_from_db()
    assert "card" not in record.metadata


def test_card_error_is_shown_in_the_form(depositor_client):
    typed = {"card-kind": "dataset", "card-motivation": "ok", "card-task_categories": "Not A Task!"}
    response = depositor_client.post(reverse("records:new_upload"), {**FORM, **typed})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="card_errors"' in page
    assert Record.objects.get().metadata["card"]["task_categories"] == ["Not A Task!"]  # kept as typed


def test_card_round_trips_through_the_api(depositor):
    writer = api_for(depositor, ["deposit:write", "deposit:actions"])
    response = writer.post(LIST, {"metadata": make_metadata(card=MODEL_CARD)}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["metadata"]["card"] == MODEL_CARD
    fetched = writer.get(f"{LIST}/{body['id']}").json()
    assert fetched["metadata"]["card"] == MODEL_CARD
    bad = writer.put(
        f"{LIST}/{body['id']}", {"metadata": make_metadata(card={"kind": "robot"})}, format="json"
    )
    assert bad.status_code == 400
    assert "card" in json.dumps(bad.json())


def publish(user, metadata):
    record = services.create_draft(user, metadata)
    return services.publish(record, user, declaration_accepted=True)


def test_landing_page_shows_the_card(client, depositor):
    record = publish(depositor, make_metadata(card=DATASET_CARD))
    page = client.get(record.get_absolute_url()).content.decode()
    assert 'id="record-card"' in page
    assert "<h3>Collection process</h3>" in page
    assert "Downloaded from the Riksdag&#x27;s open data." in page
    assert "<h3>Maintenance</h3>" not in page  # empty headings are not shown


def readme(client, record) -> str:
    response = client.get(f"/records/{record.pk}/export/hf-card")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    return response.content.decode()


def test_dataset_card_loads_with_huggingface_hub(client, depositor):
    record = publish(depositor, make_metadata(card=DATASET_CARD))
    card = DatasetCard(readme(client, record))
    assert card.data.license == "cc-by-4.0"
    assert card.data.language == ["sv", "en"]
    assert card.data.task_categories == ["text-classification"]
    assert card.data.size_categories == ["10K<n<100K"]
    assert card.data.pretty_name == make_metadata()["title"]
    assert "## Motivation\n\nStudy sentiment in parliamentary debate." in card.text
    assert "## Maintenance\n\n[More information needed]" in card.text
    assert "secret.contact" not in str(card)


def test_model_card_loads_with_huggingface_hub(client, depositor):
    record = publish(depositor, make_metadata(resource_type={"type": "software"}, card=MODEL_CARD))
    card = ModelCard(readme(client, record))
    assert card.data.license == "cc-by-4.0"
    assert card.data.pipeline_tag == "text-classification"
    assert card.data.tags == ["sentiment analysis", "politics"]
    assert "## Out-of-scope use\n\n[More information needed]" in card.text
    assert "## Limitations\n\nTrained on formal speech only." in card.text


def test_croissant_carries_the_card_as_rai_properties(client, depositor):
    record = publish(depositor, make_metadata(card=DATASET_CARD))
    doc = json.loads(client.get(f"/records/{record.pk}/export/croissant").content)
    assert doc["rai:dataCollection"] == "Collection process: Downloaded from the Riksdag's open data."
    assert doc["rai:dataUseCases"] == [
        "Motivation: Study sentiment in parliamentary debate.",
        "Uses: Sentiment classification benchmarks.",
    ]
    assert doc["rai:dataLimitations"] == "Composition: 12,000 speeches with one label each."
