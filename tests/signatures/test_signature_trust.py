from __future__ import annotations

from pathlib import Path

import pytest

from aibom.errors import ConfigError
from aibom.signatures.trust import (
    SignaturePolicy,
    SigstoreIdentity,
    TrustRule,
    cli_rules,
    matches,
    parse_identity,
    policy_from_table,
)


@pytest.mark.parametrize(
    "pattern, path, expected",
    [
        ("**", "a/b/c", True),
        ("models/**", "models/bert", True),
        ("models/**", "models", True),
        ("models/**", "other/models/bert", False),
        ("models/*", "models/bert", True),
        ("models/*", "models/bert/onnx", False),
        ("**/bert", "x/y/bert", True),
        ("**/bert", "bert", True),
        ("vendor/*.safetensors", "vendor/m.safetensors", True),
    ],
)
def test_matches(pattern: str, path: str, expected: bool) -> None:
    assert matches(pattern, path) is expected


def test_parse_identity_splits_at_the_issuer_url() -> None:
    ident = parse_identity("release@acme.org@https://accounts.google.com")
    assert ident == SigstoreIdentity("release@acme.org", "https://accounts.google.com")
    workflow = "https://github.com/a/b/.github/workflows/r.yml@refs/heads/main"
    ident = parse_identity(f"{workflow}@https://token.actions.githubusercontent.com")
    assert ident.identity == workflow
    with pytest.raises(ConfigError):
        parse_identity("release@acme.org")


def test_anchors_union_per_pattern(tmp_path: Path) -> None:
    policy = SignaturePolicy(
        rules=(
            TrustRule("models/**", keys=(Path("a.pub"),)),
            TrustRule("**", identities=(SigstoreIdentity("x", "https://i"),)),
        )
    )
    anchors = policy.anchors_for("models/bert")
    assert anchors.keys == (Path("a.pub"),) and len(anchors.identities) == 1
    assert policy.anchors_for("vendor/m").keys == ()


def test_table_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    table = {
        "require-signatures": ["models/**"],
        "trust": {
            "models/**": {"identity": "r@acme.org", "issuer": "https://accounts.google.com"},
            "vendor/**": {"keys": ["keys/v.pub"], "certificate-chains": ["ca.pem"]},
        },
    }
    require, rules, root, ignored = policy_from_table(
        table, tmp_path / "aibom.toml", trusted_source=True
    )
    assert require == ("models/**",)
    assert rules[1].keys == (tmp_path / "keys/v.pub",)
    assert rules[0].identities == (SigstoreIdentity("r@acme.org", "https://accounts.google.com"),)
    assert root is None and ignored == ()


def test_anchors_from_the_scanned_tree_are_not_used(tmp_path: Path) -> None:
    table = {
        "require-signatures": ["models/**"],
        "sigstore-trust-root": "root.json",
        "trust": {"**": {"keys": ["attacker.pub"]}},
    }
    require, rules, root, ignored = policy_from_table(
        table, tmp_path / "pyproject.toml", trusted_source=False
    )
    assert require == ("models/**",)  # tightening: honoured
    assert rules == () and root is None
    assert ignored == ("**: key attacker.pub", "sigstore-trust-root root.json")


@pytest.mark.parametrize(
    "table",
    [
        {"trusted": {}},
        {"trust": {"**": {"key": "a.pub"}}},
        {"trust": {"**": {"identity": "x"}}},
        {"trust": {"**": "a.pub"}},
        {"require-signatures": [1]},
    ],
)
def test_bad_tables_name_the_problem(table: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError):
        policy_from_table(table, tmp_path / "x.toml", trusted_source=True)


def test_cli_rules(tmp_path: Path) -> None:
    key = tmp_path / "k.pub"
    key.write_text("x")
    (rule,) = cli_rules((key,), ("a@b.c@https://issuer",))
    assert rule.pattern == "**" and rule.keys == (key,)
    with pytest.raises(ConfigError, match="not found"):
        cli_rules((tmp_path / "missing.pub",), ())
    assert cli_rules((), ()) == ()
