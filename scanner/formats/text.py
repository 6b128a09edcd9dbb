"""Human text report: findings grouped by severity (most severe first), each with its
location and message, a rule's fix printed once (under its first finding), lines wrapped to
the terminal width with a hanging indent; info findings counted, not listed, unless asked
(`--show info` or `--min-severity`); a last line with the verdict and the exit code that
follows. Coloured when asked (a terminal without NO_COLOR)."""

from __future__ import annotations

import re
import shutil
import sys
import textwrap
from collections import Counter
from itertools import groupby

from ..bom.escape import escape_char
from ..errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK
from ..model import Finding, Severity
from ..policy import fails, severity_of
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
_BOLD = "\x1b[1m"
_INDENT = " " * 9  # under the message, past the severity label
MIN_WIDTH, MAX_WIDTH, DEFAULT_WIDTH = 60, 160, 100


# C0 controls (newline, ESC, CR, ...), DEL, C1 controls, bidi overrides and isolates, and
# lone surrogates (file names that were not UTF-8): none of these may reach a terminal raw.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def escape_controls(text: str) -> str:
    """`text` with every control character written as a visible escape (`\\x1b`, `\\x0a`,
    `\\u202e`, and `\\xff` for a byte that was not UTF-8), so a scanned name can neither move
    the cursor, erase a line, split a finding in two, nor reorder what is shown. Applied to
    every value the text report and the summary interpolate."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda m: escape_char(m.group()), text)


def render(result: ScanResult, *, color: bool = False, width: int | None = None) -> str:
    config = result.config
    width = _width(width)
    shown_from = config.min_severity if config.min_severity is not None else Severity.LOW

    def key(f: Finding) -> tuple[int, str, int, str, str]:
        loc = f.location
        return (-severity_of(f, config), loc.path, loc.line or 0, loc.member or "", f.rule_id)

    rows = sorted(result.findings, key=key)
    listed = [f for f in rows if severity_of(f, config) >= shown_from]
    hidden = [f for f in rows if severity_of(f, config) < shown_from]
    lines: list[str] = []
    fixed: set[str] = set()
    for severity, group in groupby(listed, key=lambda f: severity_of(f, config)):
        items = list(group)
        lines.append(_paint(f"{severity.name} ({len(items)})", _COLORS[severity], color))
        for finding in items:
            rule = get_rule(finding.rule_id)
            where = escape_controls(str(finding.location))
            head = f"{severity.name:<8} {rule.id} {where}: {escape_controls(rule.render(finding))}"
            wrapped = _wrap(head, width)
            wrapped[0] = _paint(wrapped[0][:8], _COLORS[severity], color) + wrapped[0][8:]
            lines.extend(wrapped)
            if rule.id not in fixed:
                fixed.add(rule.id)
                fix = _wrap(f"{_INDENT}fix: {_one_line(rule.remediation)}", width)
                lines.extend(_paint(line, _DIM, color) for line in fix)
        lines.append("")
    if hidden:
        by_severity = Counter(severity_of(f, config) for f in hidden)
        by_rule = Counter(f.rule_id for f in hidden)
        counts = ", ".join(f"{by_severity[s]} {s.label}" for s in sorted(by_severity, reverse=True))
        rules = ", ".join(f"{rule} ×{n}" for rule, n in by_rule.most_common(5))
        more = ", ..." if len(by_rule) > 5 else ""
        option = (
            "--show info"
            if Severity.INFO in by_severity and len(by_severity) == 1
            else ("--min-severity info")
        )
        lines.extend(
            _wrap(
                f"{_plural(len(hidden), 'more finding')} not listed ({counts}: {rules}{more}); "
                f"list them with {option}",
                width,
                indent="  ",
            )
        )
    if result.suppressed:
        n = len(result.suppressed)
        lines.append(f"{_plural(n, 'finding')} suppressed (inline ignores or baseline).")
    lines.append(_paint(verdict(result), _BOLD, color))
    return "\n".join(lines) + "\n"


def verdict(result: ScanResult) -> str:
    """The last line: why the run fails or passes, and the exit code that follows."""
    config = result.config
    if not result.complete:
        inventory = result.inventory
        paths = {e.location.path for e in inventory.errors}
        paths |= {a.path for a in inventory.artifacts if a.incomplete}
        n = len(paths)
        return (
            f"INCOMPLETE: {_plural(n, 'file')} could not be analysed; nothing in "
            f"{'it' if n == 1 else 'them'} was judged clean (exit {EXIT_INCOMPLETE})"
        )
    failing = [f for f in result.findings if severity_of(f, config) >= config.fail_on]
    if fails(result.findings, config):
        code = f"exit {EXIT_OK}: --exit-zero" if config.exit_zero else f"exit {EXIT_FINDINGS}"
        return (
            f"FAILED: {_plural(len(failing), 'finding')} at or above {config.fail_on.label} "
            f"({code})"
        )
    return f"OK: no finding at or above {config.fail_on.label} (exit {EXIT_OK})"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _width(width: int | None) -> int:
    if width is None:  # the terminal's width when the report goes to one, else 100
        tty = getattr(sys.stdout, "isatty", lambda: False)()
        width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns if tty else DEFAULT_WIDTH
    return max(MIN_WIDTH, min(MAX_WIDTH, width))


def _wrap(text: str, width: int, indent: str = _INDENT) -> list[str]:
    """`text` wrapped at `width`, continuation lines under the message (a hanging indent);
    long words (URLs, paths) are not broken."""
    return textwrap.wrap(
        text,
        width=width,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
        replace_whitespace=False,
        drop_whitespace=True,
    ) or [text]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text
