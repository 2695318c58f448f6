"""The runner: every enabled registered rule, configured by the community, and the overall result."""

from __future__ import annotations

from curation.models import CheckStatus
from curation.rules.base import PREFETCHED, RULES, CheckResult


def overall_status(results: list[CheckResult]) -> str:
    statuses = {r.status for r in results}
    if CheckStatus.FAIL in statuses:
        return CheckStatus.FAIL
    if CheckStatus.UNKNOWN in statuses:
        return CheckStatus.UNKNOWN
    return CheckStatus.PASS


def rule_config(community) -> dict[str, dict]:
    """Each rule's effective configuration for ``community``: defaults overlaid by its settings."""
    configured = community.check_rules or {}
    config = {}
    for key, rule in RULES.items():
        own = configured.get(key) or {}
        config[key] = {"enabled": True, **rule.defaults, **own}
    return config


def run_checks(record, community) -> list[CheckResult]:
    results = []
    for key, params in rule_config(community).items():
        if params.get("enabled", True):
            results.append(RULES[key].run(record, community, params))
    return results


def run_checks_many(records: list, community) -> list[list[CheckResult]]:
    """``run_checks`` of each of ``records`` (the same results), with what the rules look up fetched
    once for all of them (their ``prefetch``) rather than per record."""
    config = {key: params for key, params in rule_config(community).items() if params.get("enabled", True)}
    shared = {key: RULES[key].prefetch(records, community, params) for key, params in config.items()}
    token = PREFETCHED.set({key: value for key, value in shared.items() if value is not None})
    try:
        return [run_checks(record, community) for record in records]
    finally:
        PREFETCHED.reset(token)
