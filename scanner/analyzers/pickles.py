"""Raw pickle files (any name): plain pickles, dill/cloudpickle, joblib (uncompressed), and
legacy PyTorch checkpoints (five stacked pickles, then raw storages).

Every pickle-bearing container (zip members, tar members, decompressed wrappers, `.npy`
object arrays) reuses `analyze_pickle_blob`.
"""

from __future__ import annotations

import hashlib
import mmap
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Config
from ..model import Artifact, ArtifactIssue, Collected, ComponentKind, Location, PickleImport
from ..sniff import MODEL_EXTENSIONS, looks_like_pickle
from ..walk import FileRef
from . import unknown
from .hashing import BLOCK_SIZE
from .pickle_vm import LEGACY_TORCH_MAGIC, Buffer, Limits, PickleScan, scan_pickle

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
class Blob:
    """A slice of a buffer (bytes or mmap): what every container passes around, zero copy."""

    buf: Buffer
    start: int
    end: int

    @property
    def size(self) -> int:
        return self.end - self.start

    def head(self, n: int = 512) -> bytes:
        return bytes(self.buf[self.start : min(self.end, self.start + n)])


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


def _acted(scan: PickleScan) -> bool:
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


# Files up to this size are read into memory (one read); larger ones are memory-mapped so
# that tensor data is only touched by the hash.
READ_LIMIT = 64 * 1024 * 1024


@contextmanager
def open_buffer(path: Path, size: int) -> Iterator[Buffer]:
    """The file's bytes: read whole when small, a read-only mmap when large."""
    if size <= READ_LIMIT:
        with path.open("rb") as fh:
            yield fh.read(READ_LIMIT + 1)
        return
    with path.open("rb") as fh:
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            yield mm
        finally:
            mm.close()


def sha256_buffer(buf: Buffer, size: int) -> str:
    digest = hashlib.sha256()
    view = memoryview(buf)
    try:
        for pos in range(0, size, BLOCK_SIZE):
            digest.update(view[pos : pos + BLOCK_SIZE])
    finally:
        view.release()
    return digest.hexdigest()


def new_artifact(file: FileRef, fmt: str) -> Artifact:
    return Artifact(path=file.rel, format=fmt, size=file.size, kind=ComponentKind.MODEL)


def limits_for(config: Config) -> Limits:
    return Limits()


def finish_artifact(artifact: Artifact) -> None:
    """Framework guess and the properties every pickle-bearing artifact carries."""
    if artifact.framework is None:
        artifact.framework = guess_framework(artifact.pickle_imports)
    if artifact.pickle_imports or artifact.facts.get("pickles"):
        artifact.properties.setdefault("aibom:pickle", "true")
        artifact.properties["aibom:pickle:global-count"] = str(
            len({i.qualname for i in artifact.pickle_imports})
        )


def analyze_file(file: FileRef, fmt: str, config: Config) -> Collected:
    """A raw pickle file: scan every pickle in it, hash it, guess its framework."""
    artifact = new_artifact(file, "pickle")
    try:
        with open_buffer(file.path, file.size) as buf:
            blob = Blob(buf, 0, len(buf))
            result = analyze_pickle_blob(blob, None, limits_for(config))
            if not looks_like_pickle(blob.head(4)) and not _acted(result.scan):
                # protocol 0/1 guessed from the first bytes, and nothing a pickle would do:
                # text that merely starts like one
                if file.path.suffix.lower() in MODEL_EXTENSIONS:
                    return unknown.analyze_file(file, "unknown-model", config)
                return Collected()
            artifact.format = result.format
            if result.format == "pytorch-legacy":
                artifact.framework = "pytorch"
            record_pickle(artifact, result, None)
            artifact.sha256 = sha256_buffer(buf, len(buf))
    except OSError as exc:
        artifact.incomplete.append(f"cannot read: {exc.strerror or exc}")
    finish_artifact(artifact)
    return Collected(artifacts=[artifact])


def describe(value: Any) -> str:
    return str(value)
