from __future__ import annotations

import re
from pathlib import Path

from aibom.checks import all_checks
from aibom.checks.integrity import RULE_IDS as INTEGRITY_RULE_IDS
from aibom.model import Finding, Location
from aibom.rules import all_rules, get_rule, rules_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def test_every_rule_has_a_check_and_every_check_a_rule() -> None:
    # every rule is emitted by an inventory check, or by `aibom verify` (checks/integrity.py)
    checked = set().union(*(check.rule_ids for check in all_checks()))
    assert not checked & INTEGRITY_RULE_IDS
    assert checked | INTEGRITY_RULE_IDS == set(all_rules())


def test_rule_ids_and_slugs_are_well_formed() -> None:
    for rule in all_rules().values():
        assert re.fullmatch(r"AIB\d{3}", rule.id), rule.id
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.slug), rule.slug
        assert rule.title and rule.remediation and rule.description
        assert not rule.title.endswith("."), rule.id


def test_get_rule_by_id_or_slug_and_message_rendering() -> None:
    rule = get_rule("scan-error")
    assert rule.id == "AIB901"
    finding = Finding.make("AIB901", Location("a.txt", 3), reason="bad bytes")
    assert rule.render(finding) == "could not be read or parsed: bad bytes"
    # a missing argument is shown, not an exception
    assert (
        get_rule("AIB902")
        .render(Finding("AIB902", Location("x")))
        .startswith("could not be fully analysed ({reason})")
    )


def test_fingerprint_ignores_the_line_but_not_the_arguments() -> None:
    a = Finding.make("AIB901", Location("a.txt", 3), reason="x")
    b = Finding.make("AIB901", Location("a.txt", 9), reason="x")
    c = Finding.make("AIB901", Location("a.txt", 3), reason="y")
    assert a.fingerprint == b.fingerprint
    assert a.fingerprint != c.fingerprint


def test_docs_rules_md_is_generated_from_rules_and_up_to_date() -> None:
    expected = rules_markdown()
    assert DOCS.read_text(encoding="utf-8") == expected, (
        "docs/rules.md is stale: regenerate it with `aibom rules --format markdown > docs/rules.md`"
    )
