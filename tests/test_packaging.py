"""The wheel ships every package under scanner/ (a hand list in pyproject.toml)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_scanner_package_is_listed_for_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {"aibom.rule_data"}
    for init in (ROOT / "scanner").rglob("__init__.py"):
        parts = init.parent.relative_to(ROOT / "scanner").parts
        found.add(".".join(("aibom", *parts)))
    assert listed == found
    assert config["package-dir"] == {"aibom": "scanner", "aibom.rule_data": "rules"}
