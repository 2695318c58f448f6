"""Forms that higher apps add to a community's edit page (curation adds its policy check rules).

``communities`` sits below ``curation`` and never imports it: an app registers a factory in its
``AppConfig.ready()`` with :func:`register_edit_form`. A factory takes ``(data, community)`` and
returns a form-like object with ``legend``, ``intro``, ``is_valid()``, ``hidden_fields()``,
``visible_fields()``, ``non_field_errors()`` and ``settings()`` — the keyword arguments it sets on
``communities.services.update_community`` (e.g. ``check_rules``).
"""

from __future__ import annotations

from collections.abc import Callable

_EDIT_FORMS: list[Callable] = []


def register_edit_form(factory: Callable) -> Callable:
    if factory not in _EDIT_FORMS:
        _EDIT_FORMS.append(factory)
    return factory


def edit_forms(data, community) -> list:
    """The registered forms for ``community``, bound to ``data`` (None on GET)."""
    return [factory(data, community) for factory in _EDIT_FORMS]
