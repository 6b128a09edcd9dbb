"""`aibom check` (the pre-commit fast path): exact output lines, exit codes, the same
findings as a full scan of the same files, and no heavy imports."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aibom.commands.check import check_files, format_line
from aibom.commands.check import run as run_check
from aibom.config import Config
from aibom.rules import all_rules
from aibom.scan import scan

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
# the pins rules' hand-written requirements-file pairs: fixtures/rules/AIB1xx/{bad,good}
PIN_FOLDERS = sorted(
    p / side
    for p in (FIXTURES / "rules").iterdir()
    if p.name.startswith("AIB1") and (p / "bad" / "requirements.txt").is_file()
    for side in ("bad", "good")
)
SIX_WHEEL = "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"


def _copy(case: Path, dest: Path) -> list[Path]:
    shutil.copytree(case, dest, dirs_exist_ok=True)
    return sorted(p.relative_to(dest) for p in dest.rglob("*.txt"))


def test_output_lines_and_exit_code_for_an_unpinned_requirement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _copy(FIXTURES / "rules" / "AIB101" / "bad", tmp_path)
    monkeypatch.chdir(tmp_path)
    code = run_check(tuple(files), None)
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines() == [
        "requirements.txt:1: AIB101 requests is not pinned to one exact version (>=2.31); "
        "pin it with ==<version>",
        "requirements.txt:2: AIB101 numpy is not pinned to one exact version "
        "(no version specifier); pin it with ==<version>",
    ]


def test_clean_file_exits_zero_and_prints_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    files = _copy(FIXTURES / "rules" / "AIB111" / "good", tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_check(tuple(files), None) == 0
    assert capsys.readouterr().out == ""


def test_missing_file_exits_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_check((Path("requirements.txt"),), None) == 2
    assert capsys.readouterr().err == (
        "error: file not found (requirements.txt)\nhint: check the path you gave\n"
    )


def test_files_of_other_kinds_are_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "README.md").write_text("requests>=1\n", "utf-8")
    (tmp_path / "app.py").write_text("import pickle\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    assert check_files([Path("README.md"), Path("app.py")], Config()) == ([], [])


def test_inline_ignore_and_disable_silence_the_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "requirements.txt").write_text(
        "requests>=2.31  # aibom: ignore[AIB101] vendored range, reviewed\nnumpy\n", "utf-8"
    )
    monkeypatch.chdir(tmp_path)
    findings, _ = check_files([Path("requirements.txt")], Config())
    assert [(f.rule_id, f.location.line) for f in findings] == [("AIB101", 2)]
    findings, _ = check_files(
        [Path("requirements.txt")], Config(disabled_rules=frozenset({"AIB101"}))
    )
    assert findings == []


def test_unreadable_requirements_file_is_a_finding_not_a_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "requirements.txt").write_bytes(b"six==1.17.0\x00\x00\xff")
    monkeypatch.chdir(tmp_path)
    findings, _ = check_files([Path("requirements.txt")], Config())
    assert [format_line(f) for f in findings] == [
        "requirements.txt: AIB901 could not be read or parsed: "
        "binary content (NUL bytes): not a text file"
    ]


PIN_GROUPS = {"pins", "scan", "typosquat"}


@pytest.mark.parametrize(
    "case", PIN_FOLDERS, ids=[f"{p.parent.name}-{p.name}" for p in PIN_FOLDERS]
)
def test_hook_findings_equal_full_scan_findings(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _copy(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    hook_findings, missing = check_files(files, Config())
    assert missing == []
    result = scan(Config(roots=(Path("."),)))
    groups = {r.id: r.group for r in all_rules().values()}
    scan_findings = [f for f in result.findings if groups[f.rule_id] in PIN_GROUPS]
    assert hook_findings == scan_findings
    assert bool(hook_findings) == (case.name == "bad")


def test_hook_does_not_import_heavy_libraries(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        f"six==1.17.0 --hash=sha256:{SIX_WHEEL}\nidna==3.10\n", "utf-8"
    )
    probe = (
        "import sys\n"
        "from aibom.cli import main\n"
        "try:\n"
        "    main(['check', 'requirements.txt'])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'cyclonedx', 'httpx', 'pip_audit', 'jsonschema', 'httpcore', 'serializable',"
        " 'model_signing', 'sigstore', 'sigstore_models', 'OpenSSL', 'tuf', 'pydantic'})\n"
        "print('HEAVY', heavy, 'EXIT', code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.stdout.splitlines()[-1] == "HEAVY [] EXIT 1", done.stderr
    assert done.stdout.splitlines()[0].startswith("requirements.txt:2: AIB111 idna has no --hash")


FORMATS = Path(__file__).resolve().parents[2] / "fixtures" / "models" / "formats"
MALICIOUS = FORMATS.parent / "malicious"


def test_models_flag_checks_model_files_like_the_full_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aibom.commands.check import NOT_MODEL_GROUPS

    names = ["bad_json.safetensors", "lambda.keras", "tiny.safetensors", "tiny.gguf"]
    for name in names:
        shutil.copy(FORMATS / name, tmp_path / name)
    shutil.copy(MALICIOUS / "builtin2_eval.pkl", tmp_path / "builtin2_eval.pkl")
    names.append("builtin2_eval.pkl")
    monkeypatch.chdir(tmp_path)
    paths = [Path(n) for n in names]
    # without --models, model files are not this hook's business
    assert check_files(paths, Config()) == ([], [])
    findings, _ = check_files(paths, Config(), models=True)
    assert [format_line(f) for f in findings] == [
        "bad_json.safetensors: AIB220 safetensors header is malformed: header is not valid "
        "JSON (Expecting ',' delimiter at char 59)",
        "bad_json.safetensors: AIB902 could not be fully analysed (malformed safetensors "
        "header: header is not valid JSON (Expecting ',' delimiter at char 59)); treated as "
        "unsafe",
        "builtin2_eval.pkl: AIB201 unpickling imports builtins.eval (called) — this file runs "
        "code when loaded",
        "builtin2_eval.pkl: AIB205 pickle-based weights (pickle); prefer safetensors",
        "lambda.keras (config.json): AIB235 Lambda layer double holds Python code that runs "
        "when the model is loaded",
    ]
    groups = {r.id: r.group for r in all_rules().values()}
    result = scan(Config(roots=(Path("."),)))
    assert findings == [f for f in result.findings if groups[f.rule_id] not in NOT_MODEL_GROUPS]


def test_hook_equals_full_scan_on_a_project_with_includes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fixtures/projects/messy: -r / -c includes, options, URLs, VCS, editables, credentials."""
    shutil.copytree(FIXTURES / "projects" / "messy", tmp_path / "messy")
    monkeypatch.chdir(tmp_path / "messy")
    files = sorted(p for p in Path(".").rglob("*.txt"))
    hook_findings, _ = check_files(files, Config())
    groups = {r.id: r.group for r in all_rules().values()}
    result = scan(Config(roots=(Path("."),)))
    assert hook_findings == [f for f in result.findings if groups[f.rule_id] in PIN_GROUPS]
    assert sorted({f.rule_id for f in hook_findings}) == [
        "AIB101",
        "AIB131",
        "AIB132",
        "AIB133",
        "AIB142",
        "AIB143",
        "AIB144",
    ]


def test_dependency_path_check_modules_own_exactly_the_pins_and_scan_rules() -> None:
    from aibom.checks import config_trust, pins, scan_errors, typosquat
    from aibom.checks.integrity import RULE_IDS as INTEGRITY_RULE_IDS
    from aibom.commands.check import DEPENDENCY_GROUPS
    from aibom.rules import load_groups

    # the pins group also holds the rules `aibom verify` reports (never a `check` finding)
    modules = (*scan_errors.CHECKS, *config_trust.CHECKS, *pins.CHECKS, *typosquat.CHECKS)
    owned = set().union(*(c.rule_ids for c in modules))
    assert owned | INTEGRITY_RULE_IDS == set(load_groups(DEPENDENCY_GROUPS))
    assert owned | INTEGRITY_RULE_IDS == {
        r.id for r in all_rules().values() if r.group in DEPENDENCY_GROUPS
    }


def test_a_passing_check_reads_no_rule_file(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(f"six==1.17.0 --hash=sha256:{SIX_WHEEL}\n", "utf-8")
    probe = (
        "import sys\n"
        "from aibom.cli import main\n"
        "try:\n"
        "    main(['check', 'requirements.txt'])\n"
        "except SystemExit as exc:\n"
        "    loaded = sorted(m for m in ('aibom.policy', 'aibom.rules') if m in sys.modules)\n"
        "    print('EXIT', exc.code, 'LOADED', loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "EXIT 0 LOADED []", done.stderr


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "requirements.txt",
            "reqeusts==2.31.0\n",
            'requirements.txt:1: AIB301 "reqeusts" looks like a typo of "requests"',
        ),
        (
            "pyproject.toml",
            '[project]\nname = "app"\nversion = "1"\ndependencies = ["reqeusts==2.31.0"]\n',
            'pyproject.toml:4: AIB301 "reqeusts" looks like a typo of "requests"',
        ),
    ],
)
def test_check_reports_typosquats_offline(
    name: str, text: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: `aibom check` ran the pins rules only, so the hook let a typosquat through."""
    (tmp_path / name).write_text(text, "utf-8")
    monkeypatch.chdir(tmp_path)
    findings, _ = check_files([Path(name)], Config())
    lines = [format_line(f) for f in findings]
    assert any(line.startswith(expected) for line in lines), lines


def test_check_reports_known_malicious_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aibom.checks.typosquat_index import default_index

    bad = sorted(default_index().malicious)[0]
    (tmp_path / "requirements.txt").write_text(f"{bad}==1.0\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    findings, _ = check_files([Path("requirements.txt")], Config())
    assert "AIB302" in {f.rule_id for f in findings}


def test_popular_names_are_answered_without_building_the_lookup_tables() -> None:
    from aibom.checks.typosquat_index import TyposquatIndex

    index = TyposquatIndex({"requests": 6, "numpy": 2})
    assert index.check("requests") is None and index.check("numpy") is None
    assert not index._built  # the fast path of a pinned, popular requirements file
    match = index.check("reqeusts")
    assert index._built and match is not None and match.target == "requests"


def test_models_flag_finds_models_whatever_their_name_and_skips_dependency_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: the hook's extension filter let `model.dill`, a pickle in `model.zip` and an
    extensionless `weights` through; `check --models` itself must catch each by content."""
    import zipfile

    evil = (MALICIOUS / "builtin2_eval.pkl").read_bytes()
    (tmp_path / "model.dill").write_bytes(evil)
    (tmp_path / "weights").write_bytes(evil)
    with zipfile.ZipFile(tmp_path / "model.zip", "w") as zf:
        zf.writestr("archive/data.pkl", evil)
    (tmp_path / "notes.md").write_text("# notes\n", "utf-8")
    (tmp_path / "requirements.txt").write_text("six>=1\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    names = ["model.dill", "model.zip", "notes.md", "requirements.txt", "weights"]
    findings, _ = check_files([Path(n) for n in names], Config(), models=True)
    assert {f.location.path for f in findings if f.rule_id == "AIB201"} == {
        "model.dill",
        "model.zip",
        "weights",
    }
    assert "requirements.txt" not in {f.location.path for f in findings}  # aibom-pins' job
