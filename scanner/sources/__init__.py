"""Dependency sources and source-code readers: one module per kind of file.

Every collector has the same shape (`Collector`): it takes one file and the config and
returns plain facts (`Collected`). `classify` picks the collector from the file's name;
`REGISTRY` maps each kind to its module, imported only when a file of that kind is seen
(so the pre-commit fast path never imports what it does not need).
"""

from __future__ import annotations

import fnmatch
import importlib
from typing import Protocol

from ..config import Config
from ..model import Collected, FileRef


class Collector(Protocol):
    def __call__(self, file: FileRef, config: Config) -> Collected: ...


# kind -> (module under aibom.sources, function name)
REGISTRY: dict[str, tuple[str, str]] = {
    "requirements": ("requirements", "collect"),
    "pyproject": ("pyproject", "collect"),
    "setup.cfg": ("setup_files", "collect_setup_cfg"),
    "setup.py": ("setup_files", "collect_setup_py"),
    "poetry.lock": ("locks", "collect_poetry"),
    "uv.lock": ("locks", "collect_uv"),
    "Pipfile.lock": ("locks", "collect_pipfile"),
    "pdm.lock": ("locks", "collect_pdm"),
    "pylock": ("locks", "collect_pylock"),
    "conda": ("conda", "collect"),
    "python": ("code_refs", "collect_python"),
    "notebook": ("code_refs", "collect_notebook"),
}

_EXACT_NAMES = {
    "pyproject.toml": "pyproject",
    "setup.cfg": "setup.cfg",
    "setup.py": "setup.py",
    "poetry.lock": "poetry.lock",
    "uv.lock": "uv.lock",
    "Pipfile.lock": "Pipfile.lock",
    "pdm.lock": "pdm.lock",
    "pylock.toml": "pylock",
    "environment.yml": "conda",
    "environment.yaml": "conda",
}


def classify(rel: str) -> str | None:
    """The collector kind for a file, from its relative path; None when no source applies."""
    name = rel.rsplit("/", 1)[-1]
    if name in _EXACT_NAMES:
        return _EXACT_NAMES[name]
    lower = name.lower()
    if fnmatch.fnmatchcase(lower, "pylock.*.toml"):
        return "pylock"
    if lower.endswith(".txt") and (
        "requirements" in lower
        or lower.startswith("constraints")
        or "/requirements/" in f"/{rel.lower()}"
    ):
        return "requirements"
    if lower.endswith(".in") and "requirements" in lower:
        return "requirements"
    if lower.endswith(".py"):
        return "python"
    if lower.endswith(".ipynb"):
        return "notebook"
    return None


def get_collector(kind: str) -> Collector:
    module_name, function = REGISTRY[kind]
    module = importlib.import_module(f"{__name__}.{module_name}")
    collector: Collector = getattr(module, function)
    return collector
