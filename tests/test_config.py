from __future__ import annotations

from pathlib import Path

import pytest

from aibom.config import load_config
from aibom.errors import ConfigError
from aibom.model import Severity


def test_defaults_without_a_config_file(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.fail_on is Severity.HIGH
    assert config.online is False
    assert config.config_file is None


def test_tool_aibom_table_in_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        """
[project]
name = "demo"
[tool.aibom]
fail-on = "medium"
exclude = ["build/*"]
disable = ["AIB101"]
safe-globals = ["mylib.Head"]
allowed-packages = ["acme-internal"]
online = true
[tool.aibom.severity]
AIB902 = "critical"
"""
    )
    config = load_config(tmp_path)
    assert config.fail_on is Severity.MEDIUM
    assert config.exclude == ("build/*",)
    assert config.disabled_rules == frozenset({"AIB101"})
    assert config.safe_globals == frozenset({"mylib.Head"})
    assert config.allowed_packages == frozenset({"acme-internal"})
    # the scanned tree may not turn network access on (reported as AIB911)
    assert config.online is False
    assert config.severity_for("AIB902", Severity.HIGH) is Severity.CRITICAL
    assert config.severity_for("AIB901", Severity.HIGH) is Severity.HIGH
    assert config.config_file == tmp_path / "pyproject.toml"


def test_dedicated_file_wins_and_cli_overrides(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.aibom]\nfail-on = "low"\n')
    (tmp_path / ".aibom.toml").write_text('fail-on = "critical"\nstrict = true\n')
    config = load_config(tmp_path)
    assert config.fail_on is Severity.CRITICAL
    assert config.strict is True
    config = load_config(tmp_path, fail_on=Severity.INFO, strict=None)
    assert config.fail_on is Severity.INFO
    assert config.strict is True  # None means "not given on the command line"


def test_unknown_key_names_the_key_and_the_file(tmp_path: Path) -> None:
    (tmp_path / ".aibom.toml").write_text('fail_on = "high"\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert info.value.what == "unknown configuration key 'fail_on'"
    assert info.value.where == str(tmp_path / ".aibom.toml")
    assert "fail-on" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('fail-on = "severe"', "fail-on: unknown severity 'severe'"),
        ("exclude = 'build'", "exclude must be a list of strings"),
        ('online = "yes"', "online must be true or false"),
        ("new-package-days = -3", "new-package-days must be a non-negative whole number"),
        ('project-kind = "service"', "project-kind must be one of application, library, auto"),
        ('[severity]\nAIB101 = "loud"', "severity.AIB101: unknown severity 'loud'"),
    ],
)
def test_bad_values_are_errors(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / ".aibom.toml").write_text(text + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert info.value.what.startswith(message)


def test_broken_config_toml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".aibom.toml").write_text("fail-on = \n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert info.value.what.startswith("cannot read configuration")


def test_explicit_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "ci.toml"
    cfg.write_text('[tool.aibom]\nfail-on = "low"\n')
    assert load_config(tmp_path, cfg).fail_on is Severity.LOW
    with pytest.raises(ConfigError):
        load_config(tmp_path, tmp_path / "missing.toml")
