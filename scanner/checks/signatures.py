"""Checks over model-signature verdicts (`Artifact.signatures`, recorded by
`analyzers/signature_files.py`) and the `require-signatures` policy. Wording, severity and
remediation live in `rules/rules_signatures.toml`."""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Config
from ..model import Artifact, ComponentKind, Finding, Inventory, Location
from ..signatures.verify import Verdict
from .check import Check

MAX_LISTED = 10


def signature_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    ignored = config.signatures.ignored
    for artifact in inventory.artifacts:
        for check in artifact.signatures:
            where = Location(check.bundle)
            common = {"bundle": check.bundle, "subject": check.subject}
            if check.status is Verdict.INVALID:
                yield Finding.make("AIB701", where, reason=check.reason, **common)
            elif check.status is Verdict.UNTRUSTED:
                signer = check.signer or (
                    f"key {check.key_fingerprint[:16]}"
                    if check.key_fingerprint
                    else "an unknown signer"
                )
                yield Finding.make("AIB702", where, signer=signer, reason=check.reason, **common)
            elif check.status is Verdict.UNVERIFIABLE:
                reason = check.reason
                if ignored:
                    reason += (
                        f"; trust anchors in {config.signatures.ignored_from} were not used "
                        "(found inside the scanned tree)"
                    )
                method = check.method.value if check.method else "model"
                yield Finding.make("AIB705", where, method=method, reason=reason, **common)
            if check.uncovered:
                files = ", ".join(check.uncovered[:MAX_LISTED])
                if len(check.uncovered) > MAX_LISTED:
                    files += f", … ({len(check.uncovered) - MAX_LISTED} more)"
                yield Finding.make(
                    "AIB703", where, count=len(check.uncovered), files=files, **common
                )


def required_signature_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    policy = config.signatures
    if not policy.require:
        return
    by_path = {a.path: a for a in inventory.artifacts}
    for artifact in inventory.artifacts:
        if artifact.kind is not ComponentKind.MODEL or _signed(artifact, by_path):
            continue
        if artifact.parent is not None and artifact.parent in by_path:
            continue  # judged once, on the folder that holds it
        pattern = next((p for p in policy.require if _match(p, artifact.path)), None)
        if pattern is not None:
            yield Finding.make("AIB704", artifact.location, subject=artifact.path, pattern=pattern)


def _signed(artifact: Artifact, by_path: dict[str, Artifact]) -> bool:
    node: Artifact | None = artifact
    seen: set[str] = set()
    while node is not None and node.path not in seen:
        if node.signatures:
            return True
        seen.add(node.path)
        node = by_path.get(node.parent) if node.parent else None
    return False


def _match(pattern: str, path: str) -> bool:
    from ..signatures.trust import matches

    return matches(pattern, path)


CHECKS = (
    Check(frozenset({"AIB701", "AIB702", "AIB703", "AIB705"}), signature_findings, "signatures"),
    Check(frozenset({"AIB704"}), required_signature_findings, "required-signatures"),
)
