"""Each policy check rule: pass, fail and unknown, with Swedish and diacritic name variants."""

import pytest

from curation.models import Organisation
from curation.rules import rule_config, run_checks
from curation.rules.access import AccessRule
from curation.rules.affiliation import AffiliationRule, Registry, normalize_name
from curation.rules.language import LanguageRule, detect_language
from curation.rules.size import SizeRule


class FakeRecord:
    def __init__(self, **metadata):
        self.metadata = metadata
        self.pk = None
        self.bucket = None


def affiliation(*names, ror=None):
    affs = [{"name": n} for n in names]
    if ror:
        affs.append({"name": "Somewhere", "ror": ror})
    return FakeRecord(creators=[{"name": "Doe, Jane", "affiliations": affs}])


@pytest.fixture
def registry(db):
    return Registry.for_city("Stockholm")


def run(rule, record, community=None, **params):
    config = {"enabled": True, **rule.defaults, **params}
    return rule.run(record, community, config)


def test_registry_is_loaded_by_the_data_migration(db):
    names = set(Organisation.objects.values_list("name", flat=True))
    for expected in [
        "KTH Royal Institute of Technology",
        "Stockholm University",
        "Karolinska Institutet",
        "Stockholm School of Economics",
        "Södertörn University",
        "RISE Research Institutes of Sweden",
        "Ericsson",
        "Spotify",
        "King Digital Entertainment",
        "Klarna",
    ]:
        assert expected in names
    assert Organisation.objects.get(key="kth").ror == "026vcq606"


def test_normalize_name_ignores_case_punctuation_and_diacritics():
    assert normalize_name("Södertörns Högskola!") == "sodertorns hogskola"
    assert normalize_name("KUNGLIGA  tekniska-högskolan") == "kungliga tekniska hogskolan"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("KTH Royal Institute of Technology", "kth"),
        ("kth royal institute of technology", "kth"),
        ("Kungliga Tekniska högskolan", "kth"),
        ("Kungliga Tekniska Hogskolan", "kth"),  # diacritics dropped by the author
        ("Dept. of Computer Science, KTH, Stockholm, Sweden", "kth"),
        ("Stockholms universitet, Matematiska institutionen", "su"),
        ("Department of Mathematics, Stockholm University", "su"),
        ("Karolinska Institutet", "ki"),
        ("KAROLINSKA INSTITUTE", "ki"),
        ("Karolinska University Hospital, Solna", "kuh"),
        ("Handelshögskolan i Stockholm", "sse"),
        ("Handelshogskolan i Stockholm", "sse"),
        ("Södertörns högskola", "sh"),
        ("Sodertorn University", "sh"),
        ("RISE Research Institutes of Sweden AB", "rise"),
        ("Ericsson Research, Kista", "ericsson"),
        ("Spotify AB", "spotify"),
        ("King", "king"),
        ("Klarna Bank AB", "klarna"),
    ],
)
def test_registry_matches_name_variants(registry, text, expected):
    org = registry.match(text)
    assert org is not None, text
    assert org.key == expected


@pytest.mark.parametrize(
    "text",
    [
        "King's College London",
        "University of Oslo",
        "Kingston University",
        "Uppsala universitet",
        "Lund University",
    ],
)
def test_registry_does_not_match_other_organisations(registry, text):
    assert registry.match(text) is None


def test_affiliation_passes_on_swedish_name(db):
    result = run(AffiliationRule(), affiliation("Kungliga Tekniska högskolan"))
    assert result.status == "pass"
    assert "KTH Royal Institute of Technology" in result.reason


def test_affiliation_passes_on_diacritic_free_spelling(db):
    result = run(AffiliationRule(), affiliation("Sodertorns hogskola"))
    assert result.status == "pass"
    assert "Södertörn University" in result.reason


def test_affiliation_passes_on_ror_id(db):
    record = FakeRecord(
        creators=[{"name": "Doe, Jane", "affiliations": [{"name": "SU", "ror": "https://ror.org/05f0yaq80"}]}]
    )
    result = run(AffiliationRule(), record)
    assert result.status == "pass"
    assert result.code == "affiliation.ror"
    assert "05f0yaq80" in result.reason


def test_affiliation_passes_if_any_creator_is_from_stockholm(db):
    record = FakeRecord(
        creators=[
            {"name": "Nordmann, Ola", "affiliations": [{"name": "University of Oslo"}]},
            {"name": "Svensson, Sven", "affiliations": [{"name": "Karolinska Institutet"}]},
        ]
    )
    assert run(AffiliationRule(), record).status == "pass"


def test_affiliation_fails_without_stockholm_organisation(db):
    result = run(AffiliationRule(), affiliation("University of Oslo", "Lund University"))
    assert result.status == "fail"
    assert "University of Oslo" in result.reason and "Stockholm" in result.reason


def test_affiliation_unknown_without_any_affiliation(db):
    record = FakeRecord(creators=[{"name": "Doe, Jane"}, {"name": "Roe, Rick", "affiliations": []}])
    result = run(AffiliationRule(), record)
    assert result.status == "unknown"
    assert "No creator gives an affiliation" in result.reason


def test_affiliation_unknown_for_unregistered_organisation_in_stockholm(db):
    result = run(AffiliationRule(), affiliation("Tiny Startup AB, Stockholm"))
    assert result.status == "unknown"
    assert "Tiny Startup AB" in result.reason


def test_affiliation_uses_the_registry_edited_by_staff(db):
    record = affiliation("Tiny Startup AB")
    assert run(AffiliationRule(), record).status == "fail"
    Organisation.objects.create(key="tiny", name="Tiny Startup AB", kind="company")
    assert run(AffiliationRule(), record).status == "pass"


def test_affiliation_rule_city_parameter(db):
    Organisation.objects.create(
        key="gu",
        name="University of Gothenburg",
        name_sv="Göteborgs universitet",
        kind="university",
        city="Gothenburg",
    )
    record = affiliation("Göteborgs universitet")
    assert run(AffiliationRule(), record).status == "fail"
    assert run(AffiliationRule(), record, city="Gothenburg").status == "pass"


# --- language -----------------------------------------------------------------------------------


def test_detection_tells_english_from_swedish():
    assert detect_language("Maskininlärning för medicinsk bildanalys", ["eng", "swe"]) == ("swe", True)
    assert detect_language("Federated learning on edge devices", ["eng", "swe"]) == ("eng", True)
    assert detect_language("Neuronale Netze für die Bilderkennung in der Medizin", ["eng", "swe"]) == (
        "deu",
        False,
    )
    assert detect_language("AI", ["eng", "swe"]) == (None, False)


def test_language_passes_for_english_metadata_and_text(db):
    record = FakeRecord(
        title="A survey of transformer models",
        description="<p>We review attention mechanisms.</p>",
        languages=["eng"],
    )
    result = run(LanguageRule(), record)
    assert result.status == "pass"
    assert "English" in result.reason


def test_language_passes_for_swedish_text_without_metadata_language(db):
    record = FakeRecord(
        title="Språkmodeller i svensk sjukvård",
        description="Vi undersöker hur språkmodeller kan användas i svensk sjukvård och presenterar en ny metod.",
    )
    result = run(LanguageRule(), record)
    assert result.status == "pass"
    assert result.code == "language.detected_ok"
    assert "Swedish" in result.reason


def test_language_fails_for_other_metadata_language(db):
    record = FakeRecord(title="Neuronale Netze", languages=["deu"])
    result = run(LanguageRule(), record)
    assert result.status == "fail"
    assert "German" in result.reason


def test_language_fails_when_text_is_clearly_another_language(db):
    record = FakeRecord(
        title="Apprentissage profond pour la reconnaissance d'images médicales",
        description="Nous présentons une nouvelle méthode pour la segmentation des images.",
    )
    result = run(LanguageRule(), record)
    assert result.status == "fail"
    assert "French" in result.reason


def test_language_fails_when_metadata_contradicts_the_text(db):
    record = FakeRecord(
        title="Künstliche Intelligenz und Gesellschaft",
        description="Wir untersuchen die Auswirkungen künstlicher Intelligenz auf die Gesellschaft.",
        languages=["eng"],
    )
    result = run(LanguageRule(), record)
    assert result.status == "fail"
    assert result.code == "language.metadata_mismatch"


def test_language_unknown_for_short_text_without_metadata(db):
    record = FakeRecord(title="AI", description="")
    result = run(LanguageRule(), record)
    assert result.status == "unknown"


def test_language_rule_parameters(db):
    record = FakeRecord(title="Neuronale Netze für die Bilderkennung in der Medizin", languages=["deu"])
    assert run(LanguageRule(), record, languages=["deu", "eng"]).status == "pass"


# --- access ---------------------------------------------------------------------------------------


def test_access_passes_for_open_with_licence():
    result = run(AccessRule(), FakeRecord(access_right="open", license="CC-BY-4.0"))
    assert result.status == "pass"
    assert "CC-BY-4.0" in result.reason


def test_access_fails_for_open_without_licence():
    result = run(AccessRule(), FakeRecord(access_right="open"))
    assert result.status == "fail"
    assert "no licence" in result.reason


@pytest.mark.parametrize("access", ["embargoed", "closed", "restricted"])
def test_access_fails_for_non_open(access):
    result = run(AccessRule(), FakeRecord(access_right=access, license="CC-BY-4.0"))
    assert result.status == "fail"
    assert "open access" in result.reason


def test_access_rule_parameters():
    record = FakeRecord(access_right="closed")
    assert run(AccessRule(), record, access_rights=["open", "closed"]).status == "pass"


# --- size ----------------------------------------------------------------------------------------


def test_size_pass_and_fail(monkeypatch, community):
    import storage.services

    monkeypatch.setattr(
        storage.services,
        "current_files",
        lambda record: [{"key": "a", "size": 600}, {"key": "b", "size": 500}],
    )
    community.size_limit_bytes = 2000
    result = run(SizeRule(), FakeRecord(), community)
    assert result.status == "pass"
    assert "1.1 kB" in result.reason and "2 kB" in result.reason
    community.size_limit_bytes = 1000
    result = run(SizeRule(), FakeRecord(), community)
    assert result.status == "fail"
    assert "more than the limit" in result.reason


def test_size_unknown_when_storage_cannot_tell(monkeypatch, community):
    import storage.services

    monkeypatch.setattr(storage.services, "current_files", lambda record: [{"key": "a"}])  # no size known
    assert run(SizeRule(), FakeRecord(), community).status == "unknown"


def test_size_checks_the_stored_files(make_record, depositor, community):
    record = make_record(depositor, files={"data/a.csv": b"x" * 1500, "b.txt": b"y" * 700})
    community.size_limit_bytes = 3000
    result = run(SizeRule(), record, community)
    assert result.status == "pass"
    assert result.params["size"] == 2200
    community.size_limit_bytes = 2000
    result = run(SizeRule(), record, community)
    assert result.status == "fail"
    assert "2.2 kB" in result.reason


# --- configuration ------------------------------------------------------------------------------


def test_rules_are_configured_per_community(community, make_record, depositor):
    record = make_record(
        depositor, creators=[{"name": "Nordmann, Ola", "affiliations": [{"name": "University of Oslo"}]}]
    )
    keys = [r.key for r in run_checks(record, community)]
    assert keys == ["affiliation", "language", "access", "size"]
    community.check_rules = {"affiliation": {"enabled": False}, "size": {"enabled": False}}
    results = run_checks(record, community)
    assert [r.key for r in results] == ["language", "access"]
    assert all(r.status == "pass" for r in results)
    assert rule_config(community)["language"]["languages"] == ["eng", "swe"]


def test_staff_edit_the_registry_in_the_admin(client_for, staff):
    c = client_for(staff)
    response = c.post(
        "/admin/curation/organisation/add/",
        {
            "key": "acme-ai",
            "name": "Acme AI Research",
            "name_sv": "Acme AI-forskning",
            "variants": "Acme Artificial Intelligence\nAcme AI Lab",
            "acronyms": "AAR",
            "ror": "https://ror.org/026vcq606",
            "kind": "company",
            "city": "Stockholm",
            "active": "on",
        },
    )
    import re

    assert response.status_code == 302, re.findall(
        r'<ul class="errorlist[^>]*>.*?</ul>', response.content.decode()
    )
    org = Organisation.objects.get(key="acme-ai")
    assert org.variants == ["Acme Artificial Intelligence", "Acme AI Lab"] and org.acronyms == ["AAR"]
    assert org.ror == "026vcq606"
    registry = Registry.for_city("Stockholm")
    assert registry.match("Acme AI Lab, Kista").key == "acme-ai"
    assert registry.match("Dept. X, AAR").key == "acme-ai"
    response = c.post(
        "/admin/curation/organisation/add/",
        {"key": "bad", "name": "Bad", "kind": "company", "city": "Stockholm", "ror": "nonsense"},
    )
    assert response.status_code == 200 and "Enter a ROR id" in response.content.decode()


def test_checks_of_many_records_are_each_records_checks_in_a_fixed_number_of_queries(
    make_record, depositor, community, django_assert_max_num_queries
):
    """``run_checks_many`` (the demo's bulk path) gives what ``run_checks`` gives each record, with the
    registry and the files' sizes fetched once for all of them."""
    from curation.rules import run_checks_many
    from records.models import Record

    community.size_limit_bytes = 2000
    made = [
        make_record(depositor, files={"data/a.csv": b"x" * 1500, "b.txt": b"y" * 700}),
        make_record(depositor, files={"a.csv": b"x" * 10}, access_right="closed"),
        make_record(
            depositor, creators=[{"name": "Nordmann, Ola", "affiliations": [{"name": "University of Oslo"}]}]
        ),
        make_record(depositor, creators=[{"name": "Doe, Jane", "affiliations": [{"name": "Somewhere"}]}]),
    ]
    records = list(Record.objects.filter(pk__in=[r.pk for r in made]).order_by("id"))
    expected = [run_checks(record, community) for record in records]
    assert {r.status for results in expected for r in results} >= {"pass", "fail"}
    assert [r.params.get("size") for results in expected for r in results if r.key == "size"] == [
        2200,
        10,
        0,
        0,
    ]
    with django_assert_max_num_queries(4):
        assert run_checks_many(records, community) == expected
    # outside the batch, each record's lookups are its own again
    assert run_checks(records[0], community) == expected[0]
