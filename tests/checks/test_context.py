"""Findings graded by where they are: a library's examples, docs, tests and own dependency
ranges are not deployments. Each project is a minimal tree written by the test."""

from __future__ import annotations

from pathlib import Path

from aibom.checks.context import ProjectKind, folder_context, project_kind
from aibom.config import Config
from aibom.model import Severity
from aibom.policy import severity_of
from aibom.rules import get_rule
from aibom.scan import collect, run_checks

LIBRARY_PYPROJECT = (
    '[build-system]\nrequires = ["setuptools>=69"]\nbuild-backend = "setuptools.build_meta"\n'
    '[project]\nname = "lib"\nversion = "1.0"\ndependencies = ["torch>=2"]\n'
)
LOADER = "from transformers import AutoModel\nAutoModel.from_pretrained('acme/m', trust_remote_code=True)\n"


def _tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _graded(
    root: Path, rules: set[str], **config: object
) -> dict[tuple[str, str], tuple[Severity, str]]:
    cfg = Config(roots=(root,)).replace(**config)
    inventory = collect(cfg)
    return {
        (f.rule_id, f.location.path): (severity_of(f, cfg), get_rule(f.rule_id).render(f))
        for f in run_checks(inventory, cfg, only=rules)
    }


def test_library_examples_docs_tests_and_own_ranges_are_low(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "pyproject.toml": LIBRARY_PYPROJECT,
            "requirements.txt": "numpy>=1.24\n",
            "requirements-dev.txt": "pytest\n",
            "examples/train/requirements.txt": "accelerate>=0.30\n",
            "docs/requirements.txt": "sphinx\n",
            "src/lib/load.py": LOADER,
            "tests/test_load.py": LOADER,
            "examples/run.ipynb": '{"cells": [{"cell_type": "code", "source": "'
            + LOADER.replace("'", "\\u0027").replace("\n", "\\n")
            + '"}]}',
        },
    )
    got = _graded(tmp_path, {"AIB101", "AIB602"})
    assert got[("AIB101", "requirements.txt")] == (
        Severity.LOW,
        "numpy is not pinned to one exact version (>=1.24); pin it with ==<version> (low: a "
        "library's own requirements: it declares ranges its users' installs resolve; pin in "
        "the lock file of what you deploy)",
    )
    assert got[("AIB101", "examples/train/requirements.txt")][0] is Severity.LOW
    assert "examples/ holds example code" in got[("AIB101", "examples/train/requirements.txt")][1]
    assert got[("AIB101", "docs/requirements.txt")][0] is Severity.LOW
    assert "development tooling" in got[("AIB101", "requirements-dev.txt")][1]
    # the library's own source is shipped: graded as the rule says
    assert got[("AIB602", "src/lib/load.py")][0] is Severity.HIGH
    assert "(low:" not in got[("AIB602", "src/lib/load.py")][1]
    assert got[("AIB602", "tests/test_load.py")][0] is Severity.LOW
    assert got[("AIB602", "examples/run.ipynb")][0] is Severity.LOW


def test_application_requirements_stay_high(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "requirements.txt": "numpy>=1.24\n",
            "demo/requirements.txt": "gradio\n",
            "app.py": LOADER,
        },
    )
    got = _graded(tmp_path, {"AIB101", "AIB602"})
    assert got[("AIB101", "requirements.txt")][0] is Severity.HIGH
    assert got[("AIB101", "demo/requirements.txt")][0] is Severity.LOW
    assert got[("AIB602", "app.py")][0] is Severity.HIGH


def test_config_overrides_the_kind_and_the_severity(tmp_path: Path) -> None:
    _tree(tmp_path, {"pyproject.toml": LIBRARY_PYPROJECT, "requirements.txt": "numpy>=1.24\n"})
    assert (
        _graded(tmp_path, {"AIB101"}, project_kind="application")[("AIB101", "requirements.txt")][0]
        is Severity.HIGH
    )
    # a severity set in config wins over the context
    overridden = _graded(tmp_path, {"AIB101"}, severity_overrides=(("AIB101", Severity.CRITICAL),))
    assert overridden[("AIB101", "requirements.txt")][0] is Severity.CRITICAL


def test_project_kind_detection(tmp_path: Path) -> None:
    cfg = Config(roots=(tmp_path,))
    _tree(tmp_path, {"pyproject.toml": '[project]\nname = "app"\nversion = "1"\n'})
    assert project_kind(collect(cfg), cfg) is ProjectKind.APPLICATION  # no build system
    _tree(tmp_path, {"pyproject.toml": LIBRARY_PYPROJECT})
    assert project_kind(collect(cfg), cfg) is ProjectKind.LIBRARY
    (tmp_path / "pyproject.toml").unlink()
    _tree(tmp_path, {"setup.py": "from setuptools import setup\nsetup(name='lib')\n"})
    assert project_kind(collect(cfg), cfg) is ProjectKind.LIBRARY


def test_folder_context() -> None:
    assert folder_context("src/pkg/model.py") is None
    assert (
        folder_context("Examples/x/requirements.txt")
        == "Examples/ holds example code, not what the project ships"
    )
    assert folder_context("pkg/research_projects/a/requirements.txt") is not None
    assert folder_context("benchmarks/run.py") is not None
    assert folder_context("pkg/test_model.py") == "a test file, not what the project ships"
    assert folder_context("latest/model.py") is None  # "test" must be a whole folder name


def test_a_top_level_setup_py_with_computed_arguments_is_a_library(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "setup.py": "import setuptools\nfrom helpers import args\nsetuptools.setup(**args())\n",
            "requirements/base.txt": "torch>=2\n",
        },
    )
    cfg = Config(roots=(tmp_path,))
    assert project_kind(collect(cfg), cfg) is ProjectKind.LIBRARY
    assert _graded(tmp_path, {"AIB101"})[("AIB101", "requirements/base.txt")][0] is Severity.LOW
