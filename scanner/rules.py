"""Rule metadata, loaded once from the `rules/rules_*.toml` files (shipped as the data
package `aibom.rule_data`: not `aibom.rules`, which would clash with this module).

Each rule is declared exactly once:

    [[rule]]
    id = "AIB101"                      # stable, grouped by concern
    slug = "unpinned-requirement"      # stable short name
    title = "Requirement is not pinned to one exact version"
    severity = "high"                  # info, low, medium, high, critical
    cwe = [829]
    message = "{name} is not pinned ..."   # str.format template over a Finding's args
    description = "..."                # why it matters
    remediation = "..."                # what to do
    example = "..."                    # a minimal input that fires it (for docs)
    references = ["https://..."]
"""

from __future__ import annotations

import json
import string
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from .model import Finding, Severity

RULE_FILE_PREFIX = "rules_"
_REQUIRED = ("id", "slug", "title", "severity", "message", "description", "remediation")
_ALLOWED = {*_REQUIRED, "cwe", "example", "references", "tags", "context-severity"}


@dataclass(frozen=True)
class Rule:
    id: str
    slug: str
    title: str
    severity: Severity
    message: str
    description: str
    remediation: str
    cwe: tuple[int, ...] = ()
    example: str = ""
    references: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    source_file: str = ""
    # severity of a finding in code or files the project does not ship (an example, docs,
    # tests, a benchmark, a notebook, a library's own dependency ranges): the finding then
    # carries a `context` argument saying which and why (see checks.context)
    context_severity: Severity | None = None

    @property
    def group(self) -> str:
        """The rule's concern, from its file name (rules_pins.toml -> "pins")."""
        return self.source_file.removeprefix(RULE_FILE_PREFIX).removesuffix(".toml")

    def render(self, finding: Finding) -> str:
        """The finding's message; a missing argument shows as `{name}` rather than failing.
        A finding graded by its context says why after the message."""
        args = finding.arg_dict
        text = string.Formatter().vformat(self.message, (), _Lenient(args))
        context = args.get("context")
        if context and self.context_severity is not None and "{context}" not in self.message:
            text += f" ({self.context_severity.label}: {context})"
        return text

    def severity_for(self, finding: Finding) -> Severity:
        """The rule's severity for this finding: lower where its context says so."""
        if self.context_severity is not None and finding.arg_dict.get("context"):
            return self.context_severity
        return self.severity


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def read_data_file(name: str) -> bytes:
    """The bytes of a data file shipped in `aibom.rule_data` (e.g. pickle_globals.toml)."""
    return resources.files("aibom.rule_data").joinpath(name).read_bytes()


def load_data_toml(name: str) -> dict[str, Any]:
    return tomllib.loads(read_data_file(name).decode("utf-8"))


@cache
def all_rules() -> dict[str, Rule]:
    """Every rule by id, validated. Raises ValueError on a malformed rule file (a bug)."""
    rules: dict[str, Rule] = {}
    slugs: dict[str, str] = {}
    folder = resources.files("aibom.rule_data")
    names = sorted(
        entry.name
        for entry in folder.iterdir()
        if entry.name.startswith(RULE_FILE_PREFIX) and entry.name.endswith(".toml")
    )
    for file_name in names:
        data = tomllib.loads(folder.joinpath(file_name).read_text("utf-8"))
        for raw in data.get("rule", []):
            rule = _parse_rule(raw, file_name)
            if rule.id in rules:
                raise ValueError(f"rule {rule.id} declared twice ({file_name})")
            if rule.slug in slugs:
                raise ValueError(f"slug {rule.slug} used by {slugs[rule.slug]} and {rule.id}")
            rules[rule.id] = rule
            slugs[rule.slug] = rule.id
    return dict(sorted(rules.items()))


def get_rule(rule_id: str) -> Rule:
    rules = all_rules()
    if rule_id in rules:
        return rules[rule_id]
    for rule in rules.values():
        if rule.slug == rule_id:
            return rule
    raise KeyError(rule_id)


def _parse_rule(raw: dict[str, Any], file_name: str) -> Rule:
    missing = [k for k in _REQUIRED if k not in raw]
    unknown = sorted(set(raw) - _ALLOWED)
    where = f"{file_name}: rule {raw.get('id', '?')}"
    if missing:
        raise ValueError(f"{where}: missing {', '.join(missing)}")
    if unknown:
        raise ValueError(f"{where}: unknown keys {', '.join(unknown)}")
    return Rule(
        id=raw["id"],
        slug=raw["slug"],
        title=raw["title"],
        severity=Severity.parse(raw["severity"]),
        message=raw["message"],
        description=raw["description"].strip(),
        remediation=raw["remediation"].strip(),
        cwe=tuple(raw.get("cwe", ())),
        example=raw.get("example", "").strip("\n"),
        references=tuple(raw.get("references", ())),
        tags=tuple(raw.get("tags", ())),
        source_file=file_name,
        context_severity=(
            Severity.parse(raw["context-severity"]) if "context-severity" in raw else None
        ),
    )


def load_groups(groups: Iterable[str]) -> dict[str, Rule]:
    """The rules of the given groups, parsing only their `rules_<group>.toml` files (the hook
    path does not need the other rule files; `all_rules` validates them all)."""
    found: dict[str, Rule] = {}
    for group in sorted(groups):
        name = f"{RULE_FILE_PREFIX}{group}.toml"
        try:
            data = load_data_toml(name)
        except FileNotFoundError:
            continue
        for raw in data.get("rule", []):
            rule = _parse_rule(raw, name)
            found[rule.id] = rule
    return found


# The docs/rules.md generator and `aibom rules` texts.

DOCS_HEADER = """<!-- Generated from rules/rules_*.toml by `aibom rules --format markdown`.
     Do not edit by hand: a test fails when this file is stale. -->
# Rules

Every finding aibom reports comes from one of these rules. Each rule has a stable id and
slug (both work in `disable`, `[tool.aibom.severity]` and `# aibom: ignore[...]`), a default
severity (change it per rule in config), and a remediation. `aibom rules RULE-ID` prints one.
"""


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
    lines += [rule_markdown(rule) for rule in rules]
    return "\n".join(lines)


def rule_markdown(rule: Rule) -> str:
    out = [
        f"## {rule.id}",
        "",
        f"**{rule.title}** — `{rule.slug}`, default severity "
        f"**{rule.severity.label}**"
        + (
            f" (**{rule.context_severity.label}** in examples, docs, tests, benchmarks, "
            "research folders and notebooks, and for a library's own dependency ranges)"
            if rule.context_severity is not None
            else ""
        )
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


def rules_json(rules: list[Rule]) -> str:
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
