"""Affiliation: at least one creator is affiliated with a registered organisation of the city.

Matches creators' affiliations (ROR id first, then names, Swedish and diacritic variants, acronyms)
against the active ``Organisation`` rows of the configured city.
"""

from __future__ import annotations

import re
import unicodedata
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from curation.models import CheckStatus, Organisation
from curation.rules.base import Rule, RuleSettingsForm, register
from identifiers import ror_id

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalize_name(value: str) -> str:
    """Case-, punctuation- and diacritic-insensitive form: "Södertörns Högskola!" → "sodertorns hogskola"."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", stripped.casefold()).strip()


def _segments(affiliation: str) -> set[str]:
    """The parts of an affiliation between commas, semicolons, slashes, brackets and dashes, normalised."""
    parts = re.split(r"[,;/()\[\]|–—]+|\s-\s", affiliation or "")
    return {normalize_name(p) for p in parts if normalize_name(p)}


class Registry:
    """A matching index over the active organisations of one city."""

    SHORT = 4  # a name this short (normalised) is matched like an acronym: as a whole part only

    def __init__(self, organisations):
        self.by_ror: dict[str, object] = {}
        self.phrases: list[tuple[str, object]] = []
        self.exact: dict[str, object] = {}
        for org in organisations:
            if org.ror:
                self.by_ror[ror_id(org.ror)] = org
            for name in org.all_names():
                norm = normalize_name(name)
                if not norm:
                    continue
                if len(norm) <= self.SHORT:
                    self.exact.setdefault(norm, org)
                else:
                    self.phrases.append((norm, org))
            for acronym in org.acronyms:
                norm = normalize_name(acronym)
                if norm:
                    self.exact.setdefault(norm, org)
        # Longest phrases first, so "karolinska university hospital" wins over "karolinska".
        self.phrases.sort(key=lambda item: -len(item[0]))

    @classmethod
    def for_city(cls, city: str) -> Registry:
        return cls(Organisation.objects.filter(active=True, city__iexact=city))

    def match(self, affiliation: dict | str):
        """The registered organisation this affiliation names, or None."""
        if isinstance(affiliation, dict):
            ror = ror_id(affiliation.get("ror", ""))
            if ror and ror in self.by_ror:
                return self.by_ror[ror]
            name = affiliation.get("name", "")
        else:
            name = affiliation
        padded = f" {normalize_name(name)} "
        for phrase, org in self.phrases:
            if f" {phrase} " in padded:
                return org
        for segment in _segments(name):
            if segment in self.exact:
                return self.exact[segment]
        return None

    def match_ror(self, affiliation: dict):
        ror = ror_id(affiliation.get("ror", "")) if isinstance(affiliation, dict) else ""
        return self.by_ror.get(ror) if ror else None


class AffiliationForm(RuleSettingsForm):
    enabled = forms.BooleanField(label=_("Check affiliations"), required=False)
    city = forms.ChoiceField(
        label=_("Organisations of"), help_text=_("The registry's city the affiliations are matched against.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cities = sorted(set(Organisation.objects.filter(active=True).values_list("city", flat=True))) or [
            "Stockholm"
        ]
        cast(forms.ChoiceField, self.fields["city"]).choices = [(c, c) for c in cities]


@register
class AffiliationRule(Rule):
    key = "affiliation"
    label = _("Affiliation")
    help = _("At least one creator is affiliated with a registered organisation of the city.")
    defaults = {"city": "Stockholm"}
    form_class = AffiliationForm
    order = 10
    reasons = {
        "affiliation.match": _("%(creator)s: “%(affiliation)s” matches %(organisation)s in the registry."),
        "affiliation.ror": _("%(creator)s: the ROR id %(ror)s is %(organisation)s."),
        "affiliation.none": _("No creator gives an affiliation."),
        "affiliation.city_only": _(
            "No affiliation is in the registry of %(city)s organisations, but “%(affiliation)s” mentions "
            "%(city)s: check it by hand."
        ),
        "affiliation.no_match": _(
            "None of the affiliations (%(affiliations)s) is a registered %(city)s organisation."
        ),
    }

    def prefetch(self, records, community, params):
        return Registry.for_city(params.get("city") or self.defaults["city"])

    def run(self, record, community, params):
        city = params.get("city") or self.defaults["city"]
        creators = record.metadata.get("creators") or []
        given = [
            (creator.get("name", ""), aff)
            for creator in creators
            for aff in creator.get("affiliations") or []
            if (aff.get("name") or aff.get("ror"))
        ]
        if not given:
            return self.result(CheckStatus.UNKNOWN, "affiliation.none")
        registry = self.prefetched()
        if not isinstance(registry, Registry):
            registry = Registry.for_city(city)
        for creator, aff in given:
            org = registry.match_ror(aff)
            if org is not None:
                return self.result(
                    CheckStatus.PASS,
                    "affiliation.ror",
                    creator=creator,
                    ror=ror_id(aff["ror"]),
                    organisation=org.name,
                )
        for creator, aff in given:
            org = registry.match(aff.get("name", ""))
            if org is not None:
                return self.result(
                    CheckStatus.PASS,
                    "affiliation.match",
                    creator=creator,
                    affiliation=aff.get("name", ""),
                    organisation=org.name,
                )
        city_norm = normalize_name(city)
        for _creator, aff in given:
            if f" {city_norm} " in f" {normalize_name(aff.get('name', ''))} ":
                return self.result(
                    CheckStatus.UNKNOWN, "affiliation.city_only", affiliation=aff.get("name", ""), city=city
                )
        names = "; ".join(dict.fromkeys(aff.get("name") or aff.get("ror", "") for _c, aff in given))
        return self.result(CheckStatus.FAIL, "affiliation.no_match", affiliations=names, city=city)
