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


EVIL = (REPO / "fixtures" / "models" / "malicious" / "builtin2_eval.pkl").read_bytes()
CLEAN = (REPO / "fixtures" / "models" / "formats" / "tiny.safetensors").read_bytes()


def _zip_with(member: str, data: bytes) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(member, data)
    return buffer.getvalue()


# (case from the UX study, path, content, rule expected to block it or None when it must
# pass). Cases 2, 3, 8, 9 and 10 passed unchecked before the model hook selected files by
# content and `check` ran the typosquat rules. Each case has its own path so that one blocked
# commit shows, file by file, what the hooks caught.
COMMIT_CASES: list[tuple[str, str, bytes, str | None]] = [
    ("1 unpinned", "requirements.txt", b"requests>=2.31\n", "AIB101"),
    ("2 typosquat", "requirements-typo.txt", b"reqeusts==2.31.0\n", "AIB301"),
    (
        "3 typosquat in pyproject",
        "typo/pyproject.toml",
        b'[project]\nname = "app"\nversion = "1"\ndependencies = ["reqeusts==2.31.0"]\n',
        "AIB301",
    ),
    ("4 mixed hash mode", "requirements-hash.txt", (SIX + "idna==3.10\n").encode(), "AIB111"),
    ("5 model.bin", "model.bin", EVIL, "AIB201"),
    ("6 models/head.pkl", "models/head.pkl", EVIL, "AIB201"),
    ("7 renamed .safetensors", "evil.safetensors", EVIL, "AIB201"),
    ("8 model.dill", "model.dill", EVIL, "AIB201"),
    ("9 pickle in a zip", "model.zip", _zip_with("archive/data.pkl", EVIL), "AIB201"),
    ("10 no extension", "weights", EVIL, "AIB201"),
    ("11 clean safetensors", "tiny.safetensors", CLEAN, None),
    ("12 pip-tools input", "requirements.in", b"requests>=2.31\n", None),
    (
        "13 pyproject range",
        "pyproject.toml",
        b'[project]\nname = "app"\nversion = "1"\ndependencies = ["six>=1.16"]\n',
        None,
    ),
    (
        "14 extra index",
        "requirements-dev.txt",
        b"--extra-index-url https://example.org/simple\n",
        "AIB144",
    ),
    (
        "15 VCS branch",
        "requirements-vcs.txt",
        b"foo @ git+https://example.org/foo.git@main\n",
        "AIB132",
    ),
    ("16 torch.load in code", "load.py", b"import torch\nm = torch.load('x.pt')\n", None),
]


def test_every_case_of_the_study_through_real_pre_commit(
    repo: tuple[Path, dict[str, str]],
) -> None:
    work, env = repo

    def stage(cases: list[tuple[str, str, bytes, str | None]]) -> list[str]:
        for _case, name, data, _rule in cases:
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_bytes(data)
        names = [name for _, name, _, _ in cases]
        _git(work, env, "add", *names)
        return names

    bad = [c for c in COMMIT_CASES if c[3] is not None]
    names = stage(bad)
    blocked = _git(work, env, "commit", "-m", "bad")
    assert blocked.returncode == 1
    lines = blocked.stdout.splitlines()
    caught = {
        case: rule
        if any(line.startswith((f"{name}:", f"{name} (")) and f" {rule} " in line for line in lines)
        else None
        for case, name, _, rule in bad
    }
    assert caught == {case: rule for case, _, _, rule in bad}, blocked.stdout
    _git(work, env, "rm", "-q", "--cached", *names)
    for name in names:
        (work / name).unlink()

    stage([c for c in COMMIT_CASES if c[3] is None])
    passed = _git(work, env, "commit", "-m", "good")
    assert passed.returncode == 0, passed.stdout


@pytest.fixture
def push_repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository with only the repo-wide `aibom-scan` hook, installed for every stage it
    declares, and a bare remote to push to."""
    work = tmp_path / "project"
    work.mkdir()
    env = {
        **os.environ,
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
        "HOME": str(tmp_path),
    }
    env.pop("GIT_DIR", None)
    env.pop("GIT_INDEX_FILE", None)
    assert _git(tmp_path, env, "init", "-q", "--bare", "remote.git").returncode == 0
    assert _git(work, env, "init", "-q", "-b", "main").returncode == 0
    _git(work, env, "remote", "add", "origin", str(tmp_path / "remote.git"))
    config = {"repos": [{"repo": "local", "hooks": [_hook("aibom-scan")]}]}
    (work / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), "utf-8")
    for hook_type in ("pre-commit", "pre-push"):
        done = subprocess.run(
            ["pre-commit", "install", "-t", hook_type],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    (work / "app.py").write_text("print('hello')\n", "utf-8")
    _git(work, env, "add", ".")
    assert _git(work, env, "commit", "-q", "-m", "start").returncode == 0
    return work, env


def test_scan_hook_runs_before_push_not_on_every_commit(
    push_repo: tuple[Path, dict[str, str]],
) -> None:
    work, env = push_repo
    (work / "requirements.txt").write_text("reqeusts==2.31.0\n", "utf-8")
    _git(work, env, "add", "requirements.txt")
    committed = _git(work, env, "commit", "-m", "typo")
    assert committed.returncode == 0, committed.stdout  # the repo-wide hook is pre-push only
    assert "aibom full scan" not in committed.stdout
    pushed = _git(work, env, "push", "-q", "origin", "main")
    assert pushed.returncode != 0
    assert "aibom full scan" in pushed.stdout and "Failed" in pushed.stdout


def test_scan_hook_ignores_untracked_and_gitignored_files(
    push_repo: tuple[Path, dict[str, str]],
) -> None:
    """Before: an untracked `stray.pkl` or a gitignored `checkpoints/last.pt` blocked the
    hook (cases 17 and 18); a tracked one still does."""
    work, env = push_repo
    (work / ".gitignore").write_text("checkpoints/\n", "utf-8")
    _git(work, env, "add", ".gitignore")
    assert _git(work, env, "commit", "-q", "-m", "ignore").returncode == 0
    (work / "checkpoints").mkdir()
    (work / "checkpoints" / "last.pt").write_bytes(EVIL)
    (work / "stray.pkl").write_bytes(EVIL)
    pushed = _git(work, env, "push", "-q", "origin", "main")
    assert pushed.returncode == 0, pushed.stdout
    assert "aibom full scan" in pushed.stdout and "Passed" in pushed.stdout
    _git(work, env, "add", "stray.pkl")
    assert _git(work, env, "commit", "-q", "-m", "track it").returncode == 0
    blocked = _git(work, env, "push", "-q", "origin", "main")
    assert blocked.returncode != 0 and "Failed" in blocked.stdout


def test_tracked_only_scan_outside_git_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "aibom"), "scan", "--tracked-only", "-q", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path.parent)},
    )
    assert done.returncode == 2
    assert "error: not inside a git repository" in done.stderr
