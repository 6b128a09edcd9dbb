"""The published `aibom-pins` hook, run by the real `pre-commit` tool in a temporary git
repository: a commit of an unpinned requirement is blocked, a pinned and hashed one passes.

pre-commit would normally pip-install aibom from its repository into its own virtualenv,
which needs the network; here the hook definition is read from our `.pre-commit-hooks.yaml`
and used as a `repo: local` hook with `language: system`, so the installed `aibom` runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SIX = (
    "six==1.17.0 \\\n"
    "    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274 \\\n"
    "    --hash=sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81\n"
)

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("pre-commit") is None,
    reason="needs git and pre-commit on PATH",
)


def _hook(hook_id: str) -> dict[str, object]:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))
    hook = next(h for h in hooks if h["id"] == hook_id)
    return {**hook, "language": "system"}


def _git(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """git with stderr folded into stdout (pre-commit's report goes to the hook's stderr)."""
    return subprocess.run(
        ["git", *args],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    work = tmp_path / "project"
    work.mkdir()
    bindir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
        "HOME": str(tmp_path),
    }
    env.pop("GIT_DIR", None)
    env.pop("GIT_INDEX_FILE", None)
    assert _git(work, env, "init", "-q", "-b", "main").returncode == 0
    config = {"repos": [{"repo": "local", "hooks": [_hook("aibom-pins"), _hook("aibom-models")]}]}
    (work / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), "utf-8")
    done = subprocess.run(
        ["pre-commit", "install"], cwd=work, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    _git(work, env, "add", ".pre-commit-config.yaml")
    assert _git(work, env, "commit", "-q", "-m", "config").returncode == 0
    return work, env


def test_unpinned_requirement_is_blocked_and_pinned_hashed_one_passes(
    repo: tuple[Path, dict[str, str]],
) -> None:
    work, env = repo
    (work / "requirements.txt").write_text("six>=1.16\n", "utf-8")
    _git(work, env, "add", "requirements.txt")
    blocked = _git(work, env, "commit", "-m", "add six")
    assert blocked.returncode == 1
    assert (
        "requirements.txt:1: AIB101 six is not pinned to one exact version (>=1.16); "
        "pin it with ==<version>"
    ) in blocked.stdout
    assert "aibom pins and hashes" in blocked.stdout and "Failed" in blocked.stdout
    assert _git(work, env, "log", "--format=%s").stdout.split() == ["config"]

    (work / "requirements.txt").write_text(SIX, "utf-8")
    _git(work, env, "add", "requirements.txt")
    passed = _git(work, env, "commit", "-m", "add six pinned")
    assert passed.returncode == 0, passed.stdout
    assert "aibom pins and hashes" in passed.stdout and "Passed" in passed.stdout
    assert _git(work, env, "log", "--format=%s").stdout.splitlines() == [
        "add six pinned",
        "config",
    ]


def test_mixed_hash_mode_is_blocked(repo: tuple[Path, dict[str, str]]) -> None:
    work, env = repo
    (work / "requirements.txt").write_text(SIX + "idna==3.10\n", "utf-8")
    _git(work, env, "add", "requirements.txt")
    blocked = _git(work, env, "commit", "-m", "add")
    assert blocked.returncode == 1
    assert "requirements.txt:4: AIB111 idna has no --hash" in blocked.stdout


def test_files_pattern_selects_dependency_files_only() -> None:
    import re

    pattern = re.compile(str(_hook("aibom-pins")["files"]))
    chosen = [
        p
        for p in (
            "requirements.txt",
            "requirements-dev.txt",
            "requirements/base.txt",
            "requirements.in",
            "constraints.txt",
            "pyproject.toml",
            "sub/poetry.lock",
            "uv.lock",
            "pylock.toml",
            "pylock.dev.toml",
            "Pipfile.lock",
            "pdm.lock",
            "README.md",
            "setup.py",
            "requirements.txt.orig",
            "app.py",
        )
        if pattern.search(p)
    ]
    assert chosen == [
        "requirements.txt",
        "requirements-dev.txt",
        "requirements/base.txt",
        "requirements.in",
        "constraints.txt",
        "pyproject.toml",
        "sub/poetry.lock",
        "uv.lock",
        "pylock.toml",
        "pylock.dev.toml",
        "Pipfile.lock",
        "pdm.lock",
    ]


def test_models_hook_blocks_a_malicious_pickle_and_passes_safetensors(
    repo: tuple[Path, dict[str, str]],
) -> None:
    work, env = repo
    models = REPO / "fixtures" / "models"
    shutil.copy(models / "formats" / "tiny.safetensors", work / "tiny.safetensors")
    _git(work, env, "add", "tiny.safetensors")
    passed = _git(work, env, "commit", "-m", "weights")
    assert passed.returncode == 0, passed.stdout
    assert "aibom model files" in passed.stdout and "Passed" in passed.stdout
    shutil.copy(models / "malicious" / "builtin2_eval.pkl", work / "model.pkl")
    _git(work, env, "add", "model.pkl")
    blocked = _git(work, env, "commit", "-m", "pickle")
    assert blocked.returncode == 1
    assert (
        "model.pkl: AIB201 unpickling imports builtins.eval (called) — this file runs code "
        "when loaded"
    ) in blocked.stdout
