"""`aibom verify AIBOM [PATH] [--root DIR]`: re-hash every file an AIBOM records and compare.

The recorded paths are relative to the folder that was scanned: `--root` (default: the
current folder). PATH, when given, is a filter below that root (`aibom verify aibom.cdx.json
models/` checks only what the AIBOM records under `models/`); a PATH outside the root is an
error that says so.

What a deployment step runs before loading weights. The AIBOM is read as plain data
(`aibom.bomread`, JSON or XML; never through cyclonedx-python-lib, which drops fields). Every
component with an `aibom:path` property (the file's path relative to the scanned root, as
`aibom scan -o` writes it) and a SHA-256 hash is re-hashed under PATH:

- changed (AIB161): the digest on disk differs from the recorded one;
- missing (AIB162): the file is not there;
- unrecorded (AIB163): a model or data file under PATH (recognised by content, like
  `aibom scan` does, honouring the same excludes) that the AIBOM does not record;
- unverifiable (AIB164): a recorded entry without a SHA-256, a path that leaves PATH
  (absolute, `..`, or a symlink out of it), a file that cannot be read, or a Git LFS pointer
  standing in for the recorded content.

- flagged (AIB165): the file matches, but the same AIBOM records a finding on it at or above
  `--fail-on-flagged` (default critical; `none` turns it off): a file can be exactly the
  reviewed one and still run code when loaded.

Components whose `aibom:path` is a folder (a model folder whose files are recorded one by
one, known as a folder because other recorded paths lie below it, or because it is one on
disk) are never hashed and never "missing". Exit codes: 0 every recorded file matches and nothing is
unrecorded; 1 any finding; 2 the AIBOM cannot be read or records no file at all.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from ..checks.integrity import IntegrityFact, IntegrityKind, integrity_findings
from ..config import Config
from ..errors import EXIT_FINDINGS, EXIT_OK, AibomError, ConfigError, InputError
from ..model import ArtifactFormat, Finding, Location, Severity

if TYPE_CHECKING:
    from ..bom.read import LoadedBom

BLOCK = 1024 * 1024
LFS_POINTER_MAX = 1024


@dataclass
class VerifyResult:
    checked: list[str] = field(default_factory=list)  # recorded files re-hashed and matching
    facts: list[IntegrityFact] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def run(
    bom_file: Path,
    root: Path,
    report_format: str,
    *,
    only: Path | None = None,
    fail_on_flagged: str = "critical",
    config_file: Path | None = None,
    trust_keys: tuple[Path, ...] = (),
    trust_identities: tuple[str, ...] = (),
    online: bool | None = None,
    bom_signature: Path | None = None,
) -> int:
    from ..config import load_config

    config = load_config(
        root,
        config_file,
        trust_keys=trust_keys,
        trust_identities=trust_identities,
        online=online,
    )
    notes: list[str] = []
    if bom_signature is not None:
        signed = _bom_signature_findings(bom_file, bom_signature, config, notes)
        if signed:  # the AIBOM itself cannot be trusted: do not act on what it says
            result = VerifyResult(findings=signed)
            _render(result, bom_file, root, report_format, notes)
            return EXIT_FINDINGS
    threshold = None if fail_on_flagged == "none" else Severity.parse(fail_on_flagged)
    result = verify(bom_file, root, only=only, fail_on_flagged=threshold)
    result.findings.extend(_signature_findings(root, config, notes))
    _render(result, bom_file, root, report_format, notes)
    return EXIT_OK if result.ok else EXIT_FINDINGS


def _render(
    result: VerifyResult, bom_file: Path, root: Path, report_format: str, notes: list[str]
) -> None:
    if report_format == "json":
        sys.stdout.write(render_json(result, bom_file, root, notes))
        return
    sys.stdout.write(render_text(result))
    counts: dict[str, int] = {}
    for fact in result.facts:
        counts[fact.kind.value] = counts.get(fact.kind.value, 0) + 1
    parts = [f"{len(result.checked)} verified"] + [
        f"{counts[k]} {k}"
        for k in ("changed", "missing", "unrecorded", "unverifiable", "flagged")
        if counts.get(k)
    ]
    signature_problems = sum(1 for f in result.findings if f.rule_id in SIGNATURE_RULES)
    if signature_problems:
        parts.append(f"{signature_problems} signature finding(s)")
    for note in notes:
        sys.stderr.write(f"aibom verify: note: {note}\n")
    sys.stderr.write(f"aibom verify: {', '.join(parts)}\n")


SIGNATURE_RULES = frozenset({"AIB701", "AIB702", "AIB703", "AIB704"})


def _bom_signature_findings(
    bom_file: Path, signature: Path, config: Config, notes: list[str]
) -> list[Finding]:
    """Findings when the AIBOM's own signature does not hold; none when it verifies."""
    from ..signatures.bom_signature import check_bom_signature
    from ..signatures.verify import Verdict

    outcome = check_bom_signature(bom_file, signature, config.signatures)
    where = Location(signature.as_posix())
    common = {"bundle": signature.as_posix(), "subject": bom_file.as_posix()}
    if outcome.verdict is Verdict.VERIFIED:
        who = outcome.signer or (
            f"key {outcome.key_fingerprint}" if outcome.key_fingerprint else ""
        )
        notes.append(f"AIBOM signature verified ({who})")
        return []
    if outcome.verdict is Verdict.UNVERIFIABLE:
        raise ConfigError(
            f"cannot check the AIBOM signature: {outcome.reason}",
            signature.as_posix(),
            hint="give the signer with --trust-key PEM or --trust-identity IDENTITY@ISSUER",
        )
    if outcome.verdict is Verdict.UNTRUSTED:
        signer = outcome.signer or f"key {(outcome.key_fingerprint or '')[:16]}"
        return [Finding.make("AIB702", where, signer=signer, reason=outcome.reason, **common)]
    return [Finding.make("AIB701", where, reason=outcome.reason, **common)]


def _signature_findings(root: Path, config: Config, notes: list[str]) -> list[Finding]:
    """Model signatures under `root`, judged like `aibom scan` does."""
    from ..analyzers.signature_files import signature_inventory
    from ..checks.signatures import required_signature_findings, signature_findings

    if not root.is_dir():
        return []
    inventory = signature_inventory(root, config)
    found = [
        *signature_findings(inventory, config),
        *required_signature_findings(inventory, config),
    ]
    for finding in found:
        if finding.rule_id not in SIGNATURE_RULES:
            args = finding.arg_dict
            notes.append(f"{args.get('subject')}: signature not verified ({args.get('reason')})")
    return sorted(
        (f for f in found if f.rule_id in SIGNATURE_RULES),
        key=lambda f: (f.location.path, f.rule_id),
    )


def verify(
    bom_file: Path,
    root: Path,
    *,
    only: Path | None = None,
    fail_on_flagged: Severity | None = Severity.CRITICAL,
) -> VerifyResult:
    from ..bom import load_bom

    if not root.is_dir():
        raise InputError(
            "not a folder", str(root), hint="give the folder the AIBOM describes with --root"
        )
    prefix = _filter_below(root, only)
    bom = load_bom(bom_file)
    recorded: dict[str, str | None] = {}
    for comp in bom.components:
        path = comp.prop("aibom:path")
        if not path:
            continue
        digest = comp.hashes.get("sha-256") or comp.hashes.get("sha256")
        if path not in recorded or recorded[path] is None:
            recorded[path] = digest.lower() if digest else None
    if not recorded:
        raise InputError(
            "the AIBOM records no files (no component has an aibom:path): nothing to verify",
            str(bom_file),
            hint="write the AIBOM with `aibom scan -o aibom.cdx.json` on the model folder",
        )
    folders = _recorded_folders(recorded)
    result = VerifyResult()
    real_root = root.resolve()
    for rel, expected in sorted(recorded.items()):
        if rel in folders or not _below(rel, prefix):
            continue  # a folder's files are recorded one by one; PATH filters the rest
        _verify_one(rel, expected, root, real_root, result)
    _unrecorded(root, set(recorded) | folders, result, prefix)
    if fail_on_flagged is not None:
        _flagged(bom, fail_on_flagged, result)
    result.findings = integrity_findings(result.facts)
    return result


def _filter_below(root: Path, only: Path | None) -> str:
    """PATH as a POSIX path relative to the root ("" for the whole root)."""
    if only is None:
        return ""
    try:
        rel = only.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise InputError(
            f"PATH is not inside the verified root ({root})",
            str(only),
            hint="PATH filters below the scanned folder: give that folder with --root DIR",
        ) from None
    if not only.exists():
        raise InputError("path does not exist", str(only), hint="check the path you gave")
    return "" if rel == "." else rel


def _below(rel: str, prefix: str) -> bool:
    return not prefix or rel == prefix or rel.startswith(prefix + "/")


def _recorded_folders(recorded: dict[str, str | None]) -> set[str]:
    """Recorded paths with other recorded paths below them: model folders, not files."""
    folders: set[str] = set()
    for rel in recorded:
        parts = rel.split("/")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    return {rel for rel in recorded if rel in folders and recorded[rel] is None}


def _flagged(bom: LoadedBom, threshold: Severity, result: VerifyResult) -> None:
    """Files that match but that the AIBOM records a finding on at or above `threshold`."""
    paths = {c.bom_ref: c.prop("aibom:path") for c in bom.components}
    verified = set(result.checked)
    flagged: dict[str, tuple[str, str, str]] = {}
    for finding in bom.findings:
        if not finding.is_aibom_finding:
            continue
        try:
            severity = Severity.parse(finding.severity)
        except ValueError:
            continue
        if severity < threshold:
            continue
        where = {paths.get(ref) for ref in finding.affects} | {_location_path(finding.location)}
        for rel in sorted(p for p in where if p and p in verified):
            best = flagged.get(rel)
            if best is None or Severity.parse(best[1]) < severity:
                flagged[rel] = (finding.id, severity.label, finding.description)
    for rel, (rule, label, text) in sorted(flagged.items()):
        result.checked.remove(rel)
        args = (("finding", text), ("rule", rule), ("severity", label))
        result.facts.append(IntegrityFact(IntegrityKind.FLAGGED, rel, args))


def _location_path(location: str | None) -> str | None:
    """The file of a recorded `aibom:location` (`path`, `path:line`, `path (member)`)."""
    if not location:
        return None
    path = location.split(" (", 1)[0]
    head, sep, tail = path.rpartition(":")
    return head if sep and tail.isdigit() else path


def _verify_one(
    rel: str, expected: str | None, root: Path, real_root: Path, result: VerifyResult
) -> None:
    def fact(kind: str, **args: str) -> None:
        result.facts.append(IntegrityFact(IntegrityKind(kind), rel, tuple(sorted(args.items()))))

    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or "\\" in rel or rel.startswith("/"):
        fact("unverifiable", problem="the recorded path leaves the verified folder")
        return
    if rel == "." and expected is None:
        return  # the scanned folder itself (a model folder at the root): its files are recorded
    if "\x00" in rel or not pure.parts:
        fact("unverifiable", problem="the recorded path is not a valid file path")
        return
    path = root.joinpath(*pure.parts)
    try:
        if path.is_dir():
            return  # a folder component: its files are recorded one by one
        if not path.exists() and not path.is_symlink():
            fact("missing", expected=expected or "not recorded")
            return
    except OSError as exc:  # e.g. a name too long for the file system
        fact("unverifiable", problem=f"cannot look it up: {exc.strerror or exc}")
        return
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        fact("unverifiable", problem="a broken or looping symlink")
        return
    if real != real_root and real_root not in real.parents:
        fact("unverifiable", problem="a symlink that leaves the verified folder")
        return
    if expected is None:
        fact("unverifiable", problem="the AIBOM records no SHA-256 for this file")
        return
    try:
        actual, head = _sha256(real)
    except OSError as exc:
        fact("unverifiable", problem=f"cannot read: {exc.strerror or exc}")
        return
    if actual == expected:
        result.checked.append(rel)
        return
    if head.startswith(b"version https://git-lfs.github.com/spec/") and expected in head.decode(
        "ascii", "replace"
    ):
        fact(
            "unverifiable",
            problem="a Git LFS pointer to the recorded content: run `git lfs pull` first",
        )
        return
    fact("changed", expected=expected, actual=actual)


def _sha256(path: Path) -> tuple[str, bytes]:
    digest = hashlib.sha256()
    head = b""
    with path.open("rb") as fh:
        while True:
            block = fh.read(BLOCK)
            if not block:
                break
            if not head:
                head = block[:LFS_POINTER_MAX]
            digest.update(block)
    return digest.hexdigest(), head


def _unrecorded(root: Path, recorded: set[str], result: VerifyResult, prefix: str = "") -> None:
    from .. import sources
    from ..config import load_config
    from ..model import ScanError
    from ..scan import sniff_file
    from ..walk import walk

    try:
        exclude = load_config(root).exclude
    except AibomError:  # a broken config must not stop verification; `aibom scan` reports it
        exclude = ()
    walked = walk((root,), exclude)
    for error in walked.errors:  # a folder we cannot read could hide unrecorded files
        if error.location.path in recorded or not _below(error.location.path, prefix):
            continue  # judged above, or outside PATH
        result.facts.append(
            IntegrityFact(
                IntegrityKind.UNVERIFIABLE, error.location.path, (("problem", error.reason),)
            )
        )
    for ref in walked.files:
        if ref.rel in recorded or not _below(ref.rel, prefix):
            continue
        if sources.classify(ref.rel) is not None:
            continue
        fmt = sniff_file(ref)
        if isinstance(fmt, ScanError):
            result.facts.append(
                IntegrityFact(IntegrityKind.UNVERIFIABLE, ref.rel, (("problem", fmt.reason),))
            )
        elif fmt is ArtifactFormat.MODEL_SIGNATURE:
            continue  # judged by the signature checks (and most JSON is no model signature)
        elif fmt is not None:
            result.facts.append(
                IntegrityFact(IntegrityKind.UNRECORDED, ref.rel, (("format", fmt),))
            )


def render_text(result: VerifyResult) -> str:
    from ..rules import get_rule

    lines = []
    for finding in result.findings:
        rule = get_rule(finding.rule_id)
        lines.append(f"{finding.location.path}: {finding.rule_id} {rule.render(finding)}\n")
    return "".join(lines)


VERIFY_SCHEMA = "aibom-verify/1"


def render_json(
    result: VerifyResult, bom_file: Path, root: Path, notes: list[str] | None = None
) -> str:
    """The scan report's vocabulary (`rule`, `severity`, `location`, ...; docs/json-report.md)."""
    from .. import __version__
    from ..rules import get_rule

    def finding(f: Finding) -> dict[str, object]:
        rule = get_rule(f.rule_id)
        loc = f.location
        return {
            "rule": rule.id,
            "slug": rule.slug,
            "title": rule.title,
            "severity": rule.severity.label,
            "message": rule.render(f),
            "remediation": rule.remediation,
            "location": {"path": loc.path, "line": loc.line, "member": loc.member},
            "args": f.arg_dict,
            "fingerprint": f.fingerprint,
            "suppressed": False,
        }

    data = {
        "schema": VERIFY_SCHEMA,
        "tool": {"name": "aibom", "version": __version__},
        "bom": bom_file.as_posix(),
        "root": root.as_posix(),
        "ok": result.ok,
        "verified": sorted(result.checked),
        "findings": [finding(f) for f in result.findings],
        "notes": list(notes or ()),
    }
    return json.dumps(data, indent=2, sort_keys=False) + "\n"
