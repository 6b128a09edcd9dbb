"""Read an OpenSSF model-signing bundle statically: no cryptography, no library import.

A model signature (`model.sig` by default) is a Sigstore bundle (JSON) holding a DSSE
envelope whose payload is an in-toto statement: the subject is the model's name and a
digest over all file digests, the predicate (`https://model_signing/signature/v1.0`)
lists every signed file with its digest and how the model was serialised. This module
parses that shape into typed facts; `verify.py` checks the signature itself with the
`model-signing` library.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import json
from dataclasses import dataclass, field

# A manifest lists one entry per file; a folder of 100,000 files is a few tens of MB.
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
MAX_CERTIFICATES = 16
BUNDLE_MEDIA_PREFIX = "application/vnd.dev.sigstore.bundle"
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
IN_TOTO_STATEMENT = "https://in-toto.io/Statement/v1"
PREDICATE_V1 = "https://model_signing/signature/v1.0"
PREDICATE_V01 = "https://model_signing/Digests/v0.1"  # model-signing 0.2, still verified
HASH_TYPES = frozenset({"sha256", "blake2", "blake3"})
# Sigstore's Fulcio certificate extensions: the OIDC issuer (v1 raw, v2 DER UTF8String)
OID_ISSUER_V1 = "1.3.6.1.4.1.57264.1.1"
OID_ISSUER_V2 = "1.3.6.1.4.1.57264.1.8"


class SigningMethod(enum.StrEnum):
    """How a bundle says it was signed (from its verification material)."""

    KEY = "key"  # a public-key hint: signed with a private key
    CERTIFICATE = "certificate"  # an X.509 chain and no transparency-log entry
    SIGSTORE = "sigstore"  # a Fulcio certificate and a Rekor entry: keyless


class BundleError(ValueError):
    """The file is a Sigstore bundle but not a well-formed model signature."""


class NotModelSignature(ValueError):
    """The file is not a model-signing bundle at all (another Sigstore or JSON document)."""


@dataclass(frozen=True)
class SignedResource:
    """One entry of the signed manifest: a file (or `path:start:end` shard) and its digest."""

    name: str  # POSIX path relative to the signed folder; "." for a single-file signature
    algorithm: str  # "sha256", "blake2b", "blake3"
    digest: str  # lower-case hex

    @property
    def path(self) -> str:
        """The file the entry covers (shard ranges removed)."""
        if self.name.count(":") >= 2:
            head, start, end = self.name.rsplit(":", 2)
            if start.isdigit() and end.isdigit():
                return head
        return self.name


@dataclass(frozen=True)
class Serialization:
    method: str  # "files" or "shards"
    hash_type: str
    allow_symlinks: bool
    ignore_paths: tuple[str, ...]
    shard_size: int | None = None


@dataclass(frozen=True)
class CertificateFacts:
    """What a certificate says about its holder, read without verifying anything."""

    subject: str  # RFC 4514 string ("" for Fulcio leaves)
    issuer: str
    san: tuple[str, ...]  # subjectAltName e-mail addresses and URIs
    oidc_issuer: str | None  # Fulcio's issuer extension (keyless only)
    sha256: str  # fingerprint of the DER bytes


@dataclass(frozen=True)
class ModelSignatureBundle:
    media_type: str
    method: SigningMethod
    key_hint: str | None  # sha256 of the signer's PEM public key (key method)
    certificates: tuple[bytes, ...]  # DER, leaf first
    leaf: CertificateFacts | None
    tlog_entries: int
    payload: bytes  # the DSSE payload, as signed
    predicate_type: str
    model_name: str
    root_digest: str | None
    resources: tuple[SignedResource, ...]
    serialization: Serialization
    raw: bytes = field(default=b"", repr=False, compare=False)  # the file, for the verifier

    @property
    def single_file(self) -> bool:
        return len(self.resources) == 1 and self.resources[0].name == "."

    @property
    def identity(self) -> str | None:
        """Who signed, as the bundle claims it (verified only when the status says so)."""
        if self.leaf is None:
            return None
        if self.leaf.san:
            return self.leaf.san[0]
        return self.leaf.subject or None


def looks_like_bundle(head: bytes) -> bool:
    """A JSON object that names a Sigstore bundle media type near its start."""
    text = head.lstrip()
    return text.startswith(b"{") and BUNDLE_MEDIA_PREFIX.encode() in head


def parse_bundle(data: bytes) -> ModelSignatureBundle:
    """Parse a model-signing bundle. Raises NotModelSignature or BundleError."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleError(f"bundle is larger than {MAX_BUNDLE_BYTES} bytes")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise NotModelSignature(f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise NotModelSignature("not a JSON object")
    media = doc.get("mediaType")
    if not isinstance(media, str) or not media.startswith(BUNDLE_MEDIA_PREFIX):
        raise NotModelSignature("no Sigstore bundle media type")
    envelope = doc.get("dsseEnvelope")
    if not isinstance(envelope, dict):
        if "messageSignature" in doc:
            raise NotModelSignature("a Sigstore message signature, not a DSSE envelope")
        raise BundleError("the bundle has no DSSE envelope")
    if envelope.get("payloadType") != IN_TOTO_PAYLOAD_TYPE:
        raise NotModelSignature(f"payload type {envelope.get('payloadType')!r} is not in-toto")
    payload = _b64(envelope.get("payload"), "dsseEnvelope.payload")
    sigs = envelope.get("signatures")
    if not isinstance(sigs, list) or not sigs or not isinstance(sigs[0], dict):
        raise BundleError("the DSSE envelope has no signature")
    _b64(sigs[0].get("sig"), "dsseEnvelope.signatures[0].sig")
    try:
        statement = json.loads(payload)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BundleError(f"the DSSE payload is not JSON: {exc}") from None
    if not isinstance(statement, dict) or statement.get("_type") != IN_TOTO_STATEMENT:
        raise BundleError("the DSSE payload is not an in-toto v1 statement")
    predicate_type = statement.get("predicateType")
    if predicate_type not in (PREDICATE_V1, PREDICATE_V01):
        raise NotModelSignature(f"in-toto predicate {predicate_type!r} is not model-signing")
    method, key_hint, certs, tlog = _material(doc.get("verificationMaterial"))
    if predicate_type == PREDICATE_V1:
        name, root, resources, serialization = _predicate_v1(statement)
    else:
        name, root, resources, serialization = _predicate_v01(statement)
    return ModelSignatureBundle(
        media_type=media,
        method=method,
        key_hint=key_hint,
        certificates=certs,
        leaf=certificate_facts(certs[0]) if certs else None,
        tlog_entries=tlog,
        payload=payload,
        predicate_type=predicate_type,
        model_name=name,
        root_digest=root,
        resources=resources,
        serialization=serialization,
        raw=data,
    )


def _b64(value: object, where: str) -> bytes:
    if not isinstance(value, str):
        raise BundleError(f"{where} is missing")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BundleError(f"{where} is not base64") from None


def _material(
    material: object,
) -> tuple[SigningMethod, str | None, tuple[bytes, ...], int]:
    if not isinstance(material, dict):
        raise BundleError("the bundle has no verification material")
    tlog = material.get("tlogEntries")
    tlog_count = len(tlog) if isinstance(tlog, list) else 0
    certs: list[bytes] = []
    single = material.get("certificate")
    chain = material.get("x509CertificateChain")
    if isinstance(single, dict):
        certs.append(_b64(single.get("rawBytes"), "verificationMaterial.certificate"))
    elif isinstance(chain, dict):
        entries = chain.get("certificates")
        if not isinstance(entries, list) or not entries:
            raise BundleError("the certificate chain is empty")
        for i, entry in enumerate(entries[:MAX_CERTIFICATES]):
            raw = entry.get("rawBytes") if isinstance(entry, dict) else None
            certs.append(_b64(raw, f"verificationMaterial.x509CertificateChain[{i}]"))
    if certs:
        method = SigningMethod.SIGSTORE if tlog_count else SigningMethod.CERTIFICATE
        return method, None, tuple(certs), tlog_count
    key = material.get("publicKey")
    if isinstance(key, dict):
        hint = key.get("hint")
        return SigningMethod.KEY, hint if isinstance(hint, str) and hint else None, (), tlog_count
    raise BundleError("the verification material names no key and no certificate")


def _predicate_v1(
    statement: dict[str, object],
) -> tuple[str, str | None, tuple[SignedResource, ...], Serialization]:
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or len(subjects) != 1 or not isinstance(subjects[0], dict):
        raise BundleError("a model-signing statement has exactly one subject")
    subject = subjects[0]
    name = subject.get("name")
    digest = subject.get("digest")
    root = digest.get("sha256") if isinstance(digest, dict) else None
    if not isinstance(name, str) or not isinstance(root, str):
        raise BundleError("the statement's subject has no name or sha256 digest")
    predicate = statement.get("predicate")
    if not isinstance(predicate, dict):
        raise BundleError("the statement has no predicate")
    ser = predicate.get("serialization")
    if not isinstance(ser, dict):
        raise BundleError("the predicate has no serialization")
    method = ser.get("method")
    hash_type = ser.get("hash_type")
    if method not in ("files", "shards") or hash_type not in HASH_TYPES:
        raise BundleError(f"unknown serialization {method!r} / {hash_type!r}")
    ignore = ser.get("ignore_paths", [])
    shard = ser.get("shard_size")
    serialization = Serialization(
        method=str(method),
        hash_type=str(hash_type),
        allow_symlinks=ser.get("allow_symlinks") in (True, "true"),
        ignore_paths=tuple(sorted(str(p) for p in ignore)) if isinstance(ignore, list) else (),
        shard_size=shard if isinstance(shard, int) else None,
    )
    raw = predicate.get("resources")
    if not isinstance(raw, list):
        raise BundleError("the predicate has no resources")
    resources: list[SignedResource] = []
    combined = hashlib.sha256()
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise BundleError(f"resource {i} is not an object")
        rname, alg, value = entry.get("name"), entry.get("algorithm"), entry.get("digest")
        if not (isinstance(rname, str) and isinstance(alg, str) and isinstance(value, str)):
            raise BundleError(f"resource {i} lacks a name, algorithm or digest")
        try:
            combined.update(bytes.fromhex(value))
        except ValueError:
            raise BundleError(f"resource {rname!r} has a digest that is not hex") from None
        resources.append(SignedResource(rname, alg, value.lower()))
    if combined.hexdigest() != root.lower():
        raise BundleError("the subject digest does not match the listed resources")
    return name, root.lower(), tuple(resources), serialization


def _predicate_v01(
    statement: dict[str, object],
) -> tuple[str, str | None, tuple[SignedResource, ...], Serialization]:
    subjects = statement.get("subject")
    if not isinstance(subjects, list):
        raise BundleError("the statement has no subjects")
    resources = []
    for entry in subjects:
        digest = entry.get("digest") if isinstance(entry, dict) else None
        value = digest.get("sha256") if isinstance(digest, dict) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not isinstance(value, str):
            raise BundleError("a subject lacks a name or sha256 digest")
        resources.append(SignedResource(name, "sha256", value.lower()))
    serialization = Serialization("files", "sha256", False, ())
    return "", None, tuple(resources), serialization


def certificate_facts(der: bytes) -> CertificateFacts | None:
    """Subject, issuer, SAN and Fulcio issuer of a DER certificate; None if unparsable."""
    try:
        from cryptography import x509
    except ImportError:  # pragma: no cover - cryptography comes with model-signing
        return None
    try:
        cert = x509.load_der_x509_certificate(der)
        subject = cert.subject.rfc4514_string()
        issuer = cert.issuer.rfc4514_string()
    except ValueError:
        return None
    san: list[str] = []
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        san.extend(ext.get_values_for_type(x509.RFC822Name))
        san.extend(ext.get_values_for_type(x509.UniformResourceIdentifier))
    except (x509.ExtensionNotFound, ValueError):
        pass
    return CertificateFacts(
        subject=subject,
        issuer=issuer,
        san=tuple(san),
        oidc_issuer=_oidc_issuer(cert),
        sha256=hashlib.sha256(der).hexdigest(),
    )


def _oidc_issuer(cert: object) -> str | None:
    from cryptography import x509

    assert isinstance(cert, x509.Certificate)
    try:
        extensions = list(cert.extensions)
    except ValueError:
        return None
    values = {e.oid.dotted_string: e.value for e in extensions}
    v2 = values.get(OID_ISSUER_V2)
    if isinstance(v2, x509.UnrecognizedExtension):
        raw = v2.value
        # DER UTF8String: tag 0x0c, a short or long length, then the text
        if len(raw) >= 2 and raw[0] == 0x0C:
            length, start = raw[1], 2
            if length & 0x80:
                n = length & 0x7F
                length, start = int.from_bytes(raw[2 : 2 + n], "big"), 2 + n
            return raw[start : start + length].decode("utf-8", "replace")
    v1 = values.get(OID_ISSUER_V1)
    if isinstance(v1, x509.UnrecognizedExtension):
        return v1.value.decode("utf-8", "replace")
    return None
