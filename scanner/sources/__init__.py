"""Dependency sources and source-code readers: one module per kind of file.

Every collector has the same shape (`Collector`): it takes one file and the config and
returns plain facts (`Collected`). `classify` picks the collector from the file's name;
`COLLECTORS` maps each `FileKind` to a loader that imports its module only when a file of
that kind is seen (so the pre-commit fast path never imports what it does not need).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Protocol

from ..config import Config
from ..model import Collected, FileKind, FileRef


class Collector(Protocol):
    def __call__(self, file: FileRef, config: Config) -> Collected: ...


def _requirements() -> Collector:
    from . import requirements

    return requirements.collect


def _pyproject() -> Collector:
    from . import pyproject

    return pyproject.collect


def _setup_cfg() -> Collector:
    from . import setup_files

    return setup_files.collect_setup_cfg


def _setup_py() -> Collector:
    from . import setup_files

    return setup_files.collect_setup_py


def _poetry_lock() -> Collector:
    from . import locks

    return locks.collect_poetry


def _uv_lock() -> Collector:
    from . import locks

    return locks.collect_uv


def _pipfile_lock() -> Collector:
    from . import locks

    return locks.collect_pipfile


def _pdm_lock() -> Collector:
    from . import locks

    return locks.collect_pdm


def _pylock() -> Collector:
    from . import locks

    return locks.collect_pylock


def _conda() -> Collector:
    from . import conda

    return conda.collect


def _python() -> Collector:
    from . import code_refs

    return code_refs.collect_python


def _notebook() -> Collector:
    from . import code_refs

    return code_refs.collect_notebook


K = FileKind
# every kind of file classify() can return -> the loader of its collector
COLLECTORS: dict[FileKind, Callable[[], Collector]] = {
    K.REQUIREMENTS: _requirements,
    K.PYPROJECT: _pyproject,
    K.SETUP_CFG: _setup_cfg,
    K.SETUP_PY: _setup_py,
    K.POETRY_LOCK: _poetry_lock,
    K.UV_LOCK: _uv_lock,
    K.PIPFILE_LOCK: _pipfile_lock,
    K.PDM_LOCK: _pdm_lock,
    K.PYLOCK: _pylock,
    K.CONDA: _conda,
    K.PYTHON: _python,
    K.NOTEBOOK: _notebook,
}

_EXACT_NAMES = {
    "pyproject.toml": K.PYPROJECT,
    "setup.cfg": K.SETUP_CFG,
    "setup.py": K.SETUP_PY,
    "poetry.lock": K.POETRY_LOCK,
    "uv.lock": K.UV_LOCK,
    "Pipfile.lock": K.PIPFILE_LOCK,
    "pdm.lock": K.PDM_LOCK,
    "pylock.toml": K.PYLOCK,
    "environment.yml": K.CONDA,
    "environment.yaml": K.CONDA,
}


def classify(rel: str) -> FileKind | None:
    """The collector kind for a file, from its relative path; None when no source applies."""
    name = rel.rsplit("/", 1)[-1]
    if name in _EXACT_NAMES:
        return _EXACT_NAMES[name]
    lower = name.lower()
    if fnmatch.fnmatchcase(lower, "pylock.*.toml"):
        return K.PYLOCK
    if lower.endswith(".txt") and (
        "requirements" in lower
        or lower.startswith("constraints")
        or "/requirements/" in f"/{rel.lower()}"
    ):
        return K.REQUIREMENTS
    if lower.endswith(".in") and "requirements" in lower:
        return K.REQUIREMENTS
    if lower.endswith(".py"):
        return K.PYTHON
    if lower.endswith(".ipynb"):
        return K.NOTEBOOK
    return None


def get_collector(kind: FileKind) -> Collector:
    return COLLECTORS[kind]()
