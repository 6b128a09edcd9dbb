"""`aibom pin`: exact pins and --hash lines from the index (MockTransport serving the PyPI
pages recorded in fixtures/index/)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from aibom.commands.check import check_files
from aibom.commands.pin import run as run_pin
from aibom.config import Config

INDEX = Path(__file__).resolve().parents[2] / "fixtures" / "index"
PYPI = "https://pypi.org/simple/"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
SIX_WHEEL = "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"
SIX_SDIST = "ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81"
IDNA_WHEEL = "946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3"
IDNA_SDIST = "12f65c9b470abda6dc35cf8e63cc574b1c52b11df2c86030af0ac09b01b13ea9"


def _handler(seen: list[str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        seen.append(url)
        name = url.rstrip("/").rsplit("/", 1)[-1]
        page = INDEX / f"{name}.json"
        if url.startswith(PYPI) and page.is_file():
            return httpx.Response(
                200, content=page.read_bytes(), headers={"content-type": JSON_TYPE}
            )
        return httpx.Response(404)

    return httpx.MockTransport(handle)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(cache_dir=tmp_path / "cache", cache_ttl_seconds=0)


def test_pins_and_hashes_keeping_comments_markers_and_other_lines(
    tmp_path: Path, config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text(
        "# runtime\n"
        "six==1.17.0  # for py2 compat\n"
        "idna==3.10 ; python_version >= '3.8'\n"
        "-e ./libs/core\n"
        "tool @ https://example.com/tool-1.0.tar.gz\n",
        "utf-8",
    )
    seen: list[str] = []
    code = run_pin((req,), None, False, transport=_handler(seen), config=config)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert sorted(seen) == [PYPI + "idna/", PYPI + "six/"]
    assert req.read_text("utf-8") == (
        "# runtime\n"
        "six==1.17.0 \\\n"
        f"    --hash=sha256:{SIX_WHEEL} \\\n"
        f"    --hash=sha256:{SIX_SDIST}\n"
        "    # for py2 compat\n"
        'idna==3.10 ; python_version >= "3.8" \\\n'
        f"    --hash=sha256:{IDNA_SDIST} \\\n"
        f"    --hash=sha256:{IDNA_WHEEL}\n"
        "-e ./libs/core\n"
        "tool @ https://example.com/tool-1.0.tar.gz\n"
    )
    assert "in hash mode pip needs every package of the install here" in captured.err
    # the pinned lines now pass the hook's checks; the lines aibom pin leaves alone do not
    # (hash mode is on now: the editable and the unhashed URL cannot be installed with it)
    findings, _ = check_files([req], config)
    assert [(f.rule_id, f.location.line) for f in findings] == [
        ("AIB116", 9),
        ("AIB133", 9),
        ("AIB111", 10),
        ("AIB131", 10),
    ]


def test_an_unpinned_requirement_is_refused_with_a_pointer_to_a_resolver(
    tmp_path: Path, config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: `requests>=2.31` became `requests==X` with hashes, and `pip install -r` then
    refused the file (in hash mode every dependency must be pinned and hashed too)."""
    text = "six==1.17.0\nidna>=3.7,<3.11 ; python_version >= '3.8'\n"
    req = tmp_path / "requirements.txt"
    req.write_text(text, "utf-8")
    assert run_pin((req,), None, False, transport=_handler([]), config=config) == 1
    assert req.read_text("utf-8") == text  # nothing half-hashed is written
    err = capsys.readouterr().err
    assert (
        "requirements.txt:2: idna <3.11,>=3.7 is not pinned (newest matching release: 3.10); "
        "aibom pin does not resolve dependencies"
    ) in err
    assert "pip-compile --generate-hashes" in err and "uv pip compile --generate-hashes" in err
    assert "requirements.txt: left as it is" in err


def test_the_unpinned_rule_no_longer_sends_users_to_aibom_pin() -> None:
    from aibom.rules import get_rule

    fix = get_rule("AIB101").remediation
    assert "aibom pin" not in fix
    assert "pip-compile --generate-hashes" in fix and "uv pip compile --generate-hashes" in fix


def test_dry_run_prints_a_diff_and_leaves_the_file(
    tmp_path: Path, config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("six==1.17.0\n", "utf-8")
    assert run_pin((req,), None, True, transport=_handler([]), config=config) == 0
    assert req.read_text("utf-8") == "six==1.17.0\n"
    out = capsys.readouterr().out
    shown = req.as_posix()
    assert out == (
        f"--- {shown}\n+++ {shown}\n@@ -1 +1,3 @@\n"
        "-six==1.17.0\n"
        "+six==1.17.0 \\\n"
        f"+    --hash=sha256:{SIX_WHEEL} \\\n"
        f"+    --hash=sha256:{SIX_SDIST}\n"
    )


def test_yanked_releases_are_skipped_when_choosing(
    tmp_path: Path, config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("requests>=2.32.0,<2.32.2\n", "utf-8")
    assert run_pin((req,), None, False, transport=_handler([]), config=config) == 1
    assert req.read_text("utf-8") == "requests>=2.32.0,<2.32.2\n"
    assert "no release on https://pypi.org/simple/ satisfies <2.32.2,>=2.32.0; not pinned" in (
        capsys.readouterr().err
    )


def test_unknown_hash_missing_package_and_version_are_reported_not_rewritten(
    tmp_path: Path, config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    text = f"six==1.17.0 --hash=sha256:{'00' * 32}\npython3-dateutil==2.8.2\nidna==9.9\n"
    req = tmp_path / "requirements.txt"
    req.write_text(text, "utf-8")
    assert run_pin((req,), None, False, transport=_handler([]), config=config) == 1
    assert req.read_text("utf-8") == text
    err = capsys.readouterr().err.splitlines()
    shown = req.as_posix()
    assert err == [
        f"{shown}:1: six==1.17.0: its hash sha256:{'00' * 32} is not published by "
        "https://pypi.org/simple/; line left as it is",
        f"{shown}:2: python3-dateutil does not exist on https://pypi.org/simple/; not pinned",
        f"{shown}:3: idna==9.9 is not published on https://pypi.org/simple/",
    ]


def test_network_failure_is_reported(
    tmp_path: Path, config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    req = tmp_path / "requirements.txt"
    req.write_text("six==1.17.0\n", "utf-8")
    assert run_pin((req,), None, False, transport=httpx.MockTransport(down), config=config) == 1
    assert req.read_text("utf-8") == "six==1.17.0\n"
    assert capsys.readouterr().err == (
        f"{req.as_posix()}:1: six: index look-up failed at https://pypi.org/simple/: "
        "ConnectError: connection refused\n"
    )


def test_the_files_own_index_is_used_and_credentials_are_refused(
    tmp_path: Path, config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text("--index-url https://mirror.example/simple\nsix==1.17.0\n", "utf-8")
    seen: list[str] = []
    run_pin((req,), None, True, transport=_handler(seen), config=config)
    assert seen == ["https://mirror.example/simple/six/"]
    seen.clear()
    run_pin((req,), PYPI, True, transport=_handler(seen), config=config)
    assert seen == [PYPI + "six/"]
    req.write_text("--index-url https://u:p@mirror.example/simple\nsix==1.17.0\n", "utf-8")
    assert run_pin((req,), None, True, transport=_handler([]), config=config) == 1
    assert "holds credentials that aibom does not read" in capsys.readouterr().err


def test_choice_respects_requires_python_of_the_running_interpreter(
    tmp_path: Path,
    config: Config,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import sys

    req = tmp_path / "requirements.txt"
    req.write_text("urllib3>=2\n", "utf-8")
    monkeypatch.setattr(sys, "version_info", (3, 8, 18, "final", 0))
    assert run_pin((req,), None, False, transport=_handler([]), config=config) == 1
    # urllib3 2.3.0 dropped Python 3.8 (requires-python >=3.9): 2.2.3 is the newest for 3.8
    assert "(newest matching release: 2.2.3)" in capsys.readouterr().err


def test_an_index_url_from_an_undefined_variable_is_named(
    tmp_path: Path,
    config: Config,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AIBOM_TEST_UNSET_INDEX", raising=False)
    req = tmp_path / "requirements.txt"
    req.write_text("--index-url ${AIBOM_TEST_UNSET_INDEX}\nsix==1.17.0\n", "utf-8")
    assert run_pin((req,), None, True, transport=_handler([]), config=config) == 1
    assert capsys.readouterr().err == (
        f"{req.as_posix()}: its --index-url (${{AIBOM_TEST_UNSET_INDEX}}) is not an http(s) URL "
        "aibom can query; give the index with --index-url\n"
    )
