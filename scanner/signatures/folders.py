"""Match each model signature to the model it signs, hash what it covers, and judge it.

A bundle signs either a folder (every file, relative to the folder) or one file (a single
resource named "."). Which folder: the bundle's own folder when it lies inside the model
(`model_signing sign` writes `model.sig` there and lists it in `ignore_paths`), or a
sibling folder named after the statement's subject or the bundle (`finbert.sig` beside
`finbert/`) — whichever holds the signed files. Which file: the bundle name without `.sig`,
or the subject's name beside it.

Files are hashed here, with aibom's streaming hasher, only among the files the scan's walk
yielded (its excludes, its symlink rules, no special files): the library never opens the
model. A covered file the walk did not yield is "unchecked", and the scan is incomplete.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .bundle import (
    MAX_BUNDLE_BYTES,
    BundleError,
    ModelSignatureBundle,
    NotModelSignature,
    SignedResource,
    SigningMethod,
    parse_bundle,
)
from .trust import Anchors
from .verify import CryptoOutcome, Verdict

# Paths `model_signing` leaves out of every folder signature by default.
GIT_PATHS = (".git", ".gitattributes", ".github", ".gitignore")
BLOCK = 4 * 1024 * 1024


@dataclass(frozen=True)
class SignatureCheck:
    """The verdict on one bundle and the model it signs; what the AIBOM records."""

    bundle: str  # path of the bundle, relative to the scan root
    subject: str  # the signed folder or file ("." for the scan root)
    single_file: bool
    status: Verdict
    reason: str
    method: SigningMethod | None = None
    signer: str | None = None
    signer_issuer: str | None = None
    key_fingerprint: str | None = None
    signed: tuple[SignedResource, ...] = ()
    mismatched: tuple[str, ...] = ()  # covered files whose digest differs from the manifest
    missing: tuple[str, ...] = ()  # covered files that are not there
    uncovered: tuple[str, ...] = ()  # files in the signed folder the manifest does not list
    unchecked: tuple[str, ...] = ()  # covered files the scan could not hash


@dataclass(frozen=True)
class WalkedFile:
    rel: str
    path: Path
    size: int
    sha256: str | None = None  # when an analyzer already hashed it


@dataclass
class _Hashes:
    known: dict[str, str] = field(default_factory=dict)  # rel -> sha256 already computed

    def digest(
        self, file: WalkedFile, algorithm: str, start: int = 0, end: int | None = None
    ) -> str:
        if algorithm == "sha256" and start == 0 and end is None:
            if file.sha256:
                return file.sha256
            cached = self.known.get(file.rel)
            if cached:
                return cached
        value = _hash_range(file.path, algorithm, start, end)
        if algorithm == "sha256" and start == 0 and end is None:
            self.known[file.rel] = value
        return value


def _hasher(algorithm: str) -> hashlib._Hash | object:
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm in ("blake2b", "blake2"):
        return hashlib.blake2b()
    if algorithm == "blake3":
        try:
            import blake3
        except ImportError:
            raise LookupError("blake3 digests need the blake3 package") from None
        hasher: object = blake3.blake3()
        return hasher
    raise LookupError(f"unknown digest algorithm {algorithm!r}")


def _hash_range(path: Path, algorithm: str, start: int, end: int | None) -> str:
    digest = _hasher(algorithm)
    update: Callable[[bytes], None] = digest.update  # type: ignore[attr-defined]
    with path.open("rb", buffering=0) as fh:
        fh.seek(start)
        left = None if end is None else end - start
        while left is None or left > 0:
            chunk = fh.read(BLOCK if left is None else min(BLOCK, left))
            if not chunk:
                break
            update(chunk)
            if left is not None:
                left -= len(chunk)
    hexdigest: str = digest.hexdigest()  # type: ignore[attr-defined]
    return hexdigest


def is_bundle_name(name: str) -> bool:
    return name == "model.sig" or name.endswith(".sig") or name.endswith(".sigstore.json")


def read_bundle(file: WalkedFile) -> tuple[bytes, ModelSignatureBundle] | str | None:
    """(raw, bundle); a reason string when it is a malformed model signature; None when the
    file is not a model signature at all."""
    if file.size > MAX_BUNDLE_BYTES:
        return f"the bundle is larger than {MAX_BUNDLE_BYTES} bytes"
    try:
        with file.path.open("rb") as fh:
            raw = fh.read(MAX_BUNDLE_BYTES + 1)
    except OSError as exc:
        return f"cannot read the bundle: {exc.strerror or exc}"
    try:
        return raw, parse_bundle(raw)
    except NotModelSignature:
        return None
    except BundleError as exc:
        return f"malformed model signature: {exc}"


def _under(rel: str, folder: str) -> str | None:
    """`rel` relative to `folder` ("" is the scan root), or None when outside it."""
    if not folder:
        return rel
    prefix = folder + "/"
    return rel[len(prefix) :] if rel.startswith(prefix) else None


def _ignored(local: str, ignore: tuple[str, ...]) -> bool:
    for entry in ignore:
        entry = entry.rstrip("/")
        if entry in ("", "."):
            continue
        if local == entry or local.startswith(entry + "/"):
            return True
    return False


def locate_subject(
    bundle_rel: str, bundle: ModelSignatureBundle, files: dict[str, WalkedFile]
) -> str | None:
    """The folder (or, for single-file signatures, the file) the bundle signs."""
    home = posixpath.dirname(bundle_rel)
    base = posixpath.basename(bundle_rel)
    stem = base[: -len(".sig")] if base.endswith(".sig") else base.split(".", 1)[0]

    def join(*parts: str) -> str:
        kept = [x for x in parts if x]
        return posixpath.join(*kept) if kept else ""

    if bundle.single_file:
        for candidate in (join(home, stem), join(home, bundle.model_name)):
            if candidate in files:
                return candidate
        return None
    names = {r.path for r in bundle.resources}
    best: tuple[int, str] | None = None
    for candidate in dict.fromkeys((home, join(home, bundle.model_name), join(home, stem))):
        if candidate != home and candidate in files:
            continue  # a file, not a folder
        found = sum(1 for n in names if join(candidate, n) in files)
        if best is None or found > best[0]:
            best = (found, candidate)
    return best[1] if best else home


def judge(
    bundle_rel: str,
    raw: bytes,
    bundle: ModelSignatureBundle,
    files: dict[str, WalkedFile],
    anchors: Anchors,
    verify: Callable[[bytes, ModelSignatureBundle, Anchors], CryptoOutcome],
    exists: Callable[[str], bool],
) -> SignatureCheck:
    subject = locate_subject(bundle_rel, bundle, files)
    crypto = verify(raw, bundle, anchors)
    manifest = crypto.resources or bundle.resources
    shown = subject if subject else "."
    if subject is None:
        return SignatureCheck(
            bundle_rel,
            posixpath.join(posixpath.dirname(bundle_rel), bundle.model_name) or ".",
            True,
            Verdict.INVALID,
            f"the signed file {bundle.model_name!r} is not beside the signature",
            bundle.method,
            crypto.signer,
            crypto.signer_issuer,
            crypto.key_fingerprint,
            manifest,
            missing=(bundle.model_name,),
        )
    hashes = _Hashes()
    mismatched: list[str] = []
    missing: list[str] = []
    unchecked: list[str] = []
    for resource in manifest:
        if bundle.single_file:
            rel = subject
        else:
            rel = posixpath.join(subject, resource.path) if subject else resource.path
        start, end = 0, None
        if resource.name != resource.path:
            _, a, b = resource.name.rsplit(":", 2)
            start, end = int(a), int(b)
        file = files.get(rel)
        if file is None:
            (unchecked if exists(rel) else missing).append(resource.name)
            continue
        try:
            actual = hashes.digest(file, resource.algorithm, start, end)
        except (OSError, LookupError):
            unchecked.append(resource.name)
            continue
        if actual != resource.digest:
            mismatched.append(resource.name)
    uncovered: list[str] = []
    if not bundle.single_file:
        covered = {r.path for r in manifest}
        ignore = (*bundle.serialization.ignore_paths, *GIT_PATHS)
        for rel in sorted(files):
            local = _under(rel, subject)
            if local is None or rel == bundle_rel or local in covered:
                continue
            if _ignored(local, ignore):
                continue
            uncovered.append(local)
    status, reason = crypto.verdict, crypto.reason
    if mismatched or missing:
        status = Verdict.INVALID
        parts = []
        if mismatched:
            parts.append(f"{len(mismatched)} signed file(s) changed: {', '.join(mismatched[:5])}")
        if missing:
            parts.append(f"{len(missing)} signed file(s) missing: {', '.join(missing[:5])}")
        reason = "; ".join(parts) + f" (the bundle itself: {crypto.reason})"
    return SignatureCheck(
        bundle=bundle_rel,
        subject=shown,
        single_file=bundle.single_file,
        status=status,
        reason=reason,
        method=bundle.method,
        signer=crypto.signer,
        signer_issuer=crypto.signer_issuer,
        key_fingerprint=crypto.key_fingerprint,
        signed=manifest,
        mismatched=tuple(mismatched),
        missing=tuple(missing),
        uncovered=tuple(uncovered),
        unchecked=tuple(unchecked),
    )


def malformed(bundle_rel: str, reason: str) -> SignatureCheck:
    return SignatureCheck(
        bundle_rel, posixpath.dirname(bundle_rel) or ".", False, Verdict.INVALID, reason
    )
