"""OpenSSF model signatures (`model.sig`): record each bundle, then, once every file is
known, match it to the model it signs and verify it (`aibom.signatures`).

`analyze_file` parses a file sniff took for a Sigstore bundle: a model-signing bundle
becomes a `file` artifact holding the parsed bundle; any other JSON is not recorded.
`analyze_folders` runs after the Hugging Face folder analyzer, so a signature inside a
model folder lands on that folder's component; a signed folder that is no Hugging Face
folder gets a `model-folder` component of its own.
"""

from __future__ import annotations

import hashlib
import posixpath
from pathlib import Path

from ..bom import properties as props_names
from ..config import Config
from ..model import (
    Artifact,
    ArtifactFormat,
    Collected,
    ComponentKind,
    FileRef,
    Inventory,
    Location,
    ScanError,
)
from ..signatures.bundle import MAX_BUNDLE_BYTES, BundleError, NotModelSignature, parse_bundle
from ..signatures.folders import SignatureCheck, WalkedFile, judge, locate_subject, malformed
from ..signatures.verify import Verdict
from .hashing import hash_into

F = ArtifactFormat


def analyze_file(file: FileRef, fmt: ArtifactFormat, config: Config) -> Collected:
    if file.size > MAX_BUNDLE_BYTES:
        if file.name.endswith(".sig"):
            art = _bundle_artifact(file, None)
            art.signatures.append(
                malformed(file.rel, f"the bundle is larger than {MAX_BUNDLE_BYTES} bytes")
            )
            return Collected(artifacts=[art])
        return Collected()
    try:
        with file.path.open("rb") as fh:
            raw = fh.read(MAX_BUNDLE_BYTES + 1)
    except OSError as exc:
        return Collected(
            errors=[ScanError(Location(file.rel), f"cannot read: {exc.strerror or exc}")]
        )
    try:
        bundle = parse_bundle(raw)
    except NotModelSignature:
        return Collected()
    except BundleError as exc:
        art = _bundle_artifact(file, raw)
        art.signatures.append(malformed(file.rel, f"malformed model signature: {exc}"))
        art.properties[props_names.SIGNATURE_STATUS] = Verdict.INVALID.value
        return Collected(artifacts=[art])
    art = _bundle_artifact(file, raw)
    art.bundle = bundle
    art.properties[props_names.SIGNATURE_METHOD] = bundle.method.value
    return Collected(artifacts=[art])


def _bundle_artifact(file: FileRef, raw: bytes | None) -> Artifact:
    art = Artifact(path=file.rel, format=F.MODEL_SIGNATURE, size=file.size, kind=ComponentKind.FILE)
    if raw is not None:
        art.sha256 = hashlib.sha256(raw).hexdigest()
    return art


def analyze_folders(files: list[FileRef], collected: Collected, config: Config) -> Collected:
    bundles = [a for a in collected.artifacts if a.format == F.MODEL_SIGNATURE]
    out = Collected()
    if not bundles:
        return out
    from ..signatures.verify import library_available, verify_bundle

    missing_library: str | None = None
    probed = False

    policy = config.signatures
    known = {a.path: a.sha256 for a in collected.artifacts if a.sha256}
    walked = {f.rel: WalkedFile(f.rel, f.path, f.size, known.get(f.rel)) for f in files}
    roots = [r for r in config.roots if r.is_dir()]

    def exists(rel: str) -> bool:
        return any((root / rel).exists() for root in roots)

    by_path = {a.path: a for a in collected.artifacts}
    for art in sorted(bundles, key=lambda a: a.path):
        if art.bundle is None:
            continue  # malformed: judged by analyze_file
        subject = locate_subject(art.path, art.bundle, walked)
        anchors = policy.anchors_for(subject or posixpath.dirname(art.path) or ".")
        check = judge(
            art.path,
            art.bundle.raw,
            art.bundle,
            walked,
            anchors,
            lambda r, b, a: verify_bundle(
                r, b, a, trust_root=policy.sigstore_trust_root, online=policy.online
            ),
            exists,
        )
        if not anchors.empty and not probed:
            missing_library, probed = library_available(), True
        if missing_library is not None and not anchors.empty:
            # trust anchors were given, so the user expects a verdict: never a quiet "info"
            out.errors.append(
                ScanError(Location(art.path), f"{missing_library}: the signature was not verified")
            )
        model = _model_for(check, by_path, walked, out)
        model.signatures.append(check)
        _record(model, check)
        art.parent = model.path
        art.properties[props_names.SIGNATURE_SIGNS] = model.path
        art.properties[props_names.SIGNATURE_STATUS] = check.status.value
        if check.unchecked:
            out.errors.append(
                ScanError(
                    Location(art.path),
                    f"{len(check.unchecked)} signed file(s) could not be checked "
                    f"(not part of the scan, or unreadable): {', '.join(check.unchecked[:5])}",
                )
            )
    return out


def _model_for(
    check: SignatureCheck,
    by_path: dict[str, Artifact],
    walked: dict[str, WalkedFile],
    out: Collected,
) -> Artifact:
    existing = by_path.get(check.subject)
    if existing is not None:
        return existing
    if check.single_file:
        file = walked.get(check.subject)
        model = Artifact(
            path=check.subject,
            format=F.UNKNOWN,
            size=file.size if file else 0,
            kind=ComponentKind.FILE,
        )
        if file is not None:
            model.sha256 = file.sha256
            if model.sha256 is None:
                hash_into(model, file.path)
    else:
        prefix = "" if check.subject == "." else check.subject + "/"
        inside = [f for rel, f in walked.items() if rel.startswith(prefix)]
        model = Artifact(
            path=check.subject,
            format=F.MODEL_FOLDER,
            size=sum(f.size for f in inside),
            kind=ComponentKind.MODEL,
        )
        for art in by_path.values():
            if art.parent is None and art.path.startswith(prefix) and art.path != check.subject:
                art.parent = check.subject
    by_path[check.subject] = model
    out.artifacts.append(model)
    return model


def _record(model: Artifact, check: SignatureCheck) -> None:
    """The verdict as AIBOM properties on the signed model's component."""
    props = model.properties
    props[props_names.SIGNATURE_STATUS] = check.status.value
    props[props_names.SIGNATURE_BUNDLE] = check.bundle
    if check.method is not None:
        props[props_names.SIGNATURE_METHOD] = check.method.value
    if check.signer:
        props[props_names.SIGNATURE_SIGNER] = check.signer
    if check.signer_issuer:
        props[props_names.SIGNATURE_ISSUER] = check.signer_issuer
    if check.key_fingerprint:
        props[props_names.SIGNATURE_KEY_FINGERPRINT] = check.key_fingerprint
    if check.status is not Verdict.VERIFIED:
        props[props_names.SIGNATURE_REASON] = check.reason
    multi = model.multi_properties
    for resource in check.signed:
        multi.append(
            (
                props_names.SIGNATURE_SIGNED_FILE,
                f"{resource.name} {resource.algorithm}:{resource.digest}",
            )
        )
    multi.extend((props_names.SIGNATURE_UNCOVERED_FILE, name) for name in check.uncovered)
    multi.extend((props_names.SIGNATURE_CHANGED_FILE, name) for name in check.mismatched)
    multi.extend((props_names.SIGNATURE_MISSING_FILE, name) for name in check.missing)


def signature_inventory(root: Path, config: Config) -> Inventory:
    """Only the signature part of a scan, for `aibom verify`: walk `root`, parse every
    bundle, and judge each against the trust policy (no other analyzer runs)."""
    from ..sniff import HEAD_SIZE, looks_like_model_signature
    from ..walk import walk

    walked = walk((root,), config.exclude)
    inventory = Inventory(roots=(root.as_posix(),))
    inventory.errors.extend(walked.errors)
    collected = Collected()
    for ref in walked.files:
        try:
            with ref.path.open("rb") as fh:
                head = fh.read(HEAD_SIZE)
        except OSError:
            continue  # the integrity check reports unreadable files
        if looks_like_model_signature(head, ref.name):
            collected.extend(analyze_file(ref, F.MODEL_SIGNATURE, config))
    collected.extend(analyze_folders(list(walked.files), collected, config))
    inventory.add(collected)
    inventory.files_scanned = len(walked.files)
    return inventory
