"""Human text report: one line per finding, most severe first, with the remediation."""

from __future__ import annotations

from ..policy import severity_of
from ..rules import get_rule
from ..scan import ScanResult


def render(result: ScanResult) -> str:
    rows = sorted(
        result.findings,
        key=lambda f: (-severity_of(f, result.config), f.location.path, f.location.line or 0),
    )
    lines = []
    for finding in rows:
        rule = get_rule(finding.rule_id)
        sev = severity_of(finding, result.config).name
        lines.append(f"{sev:<8} {rule.id} {finding.location}: {rule.render(finding)}")
    return "\n".join(lines) + ("\n" if lines else "")
