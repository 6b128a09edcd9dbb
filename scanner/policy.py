"""Policy: which findings are reported and which fail the run.

Disabled rules, per-rule severity overrides, inline suppressions and baselines live here.
"""

from __future__ import annotations

from .config import Config
from .model import Finding, Inventory, Severity
from .rules import get_rule


def severity_of(finding: Finding, config: Config) -> Severity:
    return config.severity_for(finding.rule_id, get_rule(finding.rule_id).severity)


def apply_policy(
    findings: list[Finding], inventory: Inventory, config: Config
) -> tuple[list[Finding], list[Finding]]:
    """Split findings into (reported, suppressed)."""
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        if finding.rule_id in config.disabled_rules:
            continue
        kept.append(finding)
    return kept, suppressed


def fails(findings: list[Finding], config: Config) -> bool:
    return any(severity_of(f, config) >= config.fail_on for f in findings)
