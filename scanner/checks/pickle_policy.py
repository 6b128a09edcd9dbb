"""The judgement of one pickle global, shared by the scan's checks and `aibom diff`: each
global the unpickler would import is judged against `rules/pickle_globals.toml` (known-safe
exact names, dangerous entries and attribute names, everything else unknown) and the user's
`safe-globals`."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache

from ..config import Config
from ..model import PickleImport
from ..rules import load_data_toml

UNRESOLVED = "<unresolved>"


@dataclass(frozen=True)
class Globals:
    safe: frozenset[str]
    dangerous: dict[str, tuple[str, ...]]
    attributes: dict[str, tuple[str, ...]]  # attribute names that make any path a gadget


@cache
def globals_data() -> Globals:
    data = load_data_toml("pickle_globals.toml")
    safe = frozenset(data["safe"]["names"])
    dangerous = {name: tuple(sources) for name, sources in data["dangerous"].items()}
    attributes = {
        name: tuple(sources) for name, sources in data.get("dangerous_attributes", {}).items()
    }
    return Globals(safe, dangerous, attributes)


def candidates(module: str, name: str) -> list[str]:
    """The dotted names an import can reach: module.name, and for a dotted name every
    attribute suffix of two or more parts (`pathlib` + `os.system` reaches `os.system`)."""
    found = [f"{module}.{name}"]
    parts = name.split(".")
    for i in range(len(parts) - 1):
        found.append(".".join(parts[i:]))
    return found


def dangerous_entry(module: str, name: str, data: Globals | None = None) -> str | None:
    """The dangerous entry that covers this import, or None."""
    table = (data or globals_data()).dangerous
    for cand in candidates(module, name):
        pieces = cand.split(".")
        for i in range(len(pieces), 0, -1):
            prefix = ".".join(pieces[:i])
            if prefix in table:
                return prefix
    return None


def classify(imp: PickleImport, config: Config) -> tuple[str, str | None]:
    # the entry is a [dangerous] name, or a [dangerous_attributes] name the path goes through
    """("safe" | "dangerous" | "unresolved" | "unknown-stdlib" | "unknown", entry)."""
    if imp.module == UNRESOLVED:
        return "unresolved", None
    data = globals_data()
    qual = imp.qualname
    if qual in data.safe:
        return "safe", None
    entry = dangerous_entry(imp.module, imp.name, data)
    if entry is not None:
        return "dangerous", entry
    for part in imp.name.split("."):
        if part in data.attributes:
            return "dangerous", part
    # the user's safe-globals come after the dangerous list: they can never allow its names
    if qual in config.safe_globals:
        return "safe", None
    root = imp.module.split(".", 1)[0]
    if root in sys.stdlib_module_names or root in ("__builtin__", "builtins"):
        return "unknown-stdlib", None
    return "unknown", None
