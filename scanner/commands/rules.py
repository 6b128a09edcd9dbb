"""`aibom rules [RULE-ID]`: list every rule, or explain one."""

from __future__ import annotations

import click

from ..errors import EXIT_OK, InputError
from ..rules import Rule, all_rules, explain, get_rule, rule_markdown, rules_json, rules_markdown


def _find(rule_id: str) -> Rule | None:
    """A rule by id or slug, whatever the case (`aib201`, `AIB201`, `Unsafe-Pickle-Import`)."""
    for candidate in (rule_id, rule_id.upper(), rule_id.lower()):
        try:
            return get_rule(candidate)
        except KeyError:
            continue
    return None


def run(rule_id: str | None, fmt: str) -> int:
    """`aibom rules`: list every rule, or explain one."""
    if rule_id is not None:
        rule = _find(rule_id)
        if rule is None:
            raise InputError(f"no rule {rule_id!r}", hint="`aibom rules` lists every rule")
        click.echo(
            rule_markdown(rule)
            if fmt == "markdown"
            else rules_json([rule])
            if fmt == "json"
            else explain(rule)
        )
        return EXIT_OK
    rules = list(all_rules().values())
    if fmt == "markdown":
        click.echo(rules_markdown(), nl=False)
    elif fmt == "json":
        click.echo(rules_json(rules))
    else:
        for rule in rules:
            click.echo(f"{rule.id}  {rule.severity.label:<8}  {rule.slug:<34} {rule.title}")
    return EXIT_OK
