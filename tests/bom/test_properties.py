"""One vocabulary of AIBOM property names: bom/properties.py declares each name once, the code
uses no other, and docs/aibom-fields.md documents exactly those."""

from __future__ import annotations

import re
from pathlib import Path

from aibom.bom import properties

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"""["'`]((?:aibom|cdx):[A-Za-z0-9_.:-]*[A-Za-z0-9_])""")


def _declared(name: str) -> bool:
    return name in properties.NAMES or name.startswith(properties.FAMILIES)


def test_every_property_name_in_the_code_is_declared() -> None:
    undeclared = set()
    for path in (ROOT / "scanner").rglob("*.py"):
        if path.name == "properties.py":
            continue
        text = path.read_text("utf-8")
        for match in NAME.finditer(text):
            name = match.group(1)
            if text[match.end() : match.end() + 2] == ":{" and name + ":" in properties.FAMILIES:
                continue  # f"aibom:card:{key}": a family member named by the data
            if not _declared(name):
                undeclared.add(f"{path.relative_to(ROOT)}: {name}")
    assert not undeclared, "add these to scanner/bom/properties.py and the docs:\n" + "\n".join(
        sorted(undeclared)
    )


def test_docs_list_exactly_the_declared_names() -> None:
    text = (ROOT / "docs" / "aibom-fields.md").read_text("utf-8")
    documented = {m.group(1).split("=")[0] for m in re.finditer(r"`((?:aibom|cdx):[^`\s]+)`", text)}
    documented = {d for d in documented if not d.endswith("*")}
    missing = sorted(n for n in properties.NAMES if n not in documented)
    assert not missing, f"document these in docs/aibom-fields.md: {missing}"
    stray = sorted(d for d in documented if not _declared(d))
    assert not stray, f"documented but not declared in scanner/bom/properties.py: {stray}"
    for family in properties.FAMILIES:
        assert f"`{family}*`" in text or any(d.startswith(family) for d in documented), family
