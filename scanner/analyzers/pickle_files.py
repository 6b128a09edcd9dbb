"""Raw pickle files (any name): plain pickles, dill/cloudpickle, joblib (uncompressed), and
legacy PyTorch checkpoints (five stacked pickles, then raw storages).

Every pickle-bearing container (zip members, tar members, decompressed wrappers, `.npy`
object arrays) reuses `analyze_pickle_blob`.
"""

from __future__ import annotations

from ..config import Config
from ..model import (
    Collected,
    FileRef,
)
from ..sniff import MODEL_EXTENSIONS, looks_like_pickle
from . import unknown_files
from .blobs import Blob, new_artifact, open_buffer
from .hashing import sha256_of
from .pickle_blobs import acted, analyze_pickle_blob, finish_artifact, limits_for, record_pickle


def analyze_file(file: FileRef, fmt: str, config: Config) -> Collected:
    """A raw pickle file: scan every pickle in it, hash it, guess its framework."""
    artifact = new_artifact(file, "pickle")
    try:
        with open_buffer(file.path, file.size) as buf:
            blob = Blob(buf, 0, len(buf))
            result = analyze_pickle_blob(blob, None, limits_for(config))
            if not looks_like_pickle(blob.head(4)) and not acted(result.scan):
                # protocol 0/1 guessed from the first bytes, and nothing a pickle would do:
                # text that merely starts like one
                if file.path.suffix.lower() in MODEL_EXTENSIONS:
                    return unknown_files.analyze_file(file, "unknown-model", config)
                return Collected()
            artifact.format = result.format
            if result.format == "pytorch-legacy":
                artifact.framework = "pytorch"
            record_pickle(artifact, result, None)
            artifact.sha256 = sha256_of(buf, file.path, file.size)
    except OSError as exc:
        artifact.incomplete.append(f"cannot read: {exc.strerror or exc}")
    finish_artifact(artifact, file.path.parent)
    return Collected(artifacts=[artifact])
