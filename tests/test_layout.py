"""The layout's guarantees: test modules have unique names (tests/ has no __init__.py, so two
files with one basename stop collection), and no scanner module imports another module's
private name."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_test_module_names_are_unique() -> None:
    names = Counter(p.name for p in (ROOT / "tests").rglob("test_*.py"))
    assert [n for n, c in names.items() if c > 1] == []


def test_no_module_imports_a_private_name_of_another() -> None:
    found = []
    for path in (ROOT / "scanner").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.relative_to(ROOT)}: {alias.name}")
    assert found == []
