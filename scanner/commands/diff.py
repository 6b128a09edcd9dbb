"""`aibom diff OLD NEW [--repo PATH]`: load (or scan) two AIBOMs, diff, render, gate."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from ..bom import load_bom, parse_bom
from ..bom.read import LoadedBom
from ..diff import diff, render, valid_fail_on_kinds
from ..errors import EXIT_FINDINGS, EXIT_OK, InputError
from ..signatures.trust import SignaturePolicy


def parse_fail_on(text: str | None) -> list[str]:
    """The kinds that fail the run: `DEFAULT_FAIL_ON` when the option is not given, none for
    `--fail-on none`."""
    from ..diff.compare import DEFAULT_FAIL_ON

    if text is None:
        return list(DEFAULT_FAIL_ON)
    if text.strip().lower() == "none":
        return []
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    valid = valid_fail_on_kinds()
    unknown = [k for k in kinds if k not in valid]
    if unknown:
        raise InputError(
            f"unknown change kind(s) in --fail-on: {', '.join(unknown)}",
            hint="valid kinds: " + ", ".join(valid),
        )
    return kinds


def run(
    old: str,
    new: str,
    fmt: str,
    fail_on: str | None,
    repo: Path | None,
    config_file: Path | None = None,
    *,
    old_signature: Path | None = None,
    new_signature: Path | None = None,
    trust_keys: tuple[Path, ...] = (),
    trust_identities: tuple[str, ...] = (),
) -> int:
    """`aibom diff`: pickle globals are judged with the user's configuration (`safe-globals`
    in the current folder's .aibom.toml / pyproject.toml, or `--config`), as `scan` does.
    With --old-signature / --new-signature, each AIBOM's own signature is checked first."""
    from ..config import load_config
    from ..diff.compare import default_judge

    kinds = parse_fail_on(fail_on)
    config = load_config(
        Path("."), config_file, trust_keys=trust_keys, trust_identities=trust_identities
    )
    judge = default_judge(config)
    signatures = [(Path(old), old_signature), (Path(new), new_signature)]
    if any(sig is not None for _, sig in signatures):
        if repo is not None:
            raise InputError(
                "--old-signature/--new-signature check AIBOM files, not --repo revisions"
            )
        for bom_file, sig in signatures:
            if sig is not None and not _signature_holds(bom_file, sig, config.signatures):
                return EXIT_FINDINGS
    if repo is not None:
        before = scan_revision(repo, old)
        after = scan_revision(repo, new)
    else:
        before = load_bom(Path(old))
        after = load_bom(Path(new))
    for bom in (before, after):
        require_known_spec(bom)
    changes = diff(before, after, judge)
    failed = changes.matching(kinds) if kinds else []
    gate = "the default gate" if fail_on is None else "--fail-on"
    sys.stdout.write(render(changes, fmt, failed, gate=gate))
    return EXIT_FINDINGS if failed else EXIT_OK


def require_known_spec(bom: LoadedBom) -> None:
    """The same refusal, with the same message, as `aibom validate`."""
    from ..bom.validate import JSON_VERSIONS, XML_VERSIONS

    if bom.spec_version not in {*JSON_VERSIONS, *XML_VERSIONS}:
        raise InputError(
            f"unsupported or missing specVersion {bom.spec_version!r}",
            bom.origin,
            hint=f"JSON schemas are known for CycloneDX {', '.join(JSON_VERSIONS)}",
        )


def _signature_holds(bom_file: Path, signature: Path, policy: SignaturePolicy) -> bool:
    """Check an AIBOM's own model-signing signature before reading it (stderr says why not)."""
    from ..errors import ConfigError
    from ..signatures.bom_signature import check_bom_signature
    from ..signatures.verify import Verdict

    outcome = check_bom_signature(bom_file, signature, policy)
    if outcome.verdict is Verdict.VERIFIED:
        return True
    if outcome.verdict is Verdict.UNVERIFIABLE:
        raise ConfigError(
            f"cannot check the AIBOM signature: {outcome.reason}",
            signature.as_posix(),
            hint="give the signer with --trust-key PEM or --trust-identity IDENTITY@ISSUER",
        )
    rule = "AIB701" if outcome.verdict is Verdict.INVALID else "AIB702"
    sys.stderr.write(
        f"{signature.as_posix()}: {rule} the signature of {bom_file.as_posix()} does not hold: "
        f"{outcome.reason}; not diffing an AIBOM that cannot be trusted\n"
    )
    return False


def scan_revision(repo: Path, rev: str) -> LoadedBom:
    """Export `rev` with `git archive` into a temporary folder (the working copy, index and
    worktree list are never touched), scan it, and read its AIBOM back."""
    from ..bom import render_bom
    from ..config import ScanRequest, build_config
    from ..scan import scan

    commit = _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if commit.returncode != 0:
        raise InputError(
            f"not a git revision: {rev!r}", str(repo), hint="give a commit, tag or branch name"
        )
    with tempfile.TemporaryDirectory(prefix="aibom-diff-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        archive = Path(tmp) / "rev.tar"
        with archive.open("wb") as fh:
            done = subprocess.run(
                ["git", "-C", str(repo), "archive", "--format=tar", commit.stdout.strip()],
                stdout=fh,
                stderr=subprocess.PIPE,
                check=False,
            )
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()
            raise InputError(f"git archive failed for {rev}: {message}", str(repo))
        with tarfile.open(archive) as tar:
            tar.extractall(tree, filter="data")
        config = build_config(ScanRequest(paths=(tree,), reproducible=True))
        result = scan(config)
        text = render_bom(result, "json", "1.6")
    return parse_bom(text.encode("utf-8"), f"{rev} ({commit.stdout.strip()[:12]})")


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise InputError("git is not installed", hint="install git to diff revisions") from None
