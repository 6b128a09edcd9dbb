"""Render Changes as text (terminal), markdown (release notes, PRs) or JSON (machines).
Output is sorted and deterministic: the same two AIBOMs always give the same bytes."""

from __future__ import annotations

import json
from collections import Counter
from itertools import groupby
from typing import Any

from .compare import CHANGE_KINDS, Change, Changes

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


def render(changes: Changes, fmt: str, failed: list[Change] | None = None) -> str:
    if fmt == "json":
        return render_json(changes, failed or [])
    if fmt == "markdown":
        return render_markdown(changes, failed or [])
    return render_text(changes, failed or [])


def _header(changes: Changes) -> str:
    return (
        f"{changes.old.origin} ({len(changes.old.components)} components) -> "
        f"{changes.new.origin} ({len(changes.new.components)} components)"
    )


def render_text(changes: Changes, failed: list[Change]) -> str:
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
        lines.append(f"FAILED: {len(failed)} change(s) matched --fail-on ({', '.join(kinds)})")
    return "\n".join(lines) + "\n"


def _summary_line(changes: Changes) -> str:
    counts = Counter(c.kind for c in changes.changes)
    return "summary: " + ", ".join(f"{counts[k]} {k}" for k in CHANGE_KINDS if counts[k])


def render_markdown(changes: Changes, failed: list[Change]) -> str:
    lines = ["## Supply-chain changes", "", f"`{changes.old.origin}` → `{changes.new.origin}`", ""]
    if not changes.changes:
        lines.append("No supply-chain changes.")
        return "\n".join(lines) + "\n"
    if failed:
        kinds = ", ".join(f"`{k}`" for k in sorted({c.kind for c in failed}))
        lines += [f"> **Failed:** {len(failed)} change(s) matched `--fail-on` ({kinds}).", ""]
    counts = Counter(c.kind for c in changes.changes)
    lines += ["| change | count |", "|---|---|"]
    lines += [f"| `{k}` | {counts[k]} |" for k in CHANGE_KINDS if counts[k]]
    for kind, group in groupby(changes.changes, key=lambda c: c.kind):
        items = list(group)
        marker = " ⚠️" if kind in TAMPERING else ""
        lines += ["", f"### `{kind}`{marker}", "", f"_{CHANGE_KINDS[kind]}_", ""]
        lines += ["| component | change | severity |", "|---|---|---|"]
        for change in items:
            lines.append(
                f"| {_md(change.subject)} | {_md(change.detail)} | {change.severity or ''} |"
            )
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


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
    }
