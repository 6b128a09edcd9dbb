"""Files named like model weights whose content matches no known format: recorded (with
their hash) and reported as not analysed, never silently skipped."""

from __future__ import annotations

from ..config import Config
from ..model import Artifact, Collected, ComponentKind, FileRef
from .hashing import hash_file


def analyze_file(file: FileRef, fmt: str, config: Config) -> Collected:
    artifact = Artifact(path=file.rel, format="unknown", size=file.size, kind=ComponentKind.FILE)
    try:
        artifact.sha256 = hash_file(file.path)
    except OSError as exc:
        artifact.incomplete.append(f"cannot read: {exc.strerror or exc}")
        return Collected(artifacts=[artifact])
    artifact.incomplete.append(
        f"unrecognised content for a model file (named {file.path.suffix or 'without extension'})"
    )
    return Collected(artifacts=[artifact])
