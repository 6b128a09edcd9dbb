"""The analysis of one pickle stream inside any container (a raw file, a zip member, a
joblib stream, a NumPy object array): run the static VM, record its imports, nested pickles
and issues on the artifact. Shared by every pickle-bearing analyzer."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..model import (
    Artifact,
    ArtifactIssue,
    Location,
    PickleImport,
)
from .blobs import Blob
from .pickle_vm import LEGACY_TORCH_MAGIC, Limits, PickleScan, scan_pickle

# Module prefixes that name the framework a pickle was written by, most specific first.
_FRAMEWORKS: tuple[tuple[str, str], ...] = (
    ("torch", "pytorch"),
    ("xgboost", "xgboost"),
    ("lightgbm", "lightgbm"),
    ("catboost", "catboost"),
    ("sklearn", "scikit-learn"),
    ("keras", "keras"),
    ("tensorflow", "tensorflow"),
    ("transformers", "transformers"),
    ("pandas", "pandas"),
    ("dill", "dill"),
    ("cloudpickle", "cloudpickle"),
    ("joblib", "joblib"),
    ("numpy", "numpy"),
)


def guess_framework(imports: Iterable[PickleImport]) -> str | None:
    roots = {imp.module.split(".", 1)[0] for imp in imports}
    for prefix, name in _FRAMEWORKS:
        if prefix in roots:
            return name
    return None


@dataclass
class PickleResult:
    format: str  # "pickle", "pytorch-legacy", "joblib"
    scan: PickleScan
    data_offset: int  # where non-pickle data begins (legacy storages, joblib arrays)
    issues: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


def analyze_pickle_blob(
    blob: Blob, member: str | None, limits: Limits | None = None, *, raw_file: bool = True
) -> PickleResult:
    """Scan a pickle-bearing blob: legacy PyTorch (5 pickles, then data) or a pickle stream."""
    lim = limits or Limits()
    scan = scan_pickle(
        blob.buf, start=blob.start, end=blob.end, member=member, limits=lim, legacy_aware=True
    )
    if scan.results and scan.results[0] == LEGACY_TORCH_MAGIC and type(scan.results[0]) is int:
        if scan.pickles < 5 and not scan.incomplete:
            scan.incomplete.append(f"legacy PyTorch checkpoint has {scan.pickles} of its 5 pickles")
        scan.trailing = 0  # storages follow
        return PickleResult("pytorch-legacy", scan, scan.end_offset - blob.start)
    fmt = "pickle"
    modules = {imp.module for imp in scan.imports}
    if scan.joblib_arrays or any(m.startswith("joblib.") for m in modules):
        fmt = "joblib"
    result = PickleResult(fmt, scan, scan.end_offset - blob.start)
    if scan.trailing and raw_file:
        result.issues.append(
            (
                "pickle:trailing-data",
                f"{scan.trailing} bytes after the last pickle are not a pickle",
                {"size": str(scan.trailing), "offset": str(scan.end_offset - blob.start)},
            )
        )
    return result


def record_pickle(artifact: Artifact, result: PickleResult, member: str | None) -> None:
    """Copy a pickle scan's facts into the artifact (imports, nesting, issues, reasons)."""
    scan = result.scan
    artifact.pickle_imports.extend(scan.all_imports())
    where = f"{member}: " if member else ""
    for reason in scan.incomplete:
        artifact.incomplete.append(f"{where}{reason}")
    _record_nested(artifact, scan, member)
    loc = Location(artifact.path, member=member)
    for qualname, offset in scan.global_mutations:
        artifact.issues.append(
            ArtifactIssue(
                "pickle:global-mutation",
                f"BUILD sets attributes on the imported {qualname} at byte {offset}",
                loc,
                (("global", qualname), ("offset", str(offset))),
            )
        )
    for code, target in scan.extensions:
        artifact.issues.append(
            ArtifactIssue(
                "pickle:extension",
                f"the pickle registers copyreg extension code {code} for {target}",
                loc,
                (("code", str(code)), ("global", target)),
            )
        )
    for kind, detail, args in result.issues:
        artifact.issues.append(ArtifactIssue(kind, detail, loc, tuple(sorted(args.items()))))
    pickles = artifact.facts.setdefault("pickles", [])
    pickles.append(
        {
            "member": member,
            "format": result.format,
            "streams": scan.pickles,
            "protocol": scan.protocol,
            "opcodes": scan.opcodes,
            "globals": sorted({i.qualname for i in scan.imports}),
        }
    )
    if scan.protocol:
        current = artifact.properties.get("aibom:pickle:protocol")
        if current is None or int(current) < scan.protocol:
            artifact.properties["aibom:pickle:protocol"] = str(scan.protocol)


def acted(scan: PickleScan) -> bool:
    """A finished stream, or an import that was called: what a real pickle payload does."""
    return scan.pickles > 0 or any(i.called for i in scan.all_imports())


def _record_nested(artifact: Artifact, scan: PickleScan, member: str | None) -> None:
    for nested in scan.nested:
        artifact.facts.setdefault("nested_pickles", []).append(
            {
                "member": member,
                "offset": nested.offset,
                "via": nested.via,
                "inner_member": nested.scan.imports[0].member if nested.scan.imports else None,
                "globals": sorted({i.qualname for i in nested.scan.all_imports()}),
            }
        )
        inner_where = f"{member or ''}[pickle at byte {nested.offset}]: "
        for reason in nested.scan.incomplete:
            artifact.incomplete.append(f"{inner_where}{reason}")
        _record_nested(artifact, nested.scan, member)


def limits_for(config: Config) -> Limits:
    return Limits()


def shipped_modules(artifact: Artifact, folder: Path) -> list[str]:
    """Top-level modules the pickle imports that are Python files (or packages) in the folder
    holding it: loading from that folder runs the folder's own code."""
    found = []
    roots = {imp.module.split(".", 1)[0] for imp in artifact.pickle_imports}
    for root in sorted(roots)[:256]:
        if not root.isidentifier() or root in sys.stdlib_module_names or root == "builtins":
            continue
        try:
            if (folder / f"{root}.py").is_file() or (folder / root / "__init__.py").is_file():
                found.append(root)
        except OSError:
            continue
    return found


def finish_artifact(artifact: Artifact, folder: Path | None = None) -> None:
    """Framework guess and the properties every pickle-bearing artifact carries; with the
    folder holding the file, the modules it ships that the pickle imports."""
    if folder is not None and artifact.pickle_imports:
        shipped = shipped_modules(artifact, folder)
        if shipped:
            artifact.facts["shipped_modules"] = shipped
    if artifact.framework is None:
        artifact.framework = guess_framework(artifact.pickle_imports)
    if artifact.pickle_imports or artifact.facts.get("pickles"):
        artifact.properties.setdefault("aibom:pickle", "true")
        artifact.properties["aibom:pickle:global-count"] = str(
            len({i.qualname for i in artifact.pickle_imports})
        )
