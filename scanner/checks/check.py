"""The shape of a check: a function over the inventory, bound to the rule ids it may emit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..config import Config
from ..model import Finding, Inventory


@dataclass(frozen=True)
class Check:
    rule_ids: frozenset[str]
    run: Callable[[Inventory, Config], Iterable[Finding]]
    name: str = ""
