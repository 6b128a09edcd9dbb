"""Which model a signature covers, and what in it changed (hashing done by aibom)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from signature_fixtures import TRUST, needs_library

from aibom.signatures.folders import WalkedFile, is_bundle_name, judge, read_bundle
from aibom.signatures.trust import Anchors
from aibom.signatures.verify import CryptoOutcome, Verdict, verify_bundle

ANCHORS = Anchors(keys=(TRUST / "trusted-key.pub",), certificate_chains=(TRUST / "ca-root.pem",))


def _walk(root: Path) -> dict[str, WalkedFile]:
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            files[rel] = WalkedFile(rel, path, path.stat().st_size)
    return files


def _judge(root: Path, bundle_rel: str, verify=None):  # type: ignore[no-untyped-def]
    files = _walk(root)
    raw_bundle = read_bundle(files[bundle_rel])
    assert raw_bundle is not None and not isinstance(raw_bundle, str)
    raw, bundle = raw_bundle
    return judge(
        bundle_rel,
        raw,
        bundle,
        files,
        ANCHORS,
        verify or (lambda r, b, a: verify_bundle(r, b, a)),
        lambda rel: (root / rel).exists(),
    )


def _unverified(raw, bundle, anchors) -> CryptoOutcome:  # type: ignore[no-untyped-def]
    return CryptoOutcome(Verdict.UNVERIFIABLE, "no trust material")


def test_folder_signature_inside_the_folder(sigs: Path) -> None:
    check = _judge(sigs, "key-folder/model.sig", _unverified)
    assert check.subject == "key-folder"
    assert not check.mismatched and not check.missing and not check.uncovered
    assert check.status is Verdict.UNVERIFIABLE


def test_bundle_beside_the_folder(sigs: Path) -> None:
    """`model_signing sign key-folder --signature key-folder.sig` puts it beside the folder."""
    (sigs / "key-folder" / "model.sig").rename(sigs / "key-folder.sig")
    check = _judge(sigs, "key-folder.sig", _unverified)
    assert check.subject == "key-folder"
    assert not check.mismatched and not check.missing
    # the sibling folders are not part of this model
    assert check.uncovered == ()


def test_edited_file_is_invalid_even_without_trust_material(sigs: Path) -> None:
    check = _judge(sigs, "tampered-edited/model.sig", _unverified)
    assert check.status is Verdict.INVALID
    assert check.mismatched == ("model.safetensors",)


def test_added_file_is_uncovered(sigs: Path) -> None:
    check = _judge(sigs, "tampered-added/model.sig", _unverified)
    assert check.uncovered == ("adapter_model.safetensors",)
    assert check.status is Verdict.UNVERIFIABLE


def test_git_files_and_the_bundle_are_not_uncovered(sigs: Path) -> None:
    (sigs / "key-folder" / ".git").mkdir()
    (sigs / "key-folder" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    check = _judge(sigs, "key-folder/model.sig", _unverified)
    assert check.uncovered == ()


def test_deleted_file_is_missing(sigs: Path) -> None:
    (sigs / "key-folder" / "tokenizer" / "vocab.txt").unlink()
    check = _judge(sigs, "key-folder/model.sig", _unverified)
    assert check.status is Verdict.INVALID
    assert check.missing == ("tokenizer/vocab.txt",)


def test_covered_file_outside_the_walk_is_unchecked(sigs: Path) -> None:
    files = _walk(sigs)
    del files["key-folder/model.safetensors"]  # e.g. excluded from the scan
    raw, bundle = read_bundle(files["key-folder/model.sig"])  # type: ignore[misc]
    check = judge(
        "key-folder/model.sig",
        raw,
        bundle,
        files,
        ANCHORS,
        _unverified,
        lambda rel: (sigs / rel).exists(),
    )
    assert check.unchecked == ("model.safetensors",) and check.missing == ()


def test_single_file_signature(sigs: Path) -> None:
    check = _judge(sigs, "key-file/classifier.safetensors.sig", _unverified)
    assert check.single_file and check.subject == "key-file/classifier.safetensors"
    assert not check.mismatched
    (sigs / "key-file" / "classifier.safetensors").write_bytes(b"changed")
    assert _judge(sigs, "key-file/classifier.safetensors.sig", _unverified).mismatched == (".",)


def test_single_file_signature_without_its_file(sigs: Path) -> None:
    (sigs / "key-file" / "classifier.safetensors").unlink()
    check = _judge(sigs, "key-file/classifier.safetensors.sig", _unverified)
    assert check.status is Verdict.INVALID and check.missing


def test_not_a_model_signature_and_malformed(sigs: Path) -> None:
    files = _walk(sigs)
    assert read_bundle(files["not-model-signing.sigstore.json"]) is None
    (sigs / "model.sig").write_text(
        '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}'
    )
    assert "malformed" in str(read_bundle(_walk(sigs)["model.sig"]))


def test_bundle_names() -> None:
    assert is_bundle_name("model.sig") and is_bundle_name("bert.sig")
    assert is_bundle_name("x.sigstore.json") and not is_bundle_name("model.safetensors")


@needs_library
@pytest.mark.parametrize(
    "bundle, status",
    [
        ("key-folder/model.sig", Verdict.VERIFIED),
        ("cert-folder/model.sig", Verdict.VERIFIED),
        ("key-file/classifier.safetensors.sig", Verdict.VERIFIED),
        ("tampered-edited/model.sig", Verdict.INVALID),
        ("tampered-payload/model.sig", Verdict.INVALID),
        ("tampered-added/model.sig", Verdict.VERIFIED),
        ("resigned-other-key/model.sig", Verdict.UNTRUSTED),
        ("cert-other-ca/model.sig", Verdict.UNTRUSTED),
        ("bom/aibom.cdx.json.sig", Verdict.VERIFIED),
        ("bom-tampered/aibom.cdx.json.sig", Verdict.INVALID),
    ],
)
def test_verdicts_with_the_library(sigs: Path, bundle: str, status: Verdict) -> None:
    assert _judge(sigs, bundle).status is status


@needs_library
def test_model_signing_0_2_format(sigs: Path) -> None:
    """The Digests/v0.1 predicate (model-signing 0.2): no model name, no serialization."""
    check = _judge(sigs, "compat-v0.2-folder/model.sig")
    assert check.subject == "compat-v0.2-folder"
    assert check.status is Verdict.VERIFIED
    assert {r.name for r in check.signed} == {
        "config.json",
        "model.safetensors",
        "tokenizer/vocab.txt",
    }
    assert check.uncovered == ()
