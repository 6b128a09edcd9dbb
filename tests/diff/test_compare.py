"""`aibom diff`: identity matching, every change kind, renderers (golden files), gate."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aibom.bom.read import parse_bom
from aibom.cli import main
from aibom.diff.compare import CHANGE_KINDS, diff, purl_identity
from aibom.diff.render import render
from aibom.errors import InputError

HERE = Path(__file__).resolve().parents[2] / "fixtures" / "diff"
HAND = HERE / "handwritten"
GOLDEN = HERE / "golden"
UPDATE = os.environ.get("AIBOM_UPDATE_GOLDEN") == "1"


def _bom(
    components: list[dict[str, Any]],
    deps: list[dict[str, Any]] | None = None,
    vulns: list[dict[str, Any]] | None = None,
) -> bytes:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {"component": {"type": "application", "bom-ref": "root", "name": "p"}},
        "components": components,
        "dependencies": deps or [],
        "vulnerabilities": vulns or [],
    }
    return json.dumps(doc).encode()


def _kinds(old: bytes, new: bytes) -> list[tuple[str, str, str]]:
    changes = diff(parse_bom(old, "old"), parse_bom(new, "new"), judge=_judge)
    return [(c.kind, c.subject, c.detail) for c in changes.changes]


def _judge(name: str) -> str:
    return {"posix.system": "dangerous", "collections.OrderedDict": "safe"}.get(name, "unknown")


def _lib(name: str, version: str | None, **extra: Any) -> dict[str, Any]:
    purl = f"pkg:pypi/{name}" + (f"@{version}" if version else "")
    comp = {"type": "library", "bom-ref": f"{name}@{version}", "name": name, "purl": purl}
    if version:
        comp["version"] = version
    comp.update(extra)
    return comp


def _model(
    path: str, sha: str, fmt: str, globals_: tuple[str, ...] = (), **props: str
) -> dict[str, Any]:
    properties = [{"name": "aibom:path", "value": path}, {"name": "aibom:format", "value": fmt}]
    properties += [{"name": "aibom:pickle:global", "value": g} for g in globals_]
    properties += [{"name": k, "value": v} for k, v in props.items()]
    return {
        "type": "machine-learning-model",
        "bom-ref": f"file:{path}",
        "name": path,
        "hashes": [{"alg": "SHA-256", "content": sha}],
        "properties": properties,
    }


def test_purl_identity_drops_version_qualifiers_and_subpath() -> None:
    assert purl_identity("pkg:pypi/requests@2.31.0") == "pkg:pypi/requests"
    assert purl_identity("pkg:pypi/x@1?vcs_url=git%2Bhttps://h/r.git#sub") == "pkg:pypi/x"
    assert purl_identity("pkg:huggingface/acme/tiny@0123") == "pkg:huggingface/acme/tiny"


def test_versions_pins_and_sources() -> None:
    old = _bom(
        [
            _lib("a", "1.0"),
            _lib("b", "2.0"),
            _lib("c", "1.0+local"),
            _lib("d", "1.0"),
            _lib("e", "1.0"),
        ]
    )
    new = _bom(
        [
            _lib("a", "1.1"),
            _lib("b", "1.9"),
            _lib("c", "1.0+other"),
            _lib("d", None, properties=[{"name": "aibom:specifier", "value": ">=1.0"}]),
            _lib("e", "1.0", purl="pkg:pypi/e@1.0?vcs_url=git%2Bhttps://github.com/x/e.git"),
        ]
    )
    assert _kinds(old, new) == [
        ("now-from-url", "e", "now installed from git%2Bhttps://github.com/x/e.git"),
        ("pin-lost", "d", "1.0 -> >=1.0"),
        ("downgraded", "b", "2.0 -> 1.9"),
        ("upgraded", "a", "1.0 -> 1.1"),
        ("version-changed", "c", "1.0+local -> 1.0+other"),
    ]


def test_same_version_new_hash_is_tampering_and_dropped_hashes() -> None:
    h1 = {"alg": "SHA-256", "content": "11" * 32}
    h2 = {"alg": "SHA-256", "content": "22" * 32}
    dist = lambda *hs: [{"type": "distribution", "url": "https://x", "hashes": list(hs)}]  # noqa: E731
    old = _bom(
        [
            _lib("a", "1.0", externalReferences=dist(h1)),
            _lib("b", "1.0", externalReferences=dist(h1, h2)),
        ]
    )
    new = _bom([_lib("a", "1.0", externalReferences=dist(h2)), _lib("b", "1.0")])
    assert _kinds(old, new) == [
        (
            "hash-changed",
            "a",
            "hash changed at the same version: distribution sha-256 111111111111… -> 222222222222…",
        ),
        ("hashes-dropped", "b", "2 distribution hash(es) removed, 0 left"),
    ]


def test_licence_and_supplier_changes() -> None:
    old = _bom([_lib("a", "1.0", licenses=[{"license": {"id": "MIT"}}], supplier={"name": "Acme"})])
    new = _bom(
        [_lib("a", "1.0", licenses=[{"expression": "GPL-3.0-only"}], supplier={"name": "Evil"})]
    )
    assert _kinds(old, new) == [
        ("license-changed", "a", "licence MIT -> GPL-3.0-only"),
        ("supplier-changed", "a", "supplier Acme -> Evil"),
    ]


def test_model_changes() -> None:
    old = _bom(
        [
            _model(
                "models/a.safetensors",
                "aa" * 32,
                "safetensors",
                **{"aibom:dtypes": "F32", "cdx:ai-ml:model:parameter:count": "10"},
            ),
            _model("models/b.pt", "bb" * 32, "pytorch-zip", ("collections.OrderedDict",)),
        ]
    )
    new = _bom(
        [
            _model(
                "models/a.safetensors",
                "cc" * 32,
                "pickle",
                ("posix.system",),
                **{"aibom:dtypes": "BF16", "cdx:ai-ml:model:parameter:count": "12"},
            ),
            _model(
                "models/b.pt", "bb" * 32, "pytorch-zip", ("collections.OrderedDict", "mylib.Head")
            ),
            _model("models/c.pkl", "dd" * 32, "pickle", ("posix.system",)),
        ]
    )
    assert _kinds(old, new) == [
        ("unsafe-format", "models/a.safetensors", "safetensors -> pickle (pickle-based)"),
        ("new-dangerous-import", "models/a.safetensors", "imports posix.system"),
        ("new-dangerous-import", "models/c.pkl", "imports posix.system"),
        ("new-unknown-import", "models/b.pt", "imports mylib.Head"),
        ("new-pickle-file", "models/c.pkl", "new pickle file"),
        ("added", "models/c.pkl", "added"),
        (
            "content-changed",
            "models/a.safetensors",
            "unversioned file: sha-256 aaaaaaaaaaaa… -> cccccccccccc…",
        ),
        ("format-changed", "models/a.safetensors", "format safetensors -> pickle"),
        ("parameters-changed", "models/a.safetensors", "parameters 10 -> 12"),
        ("dtype-changed", "models/a.safetensors", "dtypes F32 -> BF16"),
    ]


def test_findings_and_vulnerabilities() -> None:
    def finding(fp: str, rule: str, sev: str) -> dict[str, Any]:
        return {
            "bom-ref": f"finding:{fp}",
            "id": rule,
            "source": {"name": "aibom"},
            "ratings": [{"severity": sev}],
            "description": f"{rule} message",
            "affects": [{"ref": "a@1.0"}],
            "properties": [
                {"name": "aibom:fingerprint", "value": fp},
                {"name": "aibom:location", "value": "requirements.txt:3"},
            ],
        }

    vuln = {
        "id": "PYSEC-1",
        "source": {"name": "OSV"},
        "ratings": [{"severity": "high"}],
        "description": "bad",
        "affects": [{"ref": "a@1.0"}],
    }
    old = _bom([_lib("a", "1.0")], vulns=[finding("f1", "AIB101", "high")])
    new = _bom([_lib("a", "1.0")], vulns=[finding("f2", "AIB201", "critical"), vuln])
    changes = diff(parse_bom(old, "o"), parse_bom(new, "n"), judge=_judge)
    assert [(c.kind, c.subject, c.detail, c.severity) for c in changes.changes] == [
        ("new-finding", "requirements.txt:3", "AIB201: AIB201 message", "critical"),
        ("new-vulnerability", "a", "PYSEC-1: bad", "high"),
        ("resolved-finding", "requirements.txt:3", "AIB101: AIB101 message", "high"),
    ]
    assert [c.kind for c in changes.matching(["new-critical"])] == ["new-finding"]
    assert [c.kind for c in changes.matching(["new-high"])] == ["new-finding", "new-vulnerability"]
    assert changes.matching(["downgraded"]) == []


def test_graph_changes_with_the_path_of_a_new_transitive_dependency() -> None:
    comps = [_lib("a", "1"), _lib("b", "1"), _lib("c", "1")]
    old = _bom(
        comps[:2], [{"ref": "root", "dependsOn": ["a@1"]}, {"ref": "a@1", "dependsOn": ["b@1"]}]
    )
    new = _bom(
        comps,
        [
            {"ref": "root", "dependsOn": ["a@1"]},
            {"ref": "a@1", "dependsOn": ["b@1"]},
            {"ref": "b@1", "dependsOn": ["c@1"]},
        ],
    )
    assert _kinds(old, new) == [
        ("added", "c", "added"),
        ("new-transitive", "c", "pulled in by (project) -> a -> b -> c"),
        ("edge-added", "b", "now depends on c"),
    ]


def test_every_kind_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "diff.md").read_text()
    assert [k for k in CHANGE_KINDS if f"`{k}`" not in docs] == []


def test_json_and_xml_inputs_give_the_same_changes() -> None:
    old = parse_bom((HAND / "old.cdx.json").read_bytes(), "old")
    from_json = diff(old, parse_bom((HAND / "new.cdx.json").read_bytes(), "new"))
    from_xml = diff(old, parse_bom((HAND / "new.cdx.xml").read_bytes(), "new"))
    assert from_json.changes == from_xml.changes
    assert [c.kind for c in from_json.changes] == [
        "hash-changed",
        "downgraded",
        "added",
        "upgraded",
        "new-transitive",
        "edge-added",
    ]


@pytest.mark.parametrize("fmt,suffix", [("text", "txt"), ("markdown", "md"), ("json", "json")])
def test_golden_outputs(fmt: str, suffix: str) -> None:
    old = parse_bom((HAND / "old.cdx.json").read_bytes(), "old.cdx.json")
    new = parse_bom((HAND / "new.cdx.json").read_bytes(), "new.cdx.json")
    changes = diff(old, new)
    text = render(changes, fmt, changes.matching(["hash-changed"]))
    golden = GOLDEN / f"handwritten.{suffix}"
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"spdxVersion": "SPDX-2.3"}', 'not a CycloneDX document: no "bomFormat": "CycloneDX"'),
        (b"{not json", "invalid JSON at line 1"),
        (b"<html></html>", "not a CycloneDX document: the root element is not a CycloneDX <bom>"),
        (b"hello", "not a CycloneDX document (neither JSON nor XML)"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><bom/>', "XML with a DOCTYPE or entities is refused"),
        (b"\xff\xfe\x00", "not UTF-8 text"),
    ],
)
def test_bad_inputs_are_clear_errors(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_bom(data, "x")
    assert info.value.what.startswith(message)


def test_cli_exit_codes() -> None:
    runner = CliRunner()
    old, new = str(HAND / "old.cdx.json"), str(HAND / "new.cdx.json")
    # without --fail-on the default gate applies (this pair has a hash change)
    default = runner.invoke(main, ["diff", old, new])
    assert default.exit_code == 1
    assert "matched the default gate (hash-changed):" in default.stdout
    assert runner.invoke(main, ["diff", old, new, "--fail-on", "none"]).exit_code == 0
    assert runner.invoke(main, ["diff", old, new, "--fail-on", "upgraded"]).exit_code == 1
    failed = runner.invoke(main, ["diff", old, new, "--fail-on", "hash-changed,downgraded"])
    assert failed.exit_code == 1
    assert "FAILED: 2 change(s) matched --fail-on (downgraded, hash-changed):" in failed.stdout
    assert runner.invoke(main, ["diff", old, new, "--fail-on", "upgraded-ish"]).exit_code == 2
    missing = runner.invoke(main, ["diff", old, str(HAND / "nope.json")])
    assert missing.exit_code == 2
    assert "error: file not found" in missing.stderr


PAIR_EXPECTATIONS = {
    "bump": [("upgraded", "requests")],
    "downgrade": [("downgraded", "numpy")],
    "tampered-hash": [("hash-changed", "urllib3")],
    # in-repo files carry no version: a new digest is an edit to review, not tampering
    "swapped-model": [("content-changed", "models/head.safetensors")],
    "safetensors-to-pickle": [
        ("unsafe-format", "models/encoder.safetensors"),
        ("content-changed", "models/encoder.safetensors"),
        ("format-changed", "models/encoder.safetensors"),
        ("parameters-changed", "models/encoder.safetensors"),
        ("dtype-changed", "models/encoder.safetensors"),
    ],
    "licence-change": [("license-changed", "urllib3")],
    "new-transitive": [
        ("added", "brotli"),
        ("new-transitive", "brotli"),
        ("edge-added", "urllib3"),
    ],
}


@pytest.mark.parametrize("pair", sorted(PAIR_EXPECTATIONS))
def test_pairs_of_real_aiboms(pair: str) -> None:
    """AIBOMs written by `aibom scan` (fixtures/diff/make_pairs.py) before/after one change."""
    folder = HERE / "pairs" / pair
    old = parse_bom((folder / "before.cdx.json").read_bytes(), "before")
    new = parse_bom((folder / "after.cdx.json").read_bytes(), "after")
    changes = diff(old, new)
    assert [(c.kind, c.subject) for c in changes.changes] == PAIR_EXPECTATIONS[pair]


def test_another_producers_aiboms_and_mixed_producers() -> None:
    """cyclonedx-py 7.5 output (requirements mode, bom-refs by line) diffs by identity."""
    cdx = HERE / "cyclonedx-py"
    old = parse_bom((cdx / "before.cdx.json").read_bytes(), "before")
    new = parse_bom((cdx / "after.cdx.json").read_bytes(), "after")
    assert old.producer is not None and old.producer.startswith("cyclonedx-py")
    assert [(c.kind, c.subject, c.detail) for c in diff(old, new).changes] == [
        ("upgraded", "requests", "2.31.0 -> 2.32.3")
    ]
    ours = parse_bom((HERE / "pairs" / "bump" / "after.cdx.json").read_bytes(), "aibom")
    mixed = [(c.kind, c.subject) for c in diff(old, ours).changes]
    assert ("upgraded", "requests") in mixed
    assert not any(
        kind in {"removed", "hash-changed"} and subject in {"numpy", "requests"}
        for kind, subject in mixed
    )


def test_diff_judges_pickle_globals_with_the_users_safe_globals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a global the user allowed in [tool.aibom] safe-globals: the scan accepts it, so diff
    # must not call it a new unknown import (it used to judge with a default Config())
    from click.testing import CliRunner

    from aibom.cli import main

    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    shutil.copy(HERE.parent / "models" / "malicious" / "third_party.pkl", new / "head.pkl")
    runner = CliRunner()
    for folder in (old, new):
        out = runner.invoke(main, ["scan", str(folder), "-q", "-o", f"{folder}.cdx.json"])
        assert out.exit_code in (0, 1), out.output
    monkeypatch.chdir(tmp_path)
    plain = runner.invoke(main, ["diff", "old.cdx.json", "new.cdx.json", "--format", "json"])
    assert "new-unknown-import" in plain.output
    (tmp_path / ".aibom.toml").write_text('safe-globals = ["mylib.models.Head"]\n', "utf-8")
    allowed = runner.invoke(
        main,
        [
            "diff",
            "old.cdx.json",
            "new.cdx.json",
            "--format",
            "json",
            "--fail-on",
            "new-unknown-import",
        ],
    )
    assert allowed.exit_code == 0, allowed.output
    assert "new-unknown-import" not in allowed.output
    assert "new-pickle-file" in allowed.output


# ---------------------------------------------------------------- the release manager's cases


def test_a_rename_from_safetensors_to_pickle_is_unsafe_format() -> None:
    """Before: `models/head.safetensors -> models/head.pkl` was only removed + added."""
    old = _bom([_model("models/head.safetensors", "aa" * 32, "safetensors")])
    new = _bom([_model("models/head.pkl", "bb" * 32, "pickle", ("posix.system",))])
    kinds = _kinds(old, new)
    assert kinds[0] == (
        "unsafe-format",
        "models/head.pkl",
        "models/head.safetensors (safetensors) -> models/head.pkl (pickle): the model lost "
        "its last non-pickle weights",
    )
    assert ("removed", "models/head.safetensors", "removed") in kinds


def test_a_model_folder_that_swaps_safetensors_for_a_pickle_is_unsafe_format() -> None:
    """Before: inside a Hugging Face folder, model.safetensors -> pytorch_model.bin gave no
    unsafe-format (the folder keeps format huggingface)."""

    def folder(*files: dict[str, Any]) -> bytes:
        top = {
            "type": "machine-learning-model",
            "bom-ref": "folder",
            "name": "models/encoder",
            "properties": [
                {"name": "aibom:path", "value": "models/encoder"},
                {"name": "aibom:format", "value": "huggingface"},
            ],
        }
        return _bom([top, *files])

    old = folder(_model("models/encoder/model.safetensors", "aa" * 32, "safetensors"))
    new = folder(
        _model("models/encoder/pytorch_model.bin", "bb" * 32, "pytorch-zip", ("torch._utils.x",))
    )
    unsafe = [k for k in _kinds(old, new) if k[0] == "unsafe-format"]
    assert unsafe == [
        (
            "unsafe-format",
            "models/encoder/pytorch_model.bin",
            "models/encoder/model.safetensors (safetensors) -> models/encoder/pytorch_model.bin "
            "(pytorch-zip): folder models/encoder lost its last non-pickle weights",
        )
    ]
    # a folder that keeps safe weights next to a new pickle is no such loss
    kept = folder(
        _model("models/encoder/model.safetensors", "aa" * 32, "safetensors"),
        _model("models/encoder/extra.bin", "cc" * 32, "pickle"),
    )
    assert not [k for k in _kinds(old, kept) if k[0] == "unsafe-format"]


def test_side_file_and_unversioned_edits_are_content_changes_not_tampering() -> None:
    """Before: a model-card README edit was `hash-changed ... the signature of tampering`."""
    card = lambda sha: {  # noqa: E731
        "type": "file",
        "bom-ref": "file:models/m/README.md",
        "name": "README.md",
        "hashes": [{"alg": "SHA-256", "content": sha}],
        "properties": [{"name": "aibom:path", "value": "models/m/README.md"}],
    }
    kinds = _kinds(_bom([card("aa" * 32)]), _bom([card("bb" * 32)]))
    assert [k[0] for k in kinds] == ["content-changed"]
    assert kinds[0][2].startswith("side file: sha-256 aaaaaaaaaaaa")

    # a versioned package keeps the tampering wording
    def h(x: str) -> list[dict[str, Any]]:
        return [
            {"type": "distribution", "url": "u", "hashes": [{"alg": "SHA-256", "content": x * 32}]}
        ]

    tampered = _kinds(
        _bom([_lib("a", "1.0", externalReferences=h("11"))]),
        _bom([_lib("a", "1.0", externalReferences=h("22"))]),
    )
    assert [k[0] for k in tampered] == ["hash-changed"]


def test_json_carries_full_digests() -> None:
    """Before: `old`/`new` were null for hash-changed and the digests only truncated text."""
    old = parse_bom(_bom([_model("m.safetensors", "aa" * 32, "safetensors")]), "old")
    new = parse_bom(_bom([_model("m.safetensors", "bb" * 32, "safetensors")]), "new")
    data = json.loads(render(diff(old, new), "json"))
    change = data["changes"][0]
    assert change["old_digest"] == "sha-256:" + "aa" * 32
    assert change["new_digest"] == "sha-256:" + "bb" * 32


def test_markdown_is_escaped_with_attention_first() -> None:
    """Before: `==<version>` reached GitHub as an HTML tag (dropped), severity was empty for
    the most serious kinds, and a licence change came ninth of eleven sections."""
    lic = lambda name: [{"license": {"id": name}}]  # noqa: E731
    finding = {
        "id": "AIB101",
        "source": {"name": "aibom"},
        "ratings": [{"severity": "high"}],
        "description": "b is not pinned to one exact version (>=1); pin it with ==<version>",
        "affects": [{"ref": "b@None"}],
        "properties": [{"name": "aibom:fingerprint", "value": "f1"}],
    }
    old = _bom([_lib("a", "1.0", licenses=lic("Apache-2.0")), _lib("c", "1.0")])
    new = _bom(
        [
            _lib("a", "1.0", licenses=lic("CC-BY-NC-4.0")),
            _lib("b", None),
            _lib("c", "1.1"),
            _model("x.pkl", "dd" * 32, "pickle", ("posix.system",)),
        ],
        vulns=[finding],
    )
    text = render(diff(parse_bom(old, "old"), parse_bom(new, "new"), judge=_judge), "markdown")
    assert "==&lt;version&gt;" in text and "==<version>" not in text
    sections = [line for line in text.splitlines() if line.startswith("### ")]
    assert sections[0] == "### Needs attention"
    attention = text.split("### Needs attention", 1)[1].split("\n### ", 1)[0]
    assert "| `license-changed` | a | licence Apache-2.0 -&gt; CC-BY-NC-4.0 | medium |" in attention
    assert "| `new-dangerous-import` | x.pkl | imports posix.system | critical |" in attention
    assert "AIB101" in attention  # a new high finding
    deps = text.split("### Dependencies", 1)[1].split("\n### ", 1)[0]
    assert "| c | `upgraded` | 1.0 | 1.1 |" in deps


def test_default_gate_fails_a_release_with_a_dangerous_pickle(tmp_path: Path) -> None:
    """Before: without --fail-on, a release adding an os.system pickle exited 0."""
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_bytes(_bom([]))
    new.write_bytes(_bom([_model("x.pkl", "dd" * 32, "pickle", ("posix.system",))]))
    runner = CliRunner()
    done = runner.invoke(main, ["diff", str(old), str(new)])
    assert done.exit_code == 1
    assert (
        "FAILED: 2 change(s) matched the default gate (new-dangerous-import, new-pickle-file):"
        in done.stdout
    )
    assert "  x new-pickle-file x.pkl: new pickle file" in done.stdout
    assert runner.invoke(main, ["diff", str(old), str(new), "--fail-on", "none"]).exit_code == 0


def test_an_unsupported_spec_version_is_refused_like_validate(tmp_path: Path) -> None:
    """Before: `specVersion: 2.0` was diffed silently while `validate` rejected it."""
    good = tmp_path / "good.json"
    good.write_bytes(_bom([]))
    bad = tmp_path / "bad.json"
    bad.write_text(_bom([]).decode().replace('"1.6"', '"2.0"'), "utf-8")
    runner = CliRunner()
    diffed = runner.invoke(main, ["diff", str(good), str(bad)])
    validated = runner.invoke(main, ["validate", str(bad)])
    assert diffed.exit_code == validated.exit_code == 2
    assert diffed.stderr.splitlines()[0] == validated.stderr.splitlines()[0]
    assert diffed.stderr.startswith("error: unsupported or missing specVersion '2.0'")
