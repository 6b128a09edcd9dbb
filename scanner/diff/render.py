"""Render Changes as text (terminal), markdown (release notes, PRs) or JSON (machines).
Output is sorted and deterministic: the same two AIBOMs always give the same bytes."""

from __future__ import annotations

import json
from collections import Counter
from itertools import groupby
from typing import Any

from .compare import CHANGE_KINDS, Change, Changes

# what a reviewer must look at first (markdown "Needs attention"): tampering, code execution,
# unsafe formats, signature trouble, licence changes, and new findings of high severity (the
# typosquats among them)
ATTENTION = (
    "hash-changed",
    "dataset-content-changed",
    "signature-removed",
    "signature-broken",
    "signer-changed",
    "unsafe-format",
    "new-dangerous-import",
    "new-pickle-file",
    "license-changed",
    "dataset-license-changed",
    "now-from-url",
)
ATTENTION_FINDINGS = ("high", "critical")
# the severity a kind carries when the change itself has none (findings carry their own)
KIND_SEVERITY = {
    "hash-changed": "high",
    "dataset-content-changed": "high",
    "signature-broken": "high",
    "signature-removed": "high",
    "unsafe-format": "high",
    "new-dangerous-import": "critical",
    "new-pickle-file": "medium",
    "new-unknown-import": "medium",
    "now-from-url": "medium",
    "hashes-dropped": "medium",
    "pin-lost": "medium",
    "downgraded": "low",
    "license-changed": "medium",
    "dataset-license-changed": "medium",
}
# dependency kinds shown together in one compact table
DEPENDENCY_KINDS = (
    "added",
    "removed",
    "upgraded",
    "downgraded",
    "version-changed",
    "pin-lost",
    "pin-gained",
    "hashes-dropped",
    "source-changed",
    "new-transitive",
)

DIFF_SCHEMA = "aibom-diff/1"
SYMBOL = {
    "added": "+",
    "removed": "-",
    "dataset-added": "+",
    "dataset-removed": "-",
    "new-transitive": "+",
    "edge-added": "+",
    "edge-removed": "-",
    "resolved-finding": "-",
    "resolved-vulnerability": "-",
}
TAMPERING = ("hash-changed", "dataset-content-changed")


def render(
    changes: Changes, fmt: str, failed: list[Change] | None = None, *, gate: str = "--fail-on"
) -> str:
    if fmt == "json":
        return render_json(changes, failed or [])
    if fmt == "markdown":
        return render_markdown(changes, failed or [], gate)
    return render_text(changes, failed or [], gate)


def severity_of(change: Change) -> str:
    return change.severity or KIND_SEVERITY.get(change.kind, "")


def _needs_attention(change: Change) -> bool:
    if change.kind in ATTENTION:
        return True
    return change.kind in {"new-finding", "new-vulnerability"} and (
        change.severity in ATTENTION_FINDINGS
    )


def _header(changes: Changes) -> str:
    return (
        f"{changes.old.origin} ({len(changes.old.components)} components) -> "
        f"{changes.new.origin} ({len(changes.new.components)} components)"
    )


def render_text(changes: Changes, failed: list[Change], gate: str = "--fail-on") -> str:
    lines = [f"aibom diff: {_header(changes)}"]
    if not changes.changes:
        lines.append("no supply-chain changes")
        return "\n".join(lines) + "\n"
    for kind, group in groupby(changes.changes, key=lambda c: c.kind):
        items = list(group)
        title = f"{kind} ({len(items)}): {CHANGE_KINDS[kind]}"
        if kind in TAMPERING:
            title = "!! " + title
        lines += ["", title]
        symbol = SYMBOL.get(kind, "~")
        for change in items:
            sev = f"[{change.severity}] " if change.severity else ""
            lines.append(f"  {symbol} {change.subject}: {sev}{change.detail}")
    lines += ["", _summary_line(changes)]
    if failed:
        kinds = sorted({c.kind for c in failed})
        lines.append(f"FAILED: {len(failed)} change(s) matched {gate} ({', '.join(kinds)}):")
        lines += [f"  x {c.kind} {c.subject}: {c.detail}" for c in failed]
        if gate != "--fail-on":
            lines.append("(choose the kinds with --fail-on KIND,...; --fail-on none never fails)")
    return "\n".join(lines) + "\n"


def _summary_line(changes: Changes) -> str:
    counts = Counter(c.kind for c in changes.changes)
    return "summary: " + ", ".join(f"{counts[k]} {k}" for k in CHANGE_KINDS if counts[k])


def render_markdown(changes: Changes, failed: list[Change], gate: str = "--fail-on") -> str:
    """Escaped text; a short "Needs attention" table first, then one compact dependency
    table, then every other change in one table."""
    lines = [
        "## Supply-chain changes",
        "",
        f"{_code(changes.old.origin)} → {_code(changes.new.origin)}",
        "",
    ]
    if not changes.changes:
        lines.append("No supply-chain changes.")
        return "\n".join(lines) + "\n"
    if failed:
        kinds = ", ".join(_code(k) for k in sorted({c.kind for c in failed}))
        lines += [
            f"> **Failed:** {len(failed)} change(s) matched {_md(gate)} ({kinds}).",
            "",
        ]
    attention = [c for c in changes.changes if _needs_attention(c)]
    dependencies = [c for c in changes.changes if c.kind in DEPENDENCY_KINDS and c not in attention]
    rest = [c for c in changes.changes if c not in attention and c not in dependencies]
    if attention:
        lines += ["### Needs attention", "", "| change | component | detail | severity |"]
        lines.append("|---|---|---|---|")
        lines += [
            f"| {_code(c.kind)} | {_md(c.subject)} | {_md(c.detail)} | {severity_of(c)} |"
            for c in attention
        ]
        lines.append("")
    if dependencies:
        lines += ["### Dependencies", "", "| component | change | old | new |", "|---|---|---|---|"]
        lines += [
            f"| {_md(c.subject)} | {_code(c.kind)} | {_md(c.old or '')} | {_md(c.new or '')} |"
            for c in dependencies
        ]
        lines.append("")
    if rest:
        lines += ["### Other changes", "", "| change | component | detail | severity |"]
        lines.append("|---|---|---|---|")
        lines += [
            f"| {_code(c.kind)} | {_md(c.subject)} | {_md(c.detail)} | {severity_of(c)} |"
            for c in rest
        ]
        lines.append("")
    counts = Counter(c.kind for c in changes.changes)
    lines.append("Summary: " + ", ".join(f"{counts[k]} {k}" for k in CHANGE_KINDS if counts[k]))
    return "\n".join(lines) + "\n"


_MD_SPECIAL = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "|": "\\|",
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "#": "\\#",
        "\n": " ",
        "\r": " ",
    }
)


def _md(text: str) -> str:
    """Text as it must appear in a GitHub markdown table cell: HTML-looking text escaped (so
    `==<version>` is not dropped as a tag), markdown emphasis and links neutralised."""
    return text.translate(_MD_SPECIAL)


def _code(text: str) -> str:
    """An inline code span (no escaping inside; backticks and pipes cannot break it)."""
    return "`" + text.replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


def render_json(changes: Changes, failed: list[Change]) -> str:
    document: dict[str, Any] = {
        "schema": DIFF_SCHEMA,
        "old": _side(changes.old),
        "new": _side(changes.new),
        "changes": [_change(c) for c in changes.changes],
        "summary": dict(sorted(Counter(c.kind for c in changes.changes).items())),
        "failed": [_change(c) for c in failed],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _side(bom: Any) -> dict[str, Any]:
    return {
        "origin": bom.origin,
        "spec_version": bom.spec_version,
        "producer": bom.producer,
        "components": len(bom.components),
    }


def _change(change: Change) -> dict[str, Any]:
    return {
        "kind": change.kind,
        "subject": change.subject,
        "detail": change.detail,
        "old": change.old,
        "new": change.new,
        "severity": change.severity,
        "old_digest": change.old_digest,
        "new_digest": change.new_digest,
    }
