"""`aibom verify --bom-signature FILE.sig`: check a signed AIBOM before trusting it.

A release manager signs the AIBOM file itself as a single-file model signature
(`model_signing sign key aibom.cdx.json --signature aibom.cdx.json.sig`, or keyless in CI).
The signature must verify against the trust anchors and cover exactly this file's bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .bundle import MAX_BUNDLE_BYTES, BundleError, NotModelSignature, parse_bundle
from .trust import SignaturePolicy
from .verify import Verdict, verify_bundle


@dataclass(frozen=True)
class BomSignature:
    verdict: Verdict
    reason: str
    signer: str | None = None
    issuer: str | None = None
    key_fingerprint: str | None = None


def check_bom_signature(bom_file: Path, signature: Path, policy: SignaturePolicy) -> BomSignature:
    try:
        if signature.stat().st_size > MAX_BUNDLE_BYTES:
            raise InputError("the signature file is too large to be a bundle", str(signature))
        raw = signature.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read the signature: {exc.strerror or exc}", str(signature)
        ) from None
    try:
        bundle = parse_bundle(raw)
    except (BundleError, NotModelSignature) as exc:
        return BomSignature(Verdict.INVALID, f"not a valid model-signing bundle: {exc}")
    if not bundle.single_file:
        return BomSignature(Verdict.INVALID, "the signature covers a folder, not one file")
    outcome = verify_bundle(
        raw,
        bundle,
        policy.anchors_for(bom_file.name),
        trust_root=policy.sigstore_trust_root,
        online=policy.online,
    )
    facts = {
        "signer": outcome.signer,
        "issuer": outcome.signer_issuer,
        "key_fingerprint": outcome.key_fingerprint,
    }
    if outcome.verdict is not Verdict.VERIFIED:
        return BomSignature(outcome.verdict, outcome.reason, **facts)
    (resource,) = outcome.resources
    actual = _digest(bom_file, resource.algorithm)
    if actual != resource.digest:
        return BomSignature(
            Verdict.INVALID,
            f"the AIBOM changed after it was signed ({resource.algorithm} {actual[:16]}…, "
            f"signed {resource.digest[:16]}…)",
            **facts,
        )
    return BomSignature(Verdict.VERIFIED, outcome.reason, **facts)


def _digest(path: Path, algorithm: str) -> str:
    names = {"sha256": "sha256", "blake2b": "blake2b"}
    if algorithm not in names:
        raise InputError(f"unsupported digest {algorithm!r} in the AIBOM signature", str(path))
    digest = hashlib.new(names[algorithm])
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
