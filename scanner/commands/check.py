"""`aibom check FILE...`: the fast path pre-commit calls with the changed files.

Each file is classified by name (`aibom.sources.classify`); a dependency file (requirements,
constraints, `pyproject.toml`, lock files) goes through its collector and the pins-and-hashes
checks (rule group `pins`), the offline typosquat and known-malicious name checks
(`typosquat`, against the name lists shipped with aibom) and scan errors (`scan`). With
`--models` (the model hook, to which pre-commit passes every committed file) only model files
are checked: every file that is not source code or a dependency file is sniffed by content
(so `model.dill`, a pickle inside `model.zip` and an extensionless `weights` are all found)
and goes through its analyzer and the model checks (every rule group but pins, index, vulns,
typosquat, code and signatures: pickle, formats, scan...); what is not a model is ignored.

Output: one line per finding, `file:line: RULE-ID message` (`file: RULE-ID message` when the
finding has no line), then nothing else on stdout. Exit codes:

  0  no finding (after `# aibom: ignore[...]` comments, `disable` and the baseline)
  1  at least one finding; every finding blocks, whatever its severity, because pre-commit
     hides the output of a passing hook (silence a rule with `disable` or an inline ignore)
  2  a file named on the command line does not exist, the configuration is invalid, or a
     file could not be read or fully analysed (AIB901/AIB902: fail closed, like `scan`)

The findings are the ones `aibom scan` reports for the same files and the same rules: the
same collectors and the same check functions run, on an inventory holding only these files.
Nothing here imports CycloneDX, httpx, pip-audit or jsonschema (a test enforces it).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config, load_config
from ..errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, error_lines
from ..model import Collected, FileKind, FileRef, Finding, Inventory, ScanError
from ..scan import analyzer_for, guarded, run_checks

if TYPE_CHECKING:
    from ..rules import Rule

DEPENDENCY_KINDS = frozenset(
    {
        FileKind.REQUIREMENTS,
        FileKind.PYPROJECT,
        FileKind.SETUP_CFG,
        FileKind.POETRY_LOCK,
        FileKind.UV_LOCK,
        FileKind.PIPFILE_LOCK,
        FileKind.PDM_LOCK,
        FileKind.PYLOCK,
        FileKind.CONDA,
    }
)
DEPENDENCY_GROUPS = frozenset({"pins", "scan", "typosquat"})
# the model hook runs every rule group except those about dependencies, code and services
# "signatures": a signature covers a folder and is verified by `scan` and `verify`; the hook
# sees single files and must not import the model-signing library.
NOT_MODEL_GROUPS = frozenset({"pins", "index", "vulns", "typosquat", "code", "signatures"})


def run(files: tuple[Path, ...], config_file: Path | None, *, models: bool = False) -> int:
    config = load_config(Path("."), config_file)
    findings, missing = check_files(files, config, models=models)
    out = sys.stdout
    for path in missing:
        sys.stderr.write(error_lines("file not found", path, hint="check the path you gave"))
    rules = None
    if findings:
        from ..rules import load_groups

        rules = load_groups(DEPENDENCY_GROUPS)
    out.write("".join(format_line(f, rules) + "\n" for f in findings))
    out.flush()
    if missing:
        return EXIT_USAGE
    from ..checks.scan_errors import INCOMPLETE_RULES

    if any(f.rule_id in INCOMPLETE_RULES for f in findings):
        return EXIT_INCOMPLETE  # fail closed, as `aibom scan` does
    return EXIT_FINDINGS if findings else EXIT_OK


def format_line(finding: Finding, rules: dict[str, Rule] | None = None) -> str:
    from ..rules import get_rule

    loc = finding.location
    where = f"{loc.path}:{loc.line}" if loc.line is not None else loc.path
    if loc.member:
        where += f" ({loc.member})"
    rule = rules[finding.rule_id] if rules and finding.rule_id in rules else None
    rule = rule or get_rule(finding.rule_id)
    return f"{where}: {finding.rule_id} {rule.render(finding)}"


def check_files(
    files: Iterable[Path], config: Config, *, models: bool = False
) -> tuple[list[Finding], list[str]]:
    """(findings after policy, files that do not exist) for the given files."""
    from .. import sources

    inventory = Inventory(roots=(".",))
    missing: list[str] = []
    groups: set[str] = set()
    seen: set[Path] = set()
    for path in files:
        rel = path.as_posix()
        if not path.is_file():
            if path.exists():
                continue  # a folder: pre-commit never passes one; nothing to check
            missing.append(rel)
            continue
        real = path.resolve()
        if real in seen:
            continue
        seen.add(real)
        ref = FileRef(path, _shown(path), path.stat().st_size)
        kind = sources.classify(ref.rel)
        if kind in DEPENDENCY_KINDS and not models:
            groups |= DEPENDENCY_GROUPS
            collector = sources.get_collector(kind)
            inventory.add(guarded(partial(collector, ref, config), ref.rel))
        elif models and kind is None:
            collected = _analyze_model(ref, config)
            if collected is not None:
                groups |= _model_groups()
                inventory.add(collected)
        inventory.files_scanned += 1
    if not groups:
        return [], missing
    findings = run_group_checks(inventory, config, groups)
    if not findings:
        return [], missing  # (the policy only removes findings: no need to load it)
    from ..policy import apply_policy

    kept, _ = apply_policy(findings, inventory, config)
    return kept, missing


def run_group_checks(inventory: Inventory, config: Config, groups: set[str]) -> list[Finding]:
    """`aibom.scan.run_checks` restricted to the rules of `groups`, importing only the check
    modules those groups need on the dependency path (the model path takes the full table)."""
    from ..checks import Check

    checks: tuple[Check, ...]
    if groups <= DEPENDENCY_GROUPS:
        from ..checks import config_trust, pins, scan_errors, typosquat

        # these modules own exactly the rules of the `scan`, `pins` and `typosquat` groups
        # that checks emit (a test asserts it), so the rule files need not be read to know
        # which ids are wanted
        checks = (*scan_errors.CHECKS, *config_trust.CHECKS, *pins.CHECKS, *typosquat.CHECKS)
        wanted = set().union(*(c.rule_ids for c in checks))
    else:
        from ..checks import all_checks
        from ..rules import load_groups

        checks = all_checks()
        wanted = set(load_groups(groups))
    return run_checks(inventory, config, only=wanted, checks=checks)


def _shown(path: Path) -> str:
    """The path as pre-commit gives it (relative to the repository root), POSIX style."""
    text = path.as_posix()
    return text[2:] if text.startswith("./") else text


def _model_groups() -> set[str]:
    from ..rules import all_rules

    return {r.group for r in all_rules().values()} - NOT_MODEL_GROUPS


def _analyze_model(ref: FileRef, config: Config) -> Collected | None:
    task = analyzer_for(ref)
    if task is None:
        return None
    if isinstance(task, ScanError):
        return Collected(errors=[task])
    return guarded(partial(task, ref, config), ref.rel)
