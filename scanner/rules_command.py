"""`aibom rules [RULE-ID]` and the generated docs/rules.md."""

from __future__ import annotations

import json

import click

from .errors import EXIT_OK, InputError
from .rules import Rule, all_rules, get_rule

DOCS_HEADER = """<!-- Generated from rules/rules_*.toml by `aibom rules --format markdown`.
     Do not edit by hand: a test fails when this file is stale. -->
# Rules

Every finding aibom reports comes from one of these rules. Each rule has a stable id and
slug (both work in `disable`, `[tool.aibom.severity]` and `# aibom: ignore[...]`), a default
severity (change it per rule in config), and a remediation. `aibom rules RULE-ID` prints one.
"""


def run_rules(rule_id: str | None, fmt: str) -> int:
    if rule_id is not None:
        try:
            rule = get_rule(rule_id)
        except KeyError:
            raise InputError(
                f"no rule {rule_id!r}", hint="`aibom rules` lists every rule"
            ) from None
        click.echo(
            _one_markdown(rule)
            if fmt == "markdown"
            else _json([rule])
            if fmt == "json"
            else explain(rule)
        )
        return EXIT_OK
    rules = list(all_rules().values())
    if fmt == "markdown":
        click.echo(rules_markdown(), nl=False)
    elif fmt == "json":
        click.echo(_json(rules))
    else:
        for rule in rules:
            click.echo(f"{rule.id}  {rule.severity.label:<8}  {rule.slug:<34} {rule.title}")
    return EXIT_OK


def explain(rule: Rule) -> str:
    parts = [
        f"{rule.id} {rule.slug} ({rule.severity.label})",
        rule.title,
        "",
        rule.description,
        "",
        f"Remediation: {rule.remediation}",
    ]
    if rule.cwe:
        parts.append("CWE: " + ", ".join(f"CWE-{c}" for c in rule.cwe))
    if rule.example:
        parts += ["", "Example:", *("  " + line for line in rule.example.splitlines())]
    if rule.references:
        parts += ["", "References:", *(f"  {ref}" for ref in rule.references)]
    return "\n".join(parts)


def rules_markdown() -> str:
    rules = list(all_rules().values())
    lines = [DOCS_HEADER, "| id | slug | severity | title |", "|---|---|---|---|"]
    lines += [
        f"| [{r.id}](#{r.id.lower()}) | `{r.slug}` | {r.severity.label} | {r.title} |"
        for r in rules
    ]
    lines.append("")
    lines += [_one_markdown(rule) for rule in rules]
    return "\n".join(lines)


def _one_markdown(rule: Rule) -> str:
    out = [
        f"## {rule.id}",
        "",
        f"**{rule.title}** — `{rule.slug}`, default severity "
        f"**{rule.severity.label}**"
        + (" · " + ", ".join(f"CWE-{c}" for c in rule.cwe) if rule.cwe else ""),
        "",
    ]
    out += [
        rule.description,
        "",
        f"**Message:** `{rule.message}`",
        "",
        f"**Remediation:** {rule.remediation}",
        "",
    ]
    if rule.example:
        out += ["**Example:**", "", "```", rule.example, "```", ""]
    if rule.references:
        out += ["**References:**", "", *(f"- {ref}" for ref in rule.references), ""]
    return "\n".join(out)


def _json(rules: list[Rule]) -> str:
    return json.dumps(
        [
            {
                "id": r.id,
                "slug": r.slug,
                "title": r.title,
                "severity": r.severity.label,
                "group": r.group,
                "cwe": list(r.cwe),
                "message": r.message,
                "description": r.description,
                "remediation": r.remediation,
                "example": r.example,
                "references": list(r.references),
                "tags": list(r.tags),
            }
            for r in rules
        ],
        indent=2,
    )
