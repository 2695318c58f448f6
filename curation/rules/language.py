"""Language: the metadata's languages, and the language the title and description read as.

Detection is offline (py3langid), restricted to the community's languages where it can be.
"""

from __future__ import annotations

import functools
import html
import re
import threading

import nh3
import pycountry
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from curation.models import CheckStatus
from curation.rules.base import Rule, RuleSettingsForm, register
from records.validation import language_label

_identifiers: dict[tuple[str, ...] | None, object] = {}
_identifiers_lock = threading.Lock()


def _identifier(languages: tuple[str, ...] | None):
    """A py3langid identifier, restricted to ``languages`` (ISO 639-1) or over all its languages."""
    with _identifiers_lock:
        if languages not in _identifiers:
            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            if languages:
                identifier.set_languages(list(languages))
            _identifiers[languages] = identifier
        return _identifiers[languages]


def _alpha2(code3: str) -> str | None:
    language = pycountry.languages.get(alpha_3=code3)
    return getattr(language, "alpha_2", None) if language else None


def _alpha3(code2: str) -> str:
    language = pycountry.languages.get(alpha_2=code2)
    return getattr(language, "alpha_3", code2) if language else code2


def language_name(code3: str) -> str:
    return language_label(code3)


def _names(codes) -> str:
    return ", ".join(language_name(c) for c in codes)


MIN_DETECT_CHARS = 12  # shorter text (a two-word title) is not worth a guess
OTHER_LANGUAGE_CONFIDENCE = 0.9
ALLOWED_LANGUAGE_CONFIDENCE = 0.8


def detect_language(text: str, allowed3: list[str]) -> tuple[str | None, bool]:
    """The ISO 639-3 code the text reads as, and whether that is one of ``allowed3``; (None, False) if unsure.

    Restricted to the allowed languages, py3langid tells English from Swedish reliably even in short
    titles; an unrestricted pass with high confidence catches text in a third language.
    """
    return _detect(" ".join(text.split()), tuple(allowed3))


@functools.lru_cache(maxsize=8192)  # a pure function of its text: checking many records repeats texts
def _detect(text: str, allowed3: tuple[str, ...]) -> tuple[str | None, bool]:
    if len(text) < MIN_DETECT_CHARS:
        return None, False
    allowed2 = tuple(sorted({a for a in (_alpha2(c) for c in allowed3) if a}))
    full_code, full_p = _identifier(None).classify(text)
    if full_code not in allowed2 and full_p >= OTHER_LANGUAGE_CONFIDENCE:
        return _alpha3(full_code), False
    if not allowed2:
        return None, False
    if len(allowed2) == 1:
        return (allowed3[0], True) if full_code == allowed2[0] else (None, False)
    code, p = _identifier(allowed2).classify(text)
    if p >= ALLOWED_LANGUAGE_CONFIDENCE:
        return _alpha3(code), True
    return None, False


def _plain(value: str) -> str:
    return html.unescape(nh3.clean(value or "", tags=set()))


class LanguageForm(RuleSettingsForm):
    enabled = forms.BooleanField(label=_("Check the language"), required=False)
    languages = forms.CharField(
        label=_("Accepted languages"),
        max_length=200,
        help_text=_("ISO 639-3 codes separated by commas, e.g. eng, swe."),
    )

    @classmethod
    def initial_from(cls, config: dict) -> dict:
        return {"enabled": config["enabled"], "languages": ", ".join(config["languages"])}

    def clean_languages(self):
        codes = [c.strip().lower() for c in re.split(r"[,\s]+", self.cleaned_data["languages"]) if c.strip()]
        if not codes:
            raise ValidationError(_("Give at least one language."))
        for code in codes:
            if not re.fullmatch(r"[a-z]{3}", code) or pycountry.languages.get(alpha_3=code) is None:
                raise ValidationError(
                    _("“%(code)s” is not an ISO 639-3 language code."), params={"code": code}
                )
        return list(dict.fromkeys(codes))


@register
class LanguageRule(Rule):
    key = "language"
    label = _("Language")
    help = _("The metadata's language, and the language the title and description read as.")
    defaults = {"languages": ["eng", "swe"]}
    form_class = LanguageForm
    order = 20
    reasons = {
        "language.metadata_ok": _("The metadata gives %(languages)s."),
        "language.metadata_ok_detected": _(
            "The metadata gives %(languages)s; the title and description read as %(detected)s."
        ),
        "language.metadata_other": _("The metadata gives %(languages)s; this community accepts %(allowed)s."),
        "language.metadata_mismatch": _(
            "The metadata gives %(languages)s, but the title and description read as %(detected)s."
        ),
        "language.detected_ok": _(
            "No language in the metadata; the title and description read as %(detected)s."
        ),
        "language.detected_other": _(
            "No language in the metadata; the title and description read as %(detected)s, and this community "
            "accepts %(allowed)s."
        ),
        "language.undetermined": _(
            "No language in the metadata, and the title and description are too short to tell."
        ),
    }

    def run(self, record, community, params):
        allowed = [c for c in params.get("languages") or self.defaults["languages"] if c]
        metadata = record.metadata
        given = [c for c in metadata.get("languages") or [] if c]
        text = " ".join([metadata.get("title", ""), _plain(metadata.get("description", ""))])
        detected, detected_ok = detect_language(text, allowed)
        allowed_names = _names(allowed)
        if given:
            if not any(c in allowed for c in given):
                return self.result(
                    CheckStatus.FAIL,
                    "language.metadata_other",
                    languages=_names(given),
                    allowed=allowed_names,
                )
            if detected and not detected_ok:
                return self.result(
                    CheckStatus.FAIL,
                    "language.metadata_mismatch",
                    languages=_names(given),
                    detected=language_name(detected),
                )
            if detected:
                return self.result(
                    CheckStatus.PASS,
                    "language.metadata_ok_detected",
                    languages=_names(given),
                    detected=language_name(detected),
                )
            return self.result(CheckStatus.PASS, "language.metadata_ok", languages=_names(given))
        if detected is None:
            return self.result(CheckStatus.UNKNOWN, "language.undetermined")
        if detected_ok:
            return self.result(CheckStatus.PASS, "language.detected_ok", detected=language_name(detected))
        return self.result(
            CheckStatus.FAIL,
            "language.detected_other",
            detected=language_name(detected),
            allowed=allowed_names,
        )
