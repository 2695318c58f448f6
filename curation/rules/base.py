"""What every policy check rule shares: the :class:`Rule` contract, its results and the registry.

A rule is one module in ``curation/rules/`` that defines a :class:`Rule` subclass — its key, label,
defaults, the reasons it can give and its settings form — and registers an instance::

    @register
    class SizeRule(Rule):
        key = "size"
        ...

``curation/rules/__init__.py`` imports the built-in rule modules once, so importing the package is
enough to see them all; the runner, the stored results and the community's settings form read
:data:`RULES`.
"""

from __future__ import annotations

import abc
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django import forms

from curation.models import CheckStatus
from storage.sizes import format_size

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# rule key → the registered instance, by ``Rule.order`` (the order checks run and are shown)
RULES: dict[str, Rule] = {}
# result code → its reason, a translatable template filled with the result's params
REASONS: dict[str, StrOrPromise] = {}
# rule key → what its ``prefetch`` fetched, while ``runner.run_checks_many`` checks many records
PREFETCHED: ContextVar[dict[str, object] | None] = ContextVar("curation_checks_prefetched", default=None)


class RuleSettingsForm(forms.Form):
    """A rule's settings on the community edit page; field ``name`` posts as ``<prefix>_<name>``.

    ``initial_from(config)`` turns the rule's effective configuration into initial values and
    ``config()`` the cleaned data into what is stored in ``Community.check_rules[key]``; override them
    where a field's form differs from its stored value.
    """

    enabled = forms.BooleanField(required=False)

    def add_prefix(self, field_name: str) -> str:
        return f"{self.prefix}_{field_name}" if self.prefix else field_name

    @classmethod
    def initial_from(cls, config: dict) -> dict:
        return {name: config[name] for name in cls.base_fields if name in config}

    def config(self) -> dict:
        return dict(self.cleaned_data)


class Rule(abc.ABC):
    key = ""
    label: StrOrPromise = ""  # translatable: gettext_lazy
    help: StrOrPromise = ""
    defaults: dict = {}
    reasons: dict[str, StrOrPromise] = {}  # code → translatable reason template
    form_class: type[RuleSettingsForm] = RuleSettingsForm
    order = 1000  # where the rule runs and is shown among the others (lower first)

    @abc.abstractmethod
    def run(self, record, community, params: dict) -> CheckResult:
        """Check ``record`` against this rule for ``community`` with the owners' ``params``."""

    def prefetch(self, records: list, community, params: dict) -> object:
        """What ``run`` would look up for each of ``records``, fetched at once (``run_checks_many``, the
        demo's bulk path); ``run`` finds it with ``prefetched()``. None (the default): nothing."""
        return None

    def prefetched(self) -> object:
        """This rule's ``prefetch`` of the records being checked together, or None."""
        shared = PREFETCHED.get()
        return None if shared is None else shared.get(self.key)

    def result(self, status: str, code: str, **params) -> CheckResult:
        return CheckResult(self.key, status, code, params)


def register(rule_class: type[Rule]) -> type[Rule]:
    """Register an instance of ``rule_class`` (use as a class decorator); keys are unique."""
    rule = rule_class()
    if not rule.key or rule.key in RULES:
        raise ValueError(f"check rule key {rule.key!r} is empty or already registered")
    ordered = sorted([*RULES.values(), rule], key=lambda r: r.order)  # stable: ties keep registration order
    RULES.clear()
    RULES.update((r.key, r) for r in ordered)
    REASONS.update(rule.reasons)
    return rule_class


def unregister(key: str) -> None:
    """Remove a rule and its reasons (tests that register their own)."""
    rule = RULES.pop(key, None)
    if rule is not None:
        for code in rule.reasons:
            REASONS.pop(code, None)


@dataclass
class CheckResult:
    key: str
    status: str
    code: str
    params: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict) -> CheckResult:
        return cls(
            data.get("key", ""),
            data.get("status", CheckStatus.UNKNOWN),
            data.get("code", ""),
            data.get("params") or {},
        )

    def as_json(self) -> dict:
        return {"key": self.key, "status": self.status, "code": self.code, "params": self.params}

    @property
    def label(self) -> str:
        rule = RULES.get(self.key)
        return str(rule.label) if rule else self.key

    @property
    def reason(self) -> str:
        template = REASONS.get(self.code)
        if template is None:
            return ""
        params = dict(self.params)
        for key in ("size", "limit"):
            if isinstance(params.get(key), int):
                params[key] = format_size(params[key])
        try:
            return str(template) % params
        except (KeyError, TypeError, ValueError):
            return str(template)

    @property
    def status_label(self) -> str:
        return str(CheckStatus(self.status).label) if self.status in CheckStatus.values else self.status
