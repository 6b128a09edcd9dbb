"""Signatures through the whole scan: the AIBOM records what was verified, the rules fire on
their bad cases only, trust anchors from the scanned tree are not used, the hook never
imports the library."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from signature_fixtures import SIGS, TRUST, needs_library

from aibom.bom import render_bom
from aibom.config import ScanRequest, build_config
from aibom.scan import scan

RULES = SIGS.parent / "rules"
SIGNATURE_RULES = ("AIB701", "AIB702", "AIB703", "AIB704", "AIB705")


def _scan(path: Path, **request: object):  # type: ignore[no-untyped-def]
    return scan(build_config(ScanRequest(paths=(path,), reproducible=True, **request)))  # type: ignore[arg-type]


def _rule_args(rule: str) -> dict[str, object]:
    args_file = RULES / rule / "args"
    words = args_file.read_text().split() if args_file.exists() else []
    keys = tuple(RULES / rule / words[i + 1] for i, w in enumerate(words) if w == "--trust-key")
    return {"trust_keys": keys}


@needs_library
@pytest.mark.parametrize("rule", SIGNATURE_RULES)
def test_rule_fires_on_bad_and_not_on_good(rule: str) -> None:
    bad = {f.rule_id for f in _scan(RULES / rule / "bad", **_rule_args(rule)).findings}
    good = {f.rule_id for f in _scan(RULES / rule / "good", **_rule_args(rule)).findings}
    assert rule in bad
    assert rule not in good
    assert not (good & set(SIGNATURE_RULES)), good  # a good case is clean of every one


def _components(bom_text: str) -> dict[str, dict]:  # type: ignore[type-arg]
    out: dict[str, dict] = {}  # type: ignore[type-arg]

    def walk(components: list[dict]) -> None:  # type: ignore[type-arg]
        for comp in components:
            props: dict[str, list[str]] = {}
            for prop in comp.get("properties", []):
                props.setdefault(prop["name"], []).append(prop["value"])
            out[props["aibom:path"][0]] = {"comp": comp, "props": props}
            walk(comp.get("components", []))

    walk(json.loads(bom_text)["components"])
    return out


@needs_library
def test_aibom_records_exactly_what_was_verified(sigs: Path) -> None:
    result = _scan(sigs / "key-folder", trust_keys=(TRUST / "trusted-key.pub",))
    assert result.findings == []
    comps = _components(render_bom(result, "json", spec_version="1.6"))
    model = comps["."]["props"]
    assert model["aibom:signature:status"] == ["verified"]
    assert model["aibom:signature:method"] == ["key"]
    assert model["aibom:signature:bundle"] == ["model.sig"]
    assert len(model["aibom:signature:key-fingerprint"][0]) == 64
    signed = sorted(v.split(" ")[0] for v in model["aibom:signature:signed-file"])
    assert signed == ["config.json", "model.safetensors", "tokenizer/vocab.txt"]
    assert "aibom:signature:uncovered-file" not in model
    # the bundle is a component of its own, nested in the model it signs
    model_comp = comps["."]["comp"]
    nested = {c["name"] for c in model_comp.get("components", [])}
    assert "model.sig" in nested
    assert comps["model.sig"]["props"]["aibom:signature:signs"] == ["."]


@needs_library
def test_uncovered_and_changed_files_are_recorded(sigs: Path) -> None:
    result = _scan(sigs / "tampered-added")
    props = _components(render_bom(result, "json", spec_version="1.6"))["."]["props"]
    assert props["aibom:signature:uncovered-file"] == ["adapter_model.safetensors"]
    assert props["aibom:signature:status"] == ["unverifiable"]
    result = _scan(sigs / "tampered-edited")
    props = _components(render_bom(result, "json", spec_version="1.6"))["."]["props"]
    assert props["aibom:signature:changed-file"] == ["model.safetensors"]
    assert props["aibom:signature:status"] == ["invalid"]


@needs_library
def test_a_signed_folder_that_is_not_a_hugging_face_folder(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "plain"
    shutil.copytree(SIGS / "key-folder", folder)
    (folder / "config.json").unlink()  # no config.json: not recognised as a HF folder
    result = _scan(tmp_path, trust_keys=(TRUST / "trusted-key.pub",))
    models = {a.path: a for a in result.inventory.artifacts if a.signatures}
    assert models["plain"].format == "model-folder"
    assert models["plain"].signatures[0].missing == ("config.json",)
    assert {f.rule_id for f in result.findings} == {"AIB701"}


@needs_library
def test_trust_anchors_in_the_scanned_tree_are_not_used(sigs: Path) -> None:
    import shutil

    tree = sigs / "tree"
    shutil.copytree(sigs / "resigned-other-key", tree / "model")
    shutil.copy(TRUST / "other-key.pub", tree / "other-key.pub")
    (tree / ".aibom.toml").write_text('[signatures.trust]\n"**" = { keys = ["other-key.pub"] }\n')
    result = _scan(tree)
    (finding,) = [f for f in result.findings if f.rule_id.startswith("AIB70")]
    assert finding.rule_id == "AIB705"  # not "verified" with the attacker's own key
    assert "were not used" in finding.arg_dict["reason"]
    ignored = [f for f in result.findings if f.rule_id == "AIB911"]
    assert [f.arg_dict["setting"] for f in ignored] == ["signatures.trust"]
    # the same file named with --config is the user's choice: then it is used
    result = _scan(tree, config_file=tree / ".aibom.toml")
    assert [f.rule_id for f in result.findings if f.rule_id.startswith("AIB70")] == []


@needs_library
def test_cli_trust_options(sigs: Path) -> None:
    from click.testing import CliRunner

    from aibom.cli import main

    runner = CliRunner()
    done = runner.invoke(
        main,
        ["scan", str(sigs / "resigned-other-key"), "--trust-key", str(TRUST / "trusted-key.pub")],
    )
    assert done.exit_code == 1 and "AIB702" in done.output
    done = runner.invoke(
        main, ["scan", str(sigs / "keyless-folder"), "--trust-identity", "nobody@example.org"]
    )
    assert done.exit_code == 2 and "IDENTITY@ISSUER" in done.output


@needs_library
def test_verify_checks_signatures_and_the_bom_signature(sigs: Path) -> None:
    from click.testing import CliRunner

    from aibom.cli import main

    runner = CliRunner()
    key = str(TRUST / "trusted-key.pub")
    bom = sigs / "bom"
    ok = runner.invoke(
        main,
        ["verify", str(bom / "aibom.cdx.json"), "--root", str(bom), "--bom-signature",
         str(bom / "aibom.cdx.json.sig"), "--trust-key", key],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    tampered = sigs / "bom-tampered"
    bad = runner.invoke(
        main,
        ["verify", str(tampered / "aibom.cdx.json"), "--root", str(tampered), "--bom-signature",
         str(tampered / "aibom.cdx.json.sig"), "--trust-key", key],
    )  # fmt: skip
    assert (
        bad.exit_code == 1
        and "AIB701" in bad.output
        and "changed after it was signed" in bad.output
    )
    untrusted = runner.invoke(
        main,
        ["verify", str(bom / "aibom.cdx.json"), "--root", str(bom), "--bom-signature",
         str(bom / "aibom.cdx.json.sig"), "--trust-key", str(TRUST / "other-key.pub")],
    )  # fmt: skip
    assert untrusted.exit_code == 1 and "AIB702" in untrusted.output
    no_anchor = runner.invoke(
        main,
        ["verify", str(bom / "aibom.cdx.json"), "--root", str(bom), "--bom-signature",
         str(bom / "aibom.cdx.json.sig")],
    )  # fmt: skip
    assert no_anchor.exit_code == 2 and "--trust-key" in no_anchor.output


@needs_library
def test_verify_reports_a_model_edited_after_the_scan(sigs: Path) -> None:
    from click.testing import CliRunner

    from aibom.cli import main

    folder = sigs / "key-folder"
    result = _scan(folder, trust_keys=(TRUST / "trusted-key.pub",))
    bom_file = sigs / "key-folder.cdx.json"
    bom_file.write_text(render_bom(result, "json", spec_version="1.6"))
    runner = CliRunner()
    args = [
        "verify",
        str(bom_file),
        "--root",
        str(folder),
        "--trust-key",
        str(TRUST / "trusted-key.pub"),
    ]
    assert runner.invoke(main, args).exit_code == 0
    (folder / "model.safetensors").write_bytes(b"swapped")
    done = runner.invoke(main, args)
    assert done.exit_code == 1
    assert "AIB161" in done.output and "AIB701" in done.output


def _probe(argv: list[str], cwd: Path) -> str:
    probe = (
        "import sys\n"
        "from aibom.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'model_signing', 'sigstore', 'sigstore_models', 'OpenSSL', 'tuf'})\n"
        "print('HEAVY', heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, check=False
    )
    return done.stdout.splitlines()[-1]


def test_hook_on_signed_model_files_does_not_import_the_library(sigs: Path) -> None:
    argv = ["check", "--models", "key-folder/model.sig", "key-folder/model.safetensors"]
    assert _probe(argv, sigs) == "HEAVY []"


def test_scan_without_signatures_does_not_import_the_library(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.17.0\n")
    assert _probe(["scan", ".", "-q"], tmp_path) == "HEAVY []"


def test_without_the_library_anchored_signatures_make_the_scan_incomplete(
    sigs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aibom.signatures.verify as verify_module

    monkeypatch.setattr(verify_module, "library_available", lambda: "no model-signing here")
    result = _scan(sigs / "key-folder", trust_keys=(TRUST / "trusted-key.pub",))
    assert not result.complete
    assert any("no model-signing here" in e.reason for e in result.inventory.errors)
    result = _scan(sigs / "key-folder")  # no anchors: nothing was expected, an info finding
    assert result.complete
    assert [f.rule_id for f in result.findings] == ["AIB705"]


@needs_library
def test_diff_reports_signature_changes(sigs: Path, tmp_path: Path) -> None:
    """Releases of one model folder: signed, re-signed by another key, unsigned."""
    import shutil

    from aibom.bom import parse_bom
    from aibom.diff.compare import diff

    def release(name: str, source: str, signature: str | None) -> object:
        root = tmp_path / name
        shutil.copytree(sigs / source, root / "model")
        (root / "model" / "model.sig").unlink()
        if signature is not None:
            shutil.copy(sigs / signature / "model.sig", root / "model" / "model.sig")
        result = _scan(root, trust_keys=(TRUST / "trusted-key.pub",))
        return parse_bom(render_bom(result, "json", spec_version="1.6").encode(), name)

    signed = release("v1", "key-folder", "key-folder")
    other = release("v2", "key-folder", "resigned-other-key")
    unsigned = release("v3", "key-folder", None)

    def kinds(old: object, new: object) -> set[str]:
        return {c.kind for c in diff(old, new).changes if "sign" in c.kind}  # type: ignore[arg-type]

    assert kinds(signed, other) == {"signer-changed", "signature-broken"}
    assert kinds(signed, unsigned) == {"signature-removed"}
    assert kinds(unsigned, signed) == {"newly-signed"}
    assert kinds(signed, signed) == set()
    # a release that adds an unsigned model next to signed ones
    root = tmp_path / "v4"
    shutil.copytree(tmp_path / "v1", root)
    shutil.copytree(sigs / "key-folder", root / "extra")
    (root / "extra" / "model.sig").unlink()
    added = parse_bom(
        render_bom(
            _scan(root, trust_keys=(TRUST / "trusted-key.pub",)), "json", spec_version="1.6"
        ).encode(),
        "v4",
    )
    changes = [c for c in diff(signed, added).changes if c.kind == "newly-unsigned"]
    assert [c.subject for c in changes] == ["extra"]


@needs_library
def test_diff_checks_the_aibom_signatures_first(sigs: Path) -> None:
    from click.testing import CliRunner

    from aibom.cli import main

    runner = CliRunner()
    good, bad = sigs / "bom" / "aibom.cdx.json", sigs / "bom-tampered" / "aibom.cdx.json"
    key = str(TRUST / "trusted-key.pub")
    ok = runner.invoke(
        main,
        ["diff", str(good), str(bad), "--old-signature", f"{good}.sig", "--trust-key", key],
    )
    assert ok.exit_code == 0, ok.output
    assert "downgraded" in ok.output
    refused = runner.invoke(
        main,
        ["diff", str(good), str(bad), "--new-signature", f"{bad}.sig", "--trust-key", key],
    )
    assert refused.exit_code == 1
    assert "AIB701" in refused.output and "not diffing" in refused.output
    no_anchor = runner.invoke(main, ["diff", str(good), str(bad), "--old-signature", f"{good}.sig"])
    assert no_anchor.exit_code == 2
