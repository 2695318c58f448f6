"""Controlled values are shown in the reader's language, not as stored English codes."""

from records import services

from .conftest import make_metadata


def in_swedish(client):
    client.post("/i18n/setlang/", {"language": "sv", "next": "/"})
    return client


def test_landing_page_labels_in_swedish(client_for, depositor):
    metadata = make_metadata(
        languages=["eng", "deu"],
        contributors=[{"name": "Redaktör, Rut", "role": "Editor"}],
        related_identifiers=[{"identifier": "10.1234/abc", "scheme": "doi", "relation": "IsCitedBy"}],
    )
    record = services.publish(
        services.create_draft(depositor, metadata), depositor, declaration_accepted=True
    )
    web = in_swedish(client_for(depositor))
    body = web.get(f"/records/{record.pk}/").content.decode()
    assert "Engelska" in body and "Tyska" in body and "German" not in body
    assert "Citeras av" in body and "Is cited by" not in body
    assert "Redaktör" in body
    assert "Första publiceringen" in body and "First publication" not in body  # revision summary
    assert record.revisions.get().summary == "First publication"  # stored once, in English


def test_deposit_form_offers_languages_and_roles_in_swedish(client_for, depositor):
    body = in_swedish(client_for(depositor)).get("/uploads/new/").content.decode()
    assert ">Svenska<" in body and ">Engelska<" in body
    assert "Kontaktperson" in body and "Contact person" not in body
    assert "Är en del av" in body
