"""scan(config) -> ScanResult: walk -> collect (sources, analyzers) -> Inventory -> checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from . import analyzers, sources
from .config import Config
from .model import (
    ArtifactFormat,
    Collected,
    FileRef,
    Finding,
    Inventory,
    Location,
    ScanError,
)
from .outputs import is_own_output
from .sniff import HEAD_SIZE, sniff
from .sources.templates import as_template_gaps
from .walk import walk

if TYPE_CHECKING:
    from .checks import Check


@dataclass
class ScanResult:
    inventory: Inventory
    findings: list[Finding]  # after policy: these are the ones reported
    config: Config
    suppressed: list[Finding] = field(default_factory=list)  # inline or baseline

    @property
    def complete(self) -> bool:
        return self.inventory.complete


def scan(config: Config, progress: Callable[[FileRef], None] | None = None) -> ScanResult:
    inventory = collect(config, progress)
    enrich(inventory, config)
    findings = run_checks(inventory, config)
    from .policy import apply_policy

    kept, suppressed = apply_policy(findings, inventory, config)
    return ScanResult(inventory, kept, config, suppressed)


def collect(config: Config, progress: Callable[[FileRef], None] | None = None) -> Inventory:
    """Walk every root and run each file's collector; bad input becomes scan errors."""
    inventory = Inventory(roots=tuple(r.as_posix() for r in config.roots))
    walked = walk(config.roots, config.exclude, tracked_only=config.tracked_only)
    inventory.errors.extend(walked.errors)
    # aibom's own AIBOMs and reports from an earlier run are outputs, not inputs
    files = [f for f in walked.files if not is_own_output(f.path, f.size)]
    named: set[str] = set()
    for extra in config.extra_files:
        if not extra.is_file():
            inventory.errors.append(ScanError(Location(extra.as_posix()), "file not found"))
            continue
        ref = FileRef(extra, extra.as_posix(), extra.stat().st_size)
        walked_ref = next((f for f in files if f.path.resolve() == extra.resolve()), None)
        if walked_ref is None:
            files.append(ref)
        named.add((walked_ref or ref).rel)
    from .execution.file_tasks import FileJob
    from .execution.scheduling import run_files  # the digest cache, worker processes, a cluster

    # a file named with -r is a requirements file whatever its name
    jobs = [FileJob(f, f.rel in named) for f in files]
    inventory.files_scanned = len(files)
    collected_all = Collected()
    for collected in run_files(jobs, config, progress):
        collected_all.extend(collected)
    for env in config.envs:
        collected_all.extend(_collect_env(env, config))
    for folder_analyzer in analyzers.get_folder_analyzers():
        found = guarded(partial(folder_analyzer, files, collected_all, config), ".")
        collected_all.extend(found)
    inventory.add(collected_all)
    return inventory


Task = Callable[[FileRef, Config], Collected]


def collector_for(file: FileRef) -> Task | ScanError | None:
    """What reads `file`: its dependency/code collector (by name), else the analyzer of its
    sniffed format; a ScanError when its first bytes cannot be read; None when it is neither."""
    kind = sources.classify(file.rel)
    if kind is not None:
        return sources.get_collector(kind)
    return analyzer_for(file)


def analyzer_for(file: FileRef) -> Task | ScanError | None:
    """The analyzer of `file`'s format, decided from its first bytes (see `collector_for`)."""
    fmt = sniff_file(file)
    if fmt is None or isinstance(fmt, ScanError):
        return fmt
    analyzer = analyzers.get_analyzer(fmt)
    return lambda f, c: analyzer(f, fmt, c)


def sniff_file(file: FileRef) -> ArtifactFormat | ScanError | None:
    """`sniff` on the file's first bytes; a ScanError when they cannot be read."""
    try:
        with file.path.open("rb") as fh:
            head = fh.read(HEAD_SIZE)
    except OSError as exc:
        return ScanError(Location(file.rel), f"cannot read: {exc.strerror or exc}")
    return sniff(file.path, head, file.size)


def by_name(file: FileRef, task: Task, config: Config) -> Collected:
    """Run the collector chosen by a file's name; a template that only looks like a
    dependency file or code (`{{ placeholders }}`) is a gap, not an unreadable file."""
    result = guarded(lambda: task(file, config), file.rel)
    if result.errors:
        result = as_template_gaps(file, result)
    return result


def guarded(run: Callable[[], Collected], where: str) -> Collected:
    """Run one collector or analyzer: one that raises on hostile input must not stop the scan,
    and its file is reported (fail closed). The only place exceptions become scan errors."""
    try:
        return run()
    except RecursionError:
        return Collected(errors=[ScanError(Location(where), "input nested too deeply")])
    except MemoryError:
        return Collected(errors=[ScanError(Location(where), "input too large to analyse")])
    except Exception as exc:  # any failure on one file is that file's scan error
        reason = f"internal error while reading ({type(exc).__name__}: {exc})"
        return Collected(errors=[ScanError(Location(where), reason)])


def _collect_env(env: Path, config: Config) -> Collected:
    from .sources.environment import collect_environment

    return guarded(lambda: collect_environment(env, config), env.as_posix())


# Enrichers add facts from the network or local databases; each runs only when enabled.
def enrich(inventory: Inventory, config: Config) -> None:
    if config.online:
        from .enrich.index import enrich_from_index

        enrich_from_index(inventory, config)
    if config.audit or config.vuln_db is not None:
        from .enrich.vulns import enrich_vulnerabilities

        enrich_vulnerabilities(inventory, config)


def run_checks(
    inventory: Inventory,
    config: Config,
    only: Iterable[str] | None = None,
    checks: Iterable[Check] | None = None,
) -> list[Finding]:
    """The findings of `checks` (default: every check), restricted to the rule ids `only`."""
    if checks is None:
        from .checks import all_checks

        checks = all_checks()
    wanted = set(only) if only is not None else None
    findings: set[Finding] = set()
    for check in checks:
        if wanted is not None and not (check.rule_ids & wanted):
            continue
        for finding in check.run(inventory, config):
            if wanted is None or finding.rule_id in wanted:
                findings.add(finding)
    return sorted(findings, key=finding_sort_key)


def finding_sort_key(finding: Finding) -> tuple[str, int, str, str, tuple[tuple[str, str], ...]]:
    loc = finding.location
    return (loc.path, loc.line or 0, loc.member or "", finding.rule_id, finding.args)
