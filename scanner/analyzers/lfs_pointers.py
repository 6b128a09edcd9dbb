"""Git LFS pointer files: a checkout without `git lfs pull` (or `git archive`) has small text
pointers where the model files should be. They are recorded as such — with the SHA-256 and
size of the real content the pointer names — and never analysed as models."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ..config import Config
from ..model import Artifact, Collected, ComponentKind, FileRef, Location, ScanError

LFS_MAGIC = b"version https://git-lfs.github.com/spec/v1"
MAX_POINTER_BYTES = 1024
_OID = re.compile(r"^oid sha256:([0-9a-f]{64})$", re.MULTILINE)
_SIZE = re.compile(r"^size (\d+)$", re.MULTILINE)


def analyze_file(file: FileRef, fmt: str, config: Config) -> Collected:
    try:
        with file.path.open("rb") as fh:
            data = fh.read(MAX_POINTER_BYTES + 1)
    except OSError as exc:
        return Collected(errors=[ScanError(Location(file.rel), f"cannot read: {exc.strerror}")])
    text = data.decode("ascii", "replace")
    oid = _OID.search(text)
    size = _SIZE.search(text)
    artifact = Artifact(
        path=file.rel,
        format="lfs-pointer",
        size=int(size.group(1)) if size else 0,
        sha256=oid.group(1) if oid else None,
        kind=_kind(file.rel),
        facts={"pointer_bytes": file.size},
        properties={"aibom:lfs-pointer": "true"},
    )
    if len(data) > MAX_POINTER_BYTES or oid is None or size is None:
        artifact.incomplete.append("malformed Git LFS pointer (no sha256 oid or size)")
    return Collected(artifacts=[artifact])


def _kind(rel: str) -> ComponentKind:
    """What the pointed-to file is, by its name: its identity is that model's or data set's."""
    from ..sniff import MODEL_EXTENSIONS
    from .data_formats import DATA_SUFFIXES

    suffix = PurePosixPath(rel).suffix.lower()
    if suffix in MODEL_EXTENSIONS:
        return ComponentKind.MODEL
    if suffix in DATA_SUFFIXES:
        return ComponentKind.DATA
    return ComponentKind.FILE
