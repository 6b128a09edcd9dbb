"""Check a model signature's cryptography with the `model-signing` library.

Only the bundle is given to the library: it checks the DSSE signature (and, by method, the
key hint, the X.509 chain or the Sigstore certificate, transparency-log entry and identity
policy) and returns the manifest that was signed. The model's files are hashed by aibom
itself (`folders.py`), within the scan's walk and limits; the library never opens them.

Imported only when a scan meets a signature: `model_signing` and `sigstore` take about
half a second to import, which the pre-commit hook must not pay.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .bundle import (
    IN_TOTO_PAYLOAD_TYPE,
    IN_TOTO_STATEMENT,
    ModelSignatureBundle,
    SignedResource,
    SigningMethod,
)
from .trust import Anchors, SigstoreIdentity


class Verdict(enum.StrEnum):
    VERIFIED = "verified"  # the signature checks out against configured trust material
    INVALID = "invalid"  # malformed, does not verify, or a covered file differs
    UNTRUSTED = "untrusted-signer"  # signed by a key / CA / identity the policy does not allow
    UNVERIFIABLE = "unverifiable"  # no trust material for this method (or no library)


@dataclass(frozen=True)
class CryptoOutcome:
    verdict: Verdict
    reason: str
    signer: str | None = None  # verified (or claimed, when untrusted) identity
    signer_issuer: str | None = None
    key_fingerprint: str | None = None  # sha256 of the signer's public key / certificate
    resources: tuple[SignedResource, ...] = ()  # the manifest as the library verified it


def library_available() -> str | None:
    """None when model-signing can be imported, else why not (for the finding's text)."""
    try:
        import model_signing  # noqa: F401
        from model_signing._signing import sign_certificate  # noqa: F401 - needs pyOpenSSL
    except ImportError as exc:
        return f"the model-signing library cannot be imported ({exc})"
    return None


def key_fingerprint(pem: bytes) -> str:
    """The hint model-signing writes: sha256 over the PEM SubjectPublicKeyInfo."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_public_key(pem)
    raw = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(raw).hexdigest()


def verify_bundle(
    raw: bytes,
    bundle: ModelSignatureBundle,
    anchors: Anchors,
    *,
    trust_root: Path | None = None,
    online: bool = False,
) -> CryptoOutcome:
    if not _anchors_for_method(bundle.method, anchors):
        # nothing to verify against: say so without importing the library (half a second)
        return _no_anchor(bundle)
    missing = library_available()
    if missing is not None:
        return CryptoOutcome(Verdict.UNVERIFIABLE, missing)
    if bundle.method is SigningMethod.KEY:
        return _verify_key(raw, bundle, anchors.keys)
    if bundle.method is SigningMethod.CERTIFICATE:
        return _verify_certificate(raw, bundle, anchors.certificate_chains)
    return _verify_sigstore(raw, bundle, anchors.identities, trust_root, online)


def _anchors_for_method(method: SigningMethod, anchors: Anchors) -> bool:
    if method is SigningMethod.KEY:
        return bool(anchors.keys)
    if method is SigningMethod.CERTIFICATE:
        return bool(anchors.certificate_chains)
    return bool(anchors.identities)


def _no_anchor(bundle: ModelSignatureBundle) -> CryptoOutcome:
    leaf = bundle.leaf
    fingerprint = bundle.key_hint if bundle.method is SigningMethod.KEY else None
    reason = {
        SigningMethod.KEY: "signed with a private key; no trusted public key given",
        SigningMethod.CERTIFICATE: "signed with a certificate; no trusted certificate chain given",
        SigningMethod.SIGSTORE: "signed keyless with Sigstore; no trusted identity given",
    }[bundle.method]
    if leaf is None:
        return CryptoOutcome(Verdict.UNVERIFIABLE, reason, key_fingerprint=fingerprint)
    issuer = leaf.oidc_issuer if bundle.method is SigningMethod.SIGSTORE else leaf.issuer
    return CryptoOutcome(
        Verdict.UNVERIFIABLE,
        reason,
        signer=bundle.identity,
        signer_issuer=issuer,
        key_fingerprint=leaf.sha256,
    )


def _manifest(manifest: Any) -> tuple[SignedResource, ...]:
    return tuple(
        SignedResource(rd.identifier, rd.digest.algorithm, rd.digest.digest_hex)
        for rd in manifest.resource_descriptors()
    )


def _pb_signature(raw: bytes) -> Any:
    """The library's `sign_sigstore_pb.Signature.read`, from bytes already read (the file
    is read once, within the scan's limits)."""
    from model_signing._signing import sign_sigstore_pb
    from sigstore_models.bundle import v1 as bundle_pb

    parsed = json.loads(raw.decode("utf-8-sig"))
    material = parsed["verificationMaterial"]
    material.setdefault("tlogEntries", [])
    if "publicKey" in material:
        material["publicKey"].setdefault("hint", None)
        for k in ("rawBytes", "keyDetails"):
            material["publicKey"].pop(k, None)
    return sign_sigstore_pb.Signature(bundle_pb.Bundle.from_dict(parsed))


def _quiet(call: Any, *args: Any) -> Any:
    # The library prints a warning on stdout for old key bundles; keep reports clean.
    with contextlib.redirect_stdout(io.StringIO()):
        return call(*args)


def _verify_key(raw: bytes, bundle: ModelSignatureBundle, keys: tuple[Path, ...]) -> CryptoOutcome:
    hint = bundle.key_hint
    if not keys:
        return CryptoOutcome(
            Verdict.UNVERIFIABLE,
            "signed with a private key; no trusted public key given",
            key_fingerprint=hint,
        )
    from model_signing._signing import sign_ec_key

    candidates: list[tuple[Path, str]] = []
    for path in keys:
        try:
            candidates.append((path, key_fingerprint(path.read_bytes())))
        except (OSError, ValueError, TypeError) as exc:
            return CryptoOutcome(Verdict.UNVERIFIABLE, f"cannot read trusted key {path}: {exc}")
    if hint is not None:
        candidates = [(p, fp) for p, fp in candidates if fp == hint]
        if not candidates:
            return CryptoOutcome(
                Verdict.UNTRUSTED,
                f"signed with key {hint[:16]}…, which is not among the trusted keys",
                key_fingerprint=hint,
            )
    failure = ""
    for path, fingerprint in candidates:
        try:
            verifier = sign_ec_key.Verifier(path)
            manifest = _quiet(verifier.verify, _pb_signature(raw))
        except Exception as exc:  # the library raises ValueError, InvalidSignature, ...
            failure = _reason(exc)
            continue
        return CryptoOutcome(
            Verdict.VERIFIED,
            f"signature verified with trusted key {path.name}",
            key_fingerprint=fingerprint,
            resources=_manifest(manifest),
        )
    return CryptoOutcome(
        Verdict.INVALID,
        f"the signature does not verify with the trusted key: {failure}",
        key_fingerprint=hint,
    )


def _verify_certificate(
    raw: bytes, bundle: ModelSignatureBundle, chains: tuple[Path, ...]
) -> CryptoOutcome:
    leaf = bundle.leaf
    subject = leaf.subject if leaf else None
    issuer = leaf.issuer if leaf else None
    fingerprint = leaf.sha256 if leaf else None
    if not chains:
        # The library would fall back to the system's web CAs: never what a model policy means.
        return CryptoOutcome(
            Verdict.UNVERIFIABLE,
            "signed with a certificate; no trusted certificate chain given",
            signer=subject,
            signer_issuer=issuer,
            key_fingerprint=fingerprint,
        )
    from model_signing._signing import sign_certificate
    from OpenSSL import crypto

    try:
        verifier = sign_certificate.Verifier(list(chains))
    except (OSError, ValueError) as exc:
        return CryptoOutcome(Verdict.UNVERIFIABLE, f"cannot read the trusted chain: {exc}")
    try:
        manifest = _quiet(verifier.verify, _pb_signature(raw))
    except crypto.X509StoreContextError as exc:
        return CryptoOutcome(
            Verdict.UNTRUSTED,
            f"the signing certificate does not chain to a trusted CA: {_reason(exc)}",
            signer=subject,
            signer_issuer=issuer,
            key_fingerprint=fingerprint,
        )
    except Exception as exc:
        return CryptoOutcome(
            Verdict.INVALID,
            f"the certificate signature does not verify: {_reason(exc)}",
            signer=subject,
            signer_issuer=issuer,
            key_fingerprint=fingerprint,
        )
    return CryptoOutcome(
        Verdict.VERIFIED,
        "signature verified with a certificate chained to a trusted CA",
        signer=subject,
        signer_issuer=issuer,
        key_fingerprint=fingerprint,
        resources=_manifest(manifest),
    )


def _verify_sigstore(
    raw: bytes,
    bundle: ModelSignatureBundle,
    identities: tuple[SigstoreIdentity, ...],
    trust_root: Path | None,
    online: bool,
) -> CryptoOutcome:
    leaf = bundle.leaf
    claimed = bundle.identity
    issuer = leaf.oidc_issuer if leaf else None
    fingerprint = leaf.sha256 if leaf else None
    if not identities:
        return CryptoOutcome(
            Verdict.UNVERIFIABLE,
            "signed keyless with Sigstore; no trusted identity given",
            signer=claimed,
            signer_issuer=issuer,
            key_fingerprint=fingerprint,
        )
    allowed = [i for i in identities if i.identity == claimed and i.issuer == issuer]
    if not allowed:
        return CryptoOutcome(
            Verdict.UNTRUSTED,
            f"signed by {claimed} (issuer {issuer}), not a trusted identity",
            signer=claimed,
            signer_issuer=issuer,
            key_fingerprint=fingerprint,
        )
    try:
        manifest = _sigstore_manifest(raw, allowed[0], trust_root, online)
    except Exception as exc:  # sigstore's VerificationError, InvalidBundle, TUF errors
        return CryptoOutcome(
            Verdict.INVALID,
            f"the Sigstore bundle does not verify: {_reason(exc)}",
            signer=claimed,
            signer_issuer=issuer,
            key_fingerprint=fingerprint,
        )
    return CryptoOutcome(
        Verdict.VERIFIED,
        "Sigstore signature, certificate and transparency-log entry verified",
        signer=claimed,
        signer_issuer=issuer,
        key_fingerprint=fingerprint,
        resources=_manifest(manifest),
    )


def sigstore_trusted_root(trust_root: Path | None, online: bool) -> Any:
    """The root of trust for keyless bundles: a file the user names, else the one the
    sigstore library ships (in its local TUF cache), refreshed over the network only when
    `online`."""
    from sigstore.models import ClientTrustConfig, TrustedRoot

    if trust_root is not None:
        text = trust_root.read_text(encoding="utf-8")
        if "clienttrustconfig" in text[:400].lower():
            return ClientTrustConfig.from_json(text).trusted_root
        return TrustedRoot.from_file(str(trust_root))
    # Offline, the TUF updater logs a warning on every load: that is the documented default.
    tuf_log = logging.getLogger("sigstore._internal.tuf")
    level = tuf_log.level
    tuf_log.setLevel(logging.ERROR)
    try:
        return ClientTrustConfig.production(offline=not online).trusted_root
    finally:
        tuf_log.setLevel(level)


def _sigstore_manifest(
    raw: bytes, identity: SigstoreIdentity, trust_root: Path | None, online: bool
) -> Any:
    from model_signing._signing import signing
    from sigstore import verify as sigstore_verify
    from sigstore.models import Bundle

    root = sigstore_trusted_root(trust_root, online)
    verifier = sigstore_verify.Verifier(trusted_root=root)
    policy = sigstore_verify.policy.Identity(identity=identity.identity, issuer=identity.issuer)
    sigstore_bundle = Bundle.from_json(raw.decode("utf-8-sig"))

    payload_type, payload = verifier.verify_dsse(bundle=sigstore_bundle, policy=policy)
    # what model_signing's Verifier.verify does after the signature check
    if payload_type != IN_TOTO_PAYLOAD_TYPE:
        raise ValueError(f"expected DSSE payload {IN_TOTO_PAYLOAD_TYPE}, got {payload_type}")
    statement = json.loads(payload)
    if not isinstance(statement, dict) or statement.get("_type") != IN_TOTO_STATEMENT:
        raise ValueError("the DSSE payload is not an in-toto v1 statement")
    return signing.dsse_payload_to_manifest(statement)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    name = type(exc).__name__
    return f"{name}: {first[:300]}" if first else name
