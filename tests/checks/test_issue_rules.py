"""Every issue kind an analyzer records maps to exactly one rule (checks/issue_rules.py), and
each rule of that table is reported by exactly one check."""

from __future__ import annotations

from pathlib import Path

from aibom.checks import all_checks
from aibom.checks.issue_rules import (
    DATA_ISSUE_RULE_IDS,
    FORMAT_RULE_IDS,
    ISSUE_RULES,
    PICKLE_ISSUE_RULE_IDS,
    rule_for,
)
from aibom.config import Config
from aibom.scan import collect

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_every_recorded_issue_kind_has_a_rule() -> None:
    roots = (FIXTURES / "models", FIXTURES / "rules")
    inventory = collect(Config(roots=roots))
    kinds = {issue.kind for artifact in inventory.artifacts for issue in artifact.issues}
    assert kinds, "the fixtures record no issue: the test would prove nothing"
    unmapped = sorted(k for k in kinds if rule_for(_issue(k)) is None)
    assert unmapped == []


def test_the_groups_split_the_table_and_each_rule_has_one_check() -> None:
    groups = (PICKLE_ISSUE_RULE_IDS, FORMAT_RULE_IDS, DATA_ISSUE_RULE_IDS)
    assert set().union(*groups) == set(ISSUE_RULES.values())
    assert sum(len(g) for g in groups) == len(set(ISSUE_RULES.values()))
    for rule in ISSUE_RULES.values():
        owners = [c.name for c in all_checks() if rule in c.rule_ids]
        assert len(owners) == 1, (rule, owners)


def _issue(kind: str):  # type: ignore[no-untyped-def]
    from aibom.model import ArtifactIssue, Location

    return ArtifactIssue(kind, "", Location("x"))
