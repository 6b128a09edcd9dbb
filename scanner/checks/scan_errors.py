"""Scan errors become findings: a file aibom could not read or fully analyse is never clean."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from ..config import Config
from ..model import ArtifactFormat, Finding, Inventory, Location
from .check import Check

# the rules that mean "a file could not be read or fully analysed": the scan is incomplete
INCOMPLETE_RULES = frozenset({"AIB901", "AIB902"})


def scan_error_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    for error in inventory.errors:
        yield Finding.make("AIB901", error.location, reason=error.reason)
    for artifact in inventory.artifacts:
        for reason in artifact.incomplete:
            yield Finding.make("AIB902", Location(artifact.path), reason=reason)


def gap_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    for gap in inventory.gaps:
        yield Finding.make("AIB904", gap.location, reason=gap.reason)


def lfs_pointer_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    """A pointer under a model or data file's name: the weights or data were not fetched, so
    not scanned. (Pointers under other names are inventoried with the identity they name, not
    reported.)"""
    from ..analyzers.data_formats import DATA_SUFFIXES
    from ..sniff import MODEL_EXTENSIONS

    for artifact in inventory.artifacts:
        suffix = PurePosixPath(artifact.path).suffix.lower()
        if (
            artifact.format == ArtifactFormat.LFS_POINTER
            and not artifact.incomplete
            and (suffix in MODEL_EXTENSIONS or suffix in DATA_SUFFIXES)
        ):
            yield Finding.make(
                "AIB903", Location(artifact.path), size=artifact.size, oid=artifact.sha256
            )


CHECKS: tuple[Check, ...] = (
    Check(INCOMPLETE_RULES, scan_error_findings, "scan errors"),
    Check(frozenset({"AIB903"}), lfs_pointer_findings, "Git LFS pointers"),
    Check(frozenset({"AIB904"}), gap_findings, "parts not inventoried"),
)
