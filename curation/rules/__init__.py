"""Automated policy checks shown to curators: pass, fail or unknown, each with its reason.

The checks inform; the curator decides. Each community configures them (``Community.check_rules``:
``{rule key: {"enabled": bool, …params}}``; missing keys take the rule's defaults), so nothing here is
specific to Stockholm AI except the defaults.

One module per rule (``affiliation``, ``language``, ``access``, ``size``), each with its rule class,
defaults, reasons and settings form, registered in ``base.RULES`` (``@register``). A result is stored
as JSON on the request (``key``, ``status``, ``code``, ``params``) and its reason is formatted when
shown, in the reader's language. To add a rule: write ``curation/rules/<name>.py`` with a
``@register``-ed ``Rule`` subclass and import it below.
"""

from __future__ import annotations

from curation.rules import access, affiliation, language, size  # noqa: F401  the built-in rules
from curation.rules.base import REASONS, RULES, CheckResult, Rule, RuleSettingsForm, register, unregister
from curation.rules.runner import overall_status, rule_config, run_checks, run_checks_many

__all__ = [
    "REASONS",
    "RULES",
    "CheckResult",
    "Rule",
    "RuleSettingsForm",
    "overall_status",
    "register",
    "rule_config",
    "run_checks",
    "run_checks_many",
    "unregister",
]
