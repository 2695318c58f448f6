"""The deposit form: HTML form fields ⇄ schema metadata, and schema errors ⇄ form fields.

Scalar fields are a Django form of plain text inputs (the JSON Schema, not the form, validates).
Repeating groups (creators, contributors, related identifiers, funding, additional titles,
subjects) are rows named ``<group>-<n>-<field>``; creators' and contributors' affiliations nest
as ``creators-<n>-affiliations-<m>-name``. Rows are read in the order the browser submits them,
so the page's script can add, remove and reorder rows without renumbering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from records import vocabularies as vocab
from records.cards import card_from_post
from records.models import WithdrawalReason
from records.validation import DESCRIPTION_TAGS, FieldError

# The form's one-value fields, stored under the same names in the metadata.
SIMPLE_FIELDS = (
    "title",
    "publication_date",
    "description",
    "access_right",
    "embargo_date",
    "access_conditions",
    "license",
    "version",
    "thesis_level",
    "journal_title",
    "journal_volume",
    "journal_issue",
    "journal_pages",
    "conference_title",
    "conference_place",
    "conference_dates",
    "publisher",
    "notes",
    "contact_email",
)
ROW_KEY = re.compile(r"^([a-z_]+)-(\d+)-(.+)$")

# Each repeating group: its sub-fields in the form (the key in the metadata may differ).
GROUPS: dict[str, tuple[str, ...]] = {
    "creators": ("type", "family_name", "given_name", "name", "orcid"),
    "contributors": ("type", "family_name", "given_name", "name", "orcid", "role"),
    "related_identifiers": ("identifier", "scheme", "relation"),
    "funding": ("funder_name", "funder_ror", "award_number", "award_title", "award_uri"),
    "additional_titles": ("title", "type", "lang"),
    "subjects": ("term", "scheme", "identifier"),
}
PEOPLE = ("creators", "contributors")


class TextField(forms.CharField):
    """A plain text input whose value is kept exactly as typed (the schema validates it, lengths
    too: a form-level limit would drop the value from the draft instead of keeping it)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", True)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        # NUL cannot be stored; drop it rather than refuse the value (the rest is kept as typed)
        text = super().to_python(value)
        return text.replace("\x00", "") if text is not None else text


class ListField(forms.Field):
    """Several values (a multiple select), kept as typed."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        return [str(v).strip() for v in values if str(v).strip()]


class RecordForm(forms.Form):
    resource_type = TextField(label=_("Resource type"), widget=forms.Select)
    publication_type = TextField(label=_("Publication type"), widget=forms.Select)
    image_type = TextField(label=_("Image type"), widget=forms.Select)
    title = TextField(label=_("Title"))
    publication_date = TextField(
        label=_("Publication date"),
        help_text=_("YYYY-MM-DD, or YYYY-MM or YYYY when only the month or year is known."),
        widget=forms.TextInput(
            attrs={"placeholder": "YYYY-MM-DD", "inputmode": "numeric", "autocomplete": "off"}
        ),
    )
    description = TextField(
        label=_("Description"),
        help_text=_("Basic HTML is allowed: paragraphs, lists, links, emphasis. Scripts are removed."),
        # static/records/richtext.js turns it into a rich-text editor keeping to the sanitiser's tags
        widget=forms.Textarea(attrs={"rows": 8, "data-richtext": " ".join(sorted(DESCRIPTION_TAGS))}),
    )
    languages = ListField(
        label=_("Languages"),
        help_text=_("English is preferred; Swedish is accepted. Hold Ctrl (⌘ on a Mac) to choose several."),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    keywords = TextField(
        label=_("Keywords"), help_text=_("One per line."), widget=forms.Textarea(attrs={"rows": 3})
    )
    access_right = TextField(label=_("Access right"), widget=forms.RadioSelect)
    embargo_date = TextField(
        label=_("Embargo end date"),
        help_text=_("The files become public on this date (YYYY-MM-DD)."),
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM-DD", "type": "date"}),
    )
    access_conditions = TextField(
        label=_("Conditions of access"),
        help_text=_("Shown publicly: who may ask for the files and how."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    license = TextField(label=_("Licence"), widget=forms.Select)
    version = TextField(label=_("Version"))
    journal_title = TextField(
        label=_("Journal title"), help_text=_("The journal or book the work appeared in.")
    )
    journal_volume = TextField(label=_("Volume"))
    journal_issue = TextField(label=_("Issue"))
    journal_pages = TextField(label=_("Pages"), help_text=_("First and last page, e.g. 12-34."))
    conference_title = TextField(label=_("Conference"))
    conference_place = TextField(label=_("Conference place"))
    conference_dates = TextField(
        label=_("Conference dates"), help_text=_("YYYY-MM-DD, or YYYY-MM-DD - YYYY-MM-DD for several days.")
    )
    thesis_level = TextField(
        label=_("Thesis level"),
        help_text=_("For a thesis: the degree it was written for."),
        widget=forms.Select,
    )
    publisher = TextField(label=_("Publisher"))
    references = TextField(
        label=_("References"),
        help_text=_("One reference per line."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    notes = TextField(label=_("Additional notes"), widget=forms.Textarea(attrs={"rows": 3}))
    contact_email = TextField(
        label=_("Contact e-mail"),
        help_text=_("Private: never shown publicly or exported."),
        widget=forms.TextInput(attrs={"inputmode": "email", "autocomplete": "email"}),
    )
    external_doi = TextField(
        label=_("Existing DOI"),
        help_text=_(
            "Only if your upload already has a DOI from another registration agency; otherwise leave empty."
        ),
    )
    communities = forms.MultipleChoiceField(
        label=_("Communities"),
        required=False,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Request inclusion in these communities when you publish."),
    )

    def __init__(self, *args, community_choices=(), locked_doi: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource_type"].widget.choices = [("", "—"), *vocab.resource_type_choices()]
        self.fields["publication_type"].widget.choices = vocab.subtype_choices("publication")
        self.fields["image_type"].widget.choices = vocab.subtype_choices("image")
        self.fields["languages"].widget.choices = vocab.common_languages()
        self.fields["access_right"].widget.choices = list(vocab.ACCESS_LABELS.items())
        self.fields["thesis_level"].widget.choices = [("", "—"), *vocab.THESIS_LEVEL_LABELS.items()]
        self.fields["license"].widget.choices = vocab.license_choices()
        cast(forms.MultipleChoiceField, self.fields["communities"]).choices = list(community_choices)
        if not community_choices:
            del self.fields["communities"]
        if locked_doi:
            del self.fields["external_doi"]
        self._keep_unknown_choices()
        self.row_errors: dict[str, list[str]] = {}

    def _keep_unknown_choices(self) -> None:
        """A stored or typed value that is not in a list (an unknown licence or language code, e.g.
        from the API) stays selected as its own option, so the page shows the draft as it is and
        saving again does not silently drop it; the schema's error is shown beside the field."""
        for name in ("resource_type", "publication_type", "image_type", "languages", "license"):
            field = self.fields[name]
            if not self.is_bound:
                raw = self.initial.get(name)
            elif hasattr(self.data, "getlist"):
                raw = self.data.getlist(self.add_prefix(name))
            else:
                raw = self.data.get(self.add_prefix(name))
            values = raw if isinstance(raw, list | tuple) else [raw]
            known = {str(value) for value, _label in field.widget.choices}
            unknown = [str(v) for v in values if v and str(v) not in known]
            if unknown:
                extra = [(v, _("%(value)s (not in the list)") % {"value": v}) for v in dict.fromkeys(unknown)]
                field.widget.choices = [*field.widget.choices, *extra]

    def scalar_metadata(self) -> dict:
        data = self.cleaned_data
        meta: dict[str, Any] = {}
        rtype = data.get("resource_type")
        if rtype:
            meta["resource_type"] = {"type": rtype}
            subtype = {"publication": data.get("publication_type"), "image": data.get("image_type")}.get(
                rtype
            )
            if subtype:
                meta["resource_type"]["subtype"] = subtype
        for key in SIMPLE_FIELDS:
            if data.get(key):
                meta[key] = data[key]
        if data.get("languages"):
            meta["languages"] = list(data["languages"])
        for key in ("keywords", "references"):
            lines = [line.strip() for line in (data.get(key) or "").splitlines() if line.strip()]
            if lines:
                meta[key] = lines
        return meta


# --- Rows -------------------------------------------------------------------------------------------


def _group_rows(items: list[tuple[str, str]], group: str) -> list[dict[str, str]]:
    """Rows of ``group`` from (key, value) pairs, in first-appearance order."""
    rows: dict[str, dict[str, str]] = {}
    for key, value in items:
        match = ROW_KEY.match(key)
        if match and match.group(1) == group:
            rows.setdefault(match.group(2), {})[match.group(3)] = value.strip()
    return list(rows.values())


def _affiliations(row: dict[str, str]) -> list[dict[str, str]]:
    pairs = [(k, v) for k, v in row.items() if k.startswith("affiliations-")]
    result = []
    for aff in _group_rows(pairs, "affiliations"):
        entry = {k: v for k, v in (("name", aff.get("name", "")), ("ror", aff.get("ror", ""))) if v}
        if entry:
            result.append(entry)
    return result


def _person(row: dict[str, str], with_role: bool) -> dict:
    person: dict[str, Any] = {}
    kind = row.get("type") or "personal"
    if kind == "organizational":
        person["type"] = "organizational"
        person["name"] = row.get("name", "")
    else:
        family, given = row.get("family_name", ""), row.get("given_name", "")
        person["family_name"], person["given_name"] = family, given
        if family or given:
            person["name"] = f"{family}, {given}" if family and given else (family or given)
    person["orcid"] = row.get("orcid", "")
    if with_role:
        person["role"] = row.get("role", "")
    person["affiliations"] = _affiliations(row)
    return {k: v for k, v in person.items() if v not in ("", [], None)}


def rows_to_metadata(data) -> dict:
    items = [(key, value) for key in data for value in data.getlist(key)[:1]]
    meta: dict[str, Any] = {}
    for group in GROUPS:
        rows = [r for r in _group_rows(items, group) if any(v for k, v in r.items() if k != "type")]
        if group in PEOPLE:
            values = [_person(r, group == "contributors") for r in rows]
        elif group == "funding":
            values = [_funding(r) for r in rows]
        else:
            values = [{k: r.get(k, "") for k in GROUPS[group] if r.get(k)} for r in rows]
        values = [v for v in values if v]
        if values:
            meta[group] = values
    return meta


def _funding(row: dict[str, str]) -> dict:
    funder = {
        k: v for k, v in (("name", row.get("funder_name", "")), ("ror", row.get("funder_ror", ""))) if v
    }
    entry: dict[str, Any] = {"funder": funder} if funder else {}
    for key in ("award_number", "award_title", "award_uri"):
        if row.get(key):
            entry[key] = row[key]
    return entry


def form_to_metadata(form: RecordForm, data) -> dict:
    """The metadata typed into a bound, cleaned RecordForm plus its rows."""
    card = card_from_post(data)
    return {**form.scalar_metadata(), **rows_to_metadata(data), **({"card": card} if card else {})}


# --- Rendering rows with their errors ------------------------------------------------------------------


@dataclass
class Cell:
    name: str
    value: str
    errors: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"id_{self.name}"


@dataclass
class Row:
    index: int
    cells: dict[str, Cell]
    affiliations: list[dict[str, Cell]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _person_values(person: dict) -> dict[str, str]:
    values = {key: str(person.get(key, "")) for key in GROUPS["contributors"]}
    values["type"] = person.get("type") or "personal"
    if (
        values["type"] == "personal"
        and not (values["family_name"] or values["given_name"])
        and values["name"]
    ):
        family, _sep, given = values["name"].partition(",")
        values["family_name"], values["given_name"] = family.strip(), given.strip()
    return values


def _row_values(group: str, item: Any) -> dict[str, str]:
    if not isinstance(item, dict):
        return {}
    if group in PEOPLE:
        return _person_values(item)
    if group == "funding":
        funder = item.get("funder") or {}
        return {
            "funder_name": funder.get("name", ""),
            "funder_ror": funder.get("ror", ""),
            **{k: str(item.get(k, "")) for k in ("award_number", "award_title", "award_uri")},
        }
    return {k: str(item.get(k, "")) for k in GROUPS[group]}


def build_rows(group: str, items: list, errors: dict[str, list[str]]) -> list[Row]:
    rows = []
    for index, item in enumerate(items or []):
        values = _row_values(group, item)
        cells = {
            key: Cell(f"{group}-{index}-{key}", values.get(key, ""), errors.get(f"{group}-{index}-{key}", []))
            for key in GROUPS[group]
        }
        row = Row(index, cells, errors=errors.get(f"{group}-{index}", []))
        if group in PEOPLE and isinstance(item, dict):
            for a_index, aff in enumerate(item.get("affiliations") or []):
                aff = aff if isinstance(aff, dict) else {}
                prefix = f"{group}-{index}-affiliations-{a_index}"
                row.affiliations.append(
                    {
                        k: Cell(f"{prefix}-{k}", str(aff.get(k, "")), errors.get(f"{prefix}-{k}", []))
                        for k in ("name", "ror")
                    }
                )
            if group == "creators" and not row.affiliations:  # every creator shows an affiliation field
                prefix = f"{group}-{index}-affiliations-0"
                row.affiliations.append({k: Cell(f"{prefix}-{k}", "") for k in ("name", "ror")})
        rows.append(row)
    return rows


def template_row(group: str) -> Row:
    """The empty row the page's script clones (``__i__`` is replaced by a fresh index)."""
    cells = {key: Cell(f"{group}-__i__-{key}", "") for key in GROUPS[group]}
    if group in PEOPLE:
        cells["type"].value = "personal"
    affiliations = []
    if group == "creators":
        affiliations.append({k: Cell(f"{group}-__i__-affiliations-0-{k}", "") for k in ("name", "ror")})
    return Row(0, cells, affiliations)


# --- Errors → form fields --------------------------------------------------------------------------------

SCALAR_PATHS = {
    ("resource_type",): "resource_type",
    ("resource_type", "type"): "resource_type",
    ("doi",): "external_doi",
    ("communities",): "communities",
}


def error_key(path: tuple, metadata: dict) -> str:
    """The form field (or row) name where an error at ``path`` is shown."""
    if not path:
        return "__all__"
    head = path[0]
    if path in SCALAR_PATHS:
        return SCALAR_PATHS[path]
    if path == ("resource_type", "subtype"):
        rtype = (metadata.get("resource_type") or {}).get("type")
        return "image_type" if rtype == "image" else "publication_type"
    if head in GROUPS:
        return _row_error_key(path, metadata)
    return str(head)  # scalar fields, and list fields (languages, keywords, references) as a whole


def _row_error_key(path: tuple, metadata: dict) -> str:
    group = path[0]
    if len(path) == 1:
        return group
    index = path[1]
    if len(path) == 2:
        return f"{group}-{index}"
    rest = path[2:]
    if group in PEOPLE:
        if rest[0] == "affiliations" and len(rest) >= 3:
            return f"{group}-{index}-affiliations-{rest[1]}-{rest[2]}"
        if rest[0] == "affiliations":
            return f"{group}-{index}"
        if rest[0] == "name":
            items = metadata.get(group) or []
            item = items[index] if isinstance(index, int) and index < len(items) else {}
            if not isinstance(item, dict) or item.get("type") != "organizational":
                return f"{group}-{index}-family_name"
        return f"{group}-{index}-{rest[0]}"
    if group == "funding":
        if rest[0] == "funder":
            return f"funding-{index}-funder_{rest[1] if len(rest) > 1 else 'name'}"
        return f"funding-{index}-{rest[0]}"
    return f"{group}-{index}-{rest[0]}"


def errors_by_field(errors: list[FieldError], metadata: dict) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for error in errors:
        messages = result.setdefault(error_key(error.path, metadata), [])
        if error.message not in messages:
            messages.append(error.message)
    return result


def apply_errors(form: RecordForm, errors: list[FieldError], metadata: dict) -> dict[str, list[str]]:
    """Attach errors to the form's own fields; return those for rows and groups (keyed by name)."""
    by_field = errors_by_field(errors, metadata)
    rest = {}
    for key, messages in by_field.items():
        if key == "__all__" or key in form.fields:
            for message in messages:
                form.add_error(None if key == "__all__" else key, message)
        else:
            rest[key] = messages
    return rest


def initial_from_metadata(metadata: dict, communities: list[str], doi: str = "") -> dict:
    """Initial values of the scalar fields for a stored draft."""
    rtype = metadata.get("resource_type") or {}
    initial = {key: metadata.get(key, "") for key in SIMPLE_FIELDS}
    initial["resource_type"] = rtype.get("type", "")
    initial["publication_type"] = rtype.get("subtype", "") if rtype.get("type") == "publication" else ""
    initial["image_type"] = rtype.get("subtype", "") if rtype.get("type") == "image" else ""
    initial["languages"] = metadata.get("languages") or []
    initial["keywords"] = "\n".join(str(k) for k in metadata.get("keywords") or [])
    initial["references"] = "\n".join(str(r) for r in metadata.get("references") or [])
    initial["communities"] = communities
    initial["external_doi"] = doi
    return initial


class DeclarationForm(forms.Form):
    declaration = forms.BooleanField(
        label=_(
            "I declare that I have the right to deposit these files and this metadata, that I may "
            "license them under the chosen licence, and I accept the repository's terms: all "
            "information is provided “as is”."
        ),
        error_messages={"required": _("Accept the depositor's declaration to publish.")},
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason shown on the tombstone page"), widget=forms.Textarea(attrs={"rows": 3})
    )


class InviteForm(forms.Form):
    who = forms.CharField(label=_("Username or e-mail address"), max_length=254)


class WithdrawalRequestForm(forms.Form):
    justification = forms.CharField(
        label=_("Why should this record be withdrawn?"),
        help_text=_("The staff read this; once they approve, it is shown on the tombstone page."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": _("Explain why the record should be withdrawn.")},
    )


class ProposalAnswerForm(forms.Form):
    proposal = forms.IntegerField(widget=forms.HiddenInput)
    answer = forms.ChoiceField(
        label=_("Your answer"),
        choices=[("consent", _("I consent to the withdrawal")), ("objection", _("I object"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Message to the staff"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label=_("What is wrong with this record?"), choices=WithdrawalReason.choices)
    note = forms.CharField(
        label=_("Details"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": _("Describe the problem with this record.")},
    )


class QuotaRequestForm(forms.Form):
    amount_gb = forms.DecimalField(
        label=_("Room needed (GB)"),
        min_value=0,
        max_digits=12,
        decimal_places=3,
        help_text=_("The total size the record's files may reach, in gigabytes (10⁹ bytes)."),
    )
    reason = forms.CharField(
        label=_("Why does the record need more room?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": _("Explain why the record needs more room.")},
    )
