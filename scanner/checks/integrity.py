"""What `aibom verify` found when it re-hashed the files an AIBOM records (rules AIB161-165
in rules/rules_pins.toml). Verify is not a scan: it produces `IntegrityFact`s, and this
module turns them into findings worded by the rules."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from ..model import Finding, Location


class IntegrityKind(enum.StrEnum):
    CHANGED = "changed"
    MISSING = "missing"
    UNRECORDED = "unrecorded"
    UNVERIFIABLE = "unverifiable"
    FLAGGED = "flagged"  # matches, but the AIBOM records a dangerous finding on it


RULE_FOR: dict[IntegrityKind, str] = {
    IntegrityKind.CHANGED: "AIB161",
    IntegrityKind.MISSING: "AIB162",
    IntegrityKind.UNRECORDED: "AIB163",
    IntegrityKind.UNVERIFIABLE: "AIB164",
    IntegrityKind.FLAGGED: "AIB165",
}
RULE_IDS = frozenset(RULE_FOR.values())


@dataclass(frozen=True)
class IntegrityFact:
    kind: IntegrityKind
    path: str
    args: tuple[tuple[str, str], ...] = ()


def integrity_findings(facts: Iterable[IntegrityFact]) -> list[Finding]:
    """One finding per fact, sorted by path, rule and arguments; duplicates dropped."""
    findings = {
        Finding.make(RULE_FOR[fact.kind], Location(fact.path), path=fact.path, **dict(fact.args))
        for fact in facts
    }
    return sorted(findings, key=lambda f: (f.location.path, f.rule_id, f.args))
