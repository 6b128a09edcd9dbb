"""The scanned tree's own configuration: every setting it made that weakens the scan
(AIB910), and every setting it is not allowed to make (AIB911), is reported at the file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..config import Config, TreeEffect
from ..model import Finding, Inventory, Location
from .check import Check


def _where(config: Config) -> str:
    path = config.config_file or Path(".aibom.toml")
    for root in config.roots:
        folder = root if root.is_dir() else root.parent
        try:
            return path.relative_to(folder).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def tree_setting_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    where = Location(_where(config))
    for setting in config.tree_settings:
        rule = "AIB910" if setting.effect is TreeEffect.WEAKENS else "AIB911"
        yield Finding.make(rule, where, setting=setting.key, value=setting.value)


CHECKS: tuple[Check, ...] = (
    Check(frozenset({"AIB910", "AIB911"}), tree_setting_findings, "scanned tree's configuration"),
)
