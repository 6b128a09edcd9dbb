"""Human text report: findings grouped by severity (most severe first), each with its
location, message and remediation; coloured when asked (a terminal without NO_COLOR)."""

from __future__ import annotations

from itertools import groupby

from ..model import Finding, Severity
from ..policy import severity_of
from ..rules import get_rule
from ..scan import ScanResult

_COLORS = {
    Severity.CRITICAL: "\x1b[1;35m",
    Severity.HIGH: "\x1b[1;31m",
    Severity.MEDIUM: "\x1b[33m",
    Severity.LOW: "\x1b[36m",
    Severity.INFO: "\x1b[2m",
}
_RESET = "\x1b[0m"
_DIM = "\x1b[2m"


def render(result: ScanResult, *, color: bool = False) -> str:
    config = result.config

    def key(f: Finding) -> tuple[int, str, int, str, str]:
        loc = f.location
        return (-severity_of(f, config), loc.path, loc.line or 0, loc.member or "", f.rule_id)

    rows = sorted(result.findings, key=key)
    lines: list[str] = []
    for severity, group in groupby(rows, key=lambda f: severity_of(f, config)):
        items = list(group)
        header = f"{severity.name} ({len(items)})"
        lines.append(_paint(header, _COLORS[severity], color))
        for finding in items:
            rule = get_rule(finding.rule_id)
            label = _paint(f"{severity.name:<8}", _COLORS[severity], color)
            lines.append(f"{label} {rule.id} {finding.location}: {rule.render(finding)}")
            lines.append(_paint(f"         fix: {_first_line(rule.remediation)}", _DIM, color))
        lines.append("")
    if result.suppressed:
        lines.append(
            f"{len(result.suppressed)} finding(s) suppressed (inline ignores or baseline)."
        )
    return "\n".join(lines).rstrip("\n") + "\n" if lines else ""


def _first_line(text: str) -> str:
    return " ".join(text.split())


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text
