"""Checks judge the inventory: each is a function `(Inventory, Config) -> Iterable[Finding]`
bound to the rule ids it may emit. `all_checks()` is the one table of every check (each
module's `CHECKS`, imported on first use so the pre-commit path loads only what it runs); a
test asserts its rule ids plus those `aibom verify` emits (`integrity.RULE_IDS`) and those in
`rules/` match exactly.
"""

from __future__ import annotations

from .check import Check

__all__ = ["Check", "all_checks"]


def all_checks() -> tuple[Check, ...]:
    from . import (
        code_refs,
        config_trust,
        data,
        index,
        model_formats,
        pickles,
        pins,
        scan_errors,
        signatures,
        typosquat,
        vulns,
    )

    return (
        *scan_errors.CHECKS,
        *config_trust.CHECKS,
        *pins.CHECKS,
        *pickles.CHECKS,
        *model_formats.CHECKS,
        *typosquat.CHECKS,
        *index.CHECKS,
        *vulns.CHECKS,
        *code_refs.CHECKS,
        *signatures.CHECKS,
        *data.CHECKS,
    )
