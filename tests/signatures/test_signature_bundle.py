from __future__ import annotations

import base64
import hashlib
import json

import pytest
from signature_fixtures import KEYLESS_IDENTITY, KEYLESS_ISSUER, SIGS

from aibom.signatures.bundle import (
    BundleError,
    NotModelSignature,
    SigningMethod,
    looks_like_bundle,
    parse_bundle,
)


def _read(rel: str) -> bytes:
    return (SIGS / rel).read_bytes()


def _edit(rel: str, change) -> bytes:  # type: ignore[no-untyped-def]
    doc = json.loads(_read(rel))
    change(doc)
    return json.dumps(doc).encode()


def test_key_bundle_facts() -> None:
    bundle = parse_bundle(_read("key-folder/model.sig"))
    assert bundle.method is SigningMethod.KEY
    assert bundle.model_name == "key-folder"
    assert bundle.key_hint and len(bundle.key_hint) == 64
    assert [r.name for r in bundle.resources] == [
        "config.json",
        "model.safetensors",
        "tokenizer/vocab.txt",
    ]
    digest = hashlib.sha256((SIGS / "key-folder/model.safetensors").read_bytes()).hexdigest()
    assert bundle.resources[1].digest == digest
    assert "model.sig" in bundle.serialization.ignore_paths
    assert bundle.serialization.method == "files"
    assert not bundle.single_file


def test_single_file_bundle() -> None:
    bundle = parse_bundle(_read("key-file/classifier.safetensors.sig"))
    assert bundle.single_file
    assert bundle.model_name == "classifier.safetensors"


def test_certificate_bundle_names_the_leaf() -> None:
    bundle = parse_bundle(_read("cert-folder/model.sig"))
    assert bundle.method is SigningMethod.CERTIFICATE
    assert len(bundle.certificates) == 2  # leaf + intermediate
    assert bundle.leaf is not None
    assert "CN=release@acme.example" in bundle.leaf.subject
    assert "intermediate CA" in bundle.leaf.issuer
    assert bundle.identity == bundle.leaf.subject


def test_keyless_bundle_identity_and_issuer() -> None:
    bundle = parse_bundle(_read("keyless-folder/model.sig"))
    assert bundle.method is SigningMethod.SIGSTORE
    assert bundle.tlog_entries == 1
    assert bundle.identity == KEYLESS_IDENTITY
    assert bundle.leaf is not None and bundle.leaf.oidc_issuer == KEYLESS_ISSUER
    assert bundle.leaf.subject == ""


def test_keyless_issuer_from_v1_extension_only() -> None:
    """Older Fulcio certificates carry only the raw v1 issuer extension."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding

    from aibom.signatures.bundle import certificate_facts

    key = ec.generate_private_key(ec.SECP256R1())
    import datetime

    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "ca")]))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name("dev@acme.example")]), critical=True
        )
        .add_extension(
            x509.UnrecognizedExtension(
                x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1"), b"https://accounts.google.com"
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    facts = certificate_facts(cert.public_bytes(Encoding.DER))
    assert facts is not None
    assert facts.san == ("dev@acme.example",)
    assert facts.oidc_issuer == "https://accounts.google.com"


def test_sniff_head() -> None:
    assert looks_like_bundle(_read("key-folder/model.sig")[:512])
    assert looks_like_bundle(_read("keyless-folder/model.sig")[:512])
    assert not looks_like_bundle(b'{"model_type": "bert"}')
    assert not looks_like_bundle(b"\x80\x04application/vnd.dev.sigstore.bundle")


def test_other_sigstore_payloads_are_not_model_signatures() -> None:
    with pytest.raises(NotModelSignature):
        parse_bundle(_read("not-model-signing.sigstore.json"))
    with pytest.raises(NotModelSignature):
        parse_bundle(b'{"config": 1}')
    with pytest.raises(NotModelSignature):
        parse_bundle(b"not json at all")


def test_subject_digest_must_match_resources() -> None:
    def swap(doc: dict) -> None:  # type: ignore[type-arg]
        statement = json.loads(base64.b64decode(doc["dsseEnvelope"]["payload"]))
        statement["predicate"]["resources"][0]["digest"] = "00" * 32
        doc["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()

    with pytest.raises(BundleError, match="subject digest"):
        parse_bundle(_edit("key-folder/model.sig", swap))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.pop("dsseEnvelope"), "no DSSE envelope"),
        (lambda d: d["dsseEnvelope"].update(payload="%%%"), "not base64"),
        (lambda d: d["dsseEnvelope"].update(signatures=[]), "no signature"),
        (lambda d: d.pop("verificationMaterial"), "verification material"),
        (lambda d: d["dsseEnvelope"].update(payload=base64.b64encode(b"[1]").decode()), "in-toto"),
    ],
)
def test_malformed_bundles(change, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BundleError, match=message):
        parse_bundle(_edit("key-folder/model.sig", change))


def test_deep_json_is_not_a_crash() -> None:
    deep = b'{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "x": ' + b"[" * 100_000
    with pytest.raises((NotModelSignature, BundleError)):
        parse_bundle(deep)
