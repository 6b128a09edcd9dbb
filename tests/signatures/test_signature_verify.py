"""The cryptographic verdicts, from real model-signing signatures (fixtures/signatures/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from signature_fixtures import KEYLESS_IDENTITY, KEYLESS_ISSUER, SIGS, TRUST, needs_library

from aibom.signatures.bundle import parse_bundle
from aibom.signatures.trust import Anchors, SigstoreIdentity
from aibom.signatures.verify import Verdict, key_fingerprint, verify_bundle

pytestmark = needs_library

KEY = Anchors(keys=(TRUST / "trusted-key.pub",))
CHAIN = Anchors(certificate_chains=(TRUST / "ca-root.pem",))
KEYLESS = Anchors(identities=(SigstoreIdentity(KEYLESS_IDENTITY, KEYLESS_ISSUER),))


def _verify(rel: str, anchors: Anchors):  # type: ignore[no-untyped-def]
    raw = (SIGS / rel).read_bytes()
    return verify_bundle(raw, parse_bundle(raw), anchors)


def test_key_signature_verifies_and_returns_the_signed_manifest() -> None:
    outcome = _verify("key-folder/model.sig", KEY)
    assert outcome.verdict is Verdict.VERIFIED
    assert outcome.key_fingerprint == key_fingerprint((TRUST / "trusted-key.pub").read_bytes())
    assert [r.name for r in outcome.resources] == [
        "config.json",
        "model.safetensors",
        "tokenizer/vocab.txt",
    ]


def test_key_hint_is_the_library_fingerprint() -> None:
    bundle = parse_bundle((SIGS / "key-folder/model.sig").read_bytes())
    assert bundle.key_hint == key_fingerprint((TRUST / "trusted-key.pub").read_bytes())


def test_swapped_payload_is_invalid() -> None:
    outcome = _verify("tampered-payload/model.sig", KEY)
    assert outcome.verdict is Verdict.INVALID
    assert "InvalidSignature" in outcome.reason


def test_forged_key_hint_is_invalid_not_untrusted(tmp_path: Path) -> None:
    """Someone re-signs with their key but writes the trusted key's hint into the bundle."""
    doc = json.loads((SIGS / "resigned-other-key/model.sig").read_text())
    doc["verificationMaterial"]["publicKey"]["hint"] = key_fingerprint(
        (TRUST / "trusted-key.pub").read_bytes()
    )
    raw = json.dumps(doc).encode()
    assert verify_bundle(raw, parse_bundle(raw), KEY).verdict is Verdict.INVALID


def test_other_key_is_an_untrusted_signer() -> None:
    outcome = _verify("resigned-other-key/model.sig", KEY)
    assert outcome.verdict is Verdict.UNTRUSTED
    assert outcome.key_fingerprint == key_fingerprint((TRUST / "other-key.pub").read_bytes())


def test_no_trust_material_is_unverifiable() -> None:
    assert _verify("key-folder/model.sig", Anchors()).verdict is Verdict.UNVERIFIABLE
    assert _verify("cert-folder/model.sig", KEY).verdict is Verdict.UNVERIFIABLE
    assert _verify("keyless-folder/model.sig", CHAIN).verdict is Verdict.UNVERIFIABLE


def test_certificate_chain() -> None:
    outcome = _verify("cert-folder/model.sig", CHAIN)
    assert outcome.verdict is Verdict.VERIFIED
    assert outcome.signer is not None and "CN=release@acme.example" in outcome.signer
    assert outcome.signer_issuer is not None and "intermediate CA" in outcome.signer_issuer


def test_certificate_from_another_ca_is_untrusted() -> None:
    outcome = _verify("cert-other-ca/model.sig", CHAIN)
    assert outcome.verdict is Verdict.UNTRUSTED
    assert "does not chain" in outcome.reason


def test_certificate_does_not_fall_back_to_system_roots() -> None:
    """The library uses the system's web CAs when given no chain; aibom never does."""
    outcome = _verify("cert-folder/model.sig", Anchors())
    assert outcome.verdict is Verdict.UNVERIFIABLE


def test_keyless_wrong_identity_is_untrusted() -> None:
    anchors = Anchors(identities=(SigstoreIdentity("someone@else.org", KEYLESS_ISSUER),))
    outcome = _verify("keyless-folder/model.sig", anchors)
    assert outcome.verdict is Verdict.UNTRUSTED
    assert outcome.signer == KEYLESS_IDENTITY


def test_keyless_with_a_certificate_not_from_sigstore_is_invalid_offline() -> None:
    """The fixture's Fulcio-like certificate does not chain to the shipped Sigstore root."""
    outcome = _verify("keyless-folder/model.sig", KEYLESS)
    assert outcome.verdict is Verdict.INVALID
    assert outcome.signer == KEYLESS_IDENTITY
    assert outcome.signer_issuer == KEYLESS_ISSUER


def test_unreadable_trusted_key_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pub"
    bad.write_text("not a key")
    outcome = _verify("key-folder/model.sig", Anchors(keys=(bad,)))
    assert outcome.verdict is Verdict.UNVERIFIABLE
    assert "cannot read trusted key" in outcome.reason


@pytest.mark.network
def test_online_trust_root_refresh() -> None:
    """With network access the sigstore library refreshes its root over TUF."""
    from aibom.signatures.verify import sigstore_trusted_root

    assert sigstore_trusted_root(None, online=True) is not None
