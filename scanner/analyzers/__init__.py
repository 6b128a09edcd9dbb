"""Artifact analyzers: one module per family of formats. They find, checks judge.

`get_analyzer(fmt)` returns the analyzer for a format decided by `aibom.sniff.sniff`. An
analyzer returns a `Collected`, usually holding one `Artifact` for the file (with
`incomplete` reasons when it could not be fully read), and never raises for bad input; it
may return nothing for a file that turns out not to be an artifact (text that only starts
like a pickle).

The table maps each `ArtifactFormat` sniff can return to a loader: a small function that
imports the analyzer module on first use, so the pre-commit fast path imports only what the
files it is given need.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..config import Config
from ..model import ArtifactFormat, Collected, FileRef


class Analyzer(Protocol):
    def __call__(self, file: FileRef, fmt: ArtifactFormat, config: Config) -> Collected: ...


class FolderAnalyzer(Protocol):
    """Runs once per scan over all walked files and the artifacts found so far (e.g. to
    recognise Hugging Face model folders); returns extra facts."""

    def __call__(self, files: list[FileRef], collected: Collected, config: Config) -> Collected: ...


def _pickle_files() -> Analyzer:
    from . import pickle_files

    return pickle_files.analyze_file


def _archives() -> Analyzer:
    from . import archives

    return archives.analyze_file


def _numpy_files() -> Analyzer:
    from . import numpy_files

    return numpy_files.analyze_file


def _safetensors_files() -> Analyzer:
    from . import safetensors_files

    return safetensors_files.analyze_file


def _gguf_files() -> Analyzer:
    from . import gguf_files

    return gguf_files.analyze_file


def _onnx_files() -> Analyzer:
    from . import onnx_files

    return onnx_files.analyze_file


def _keras_files() -> Analyzer:
    from . import keras_files

    return keras_files.analyze_file


def _unknown_files() -> Analyzer:
    from . import unknown_files

    return unknown_files.analyze_file


def _lfs_pointers() -> Analyzer:
    from . import lfs_pointers

    return lfs_pointers.analyze_file


def _signature_files() -> Analyzer:
    from . import signature_files

    return signature_files.analyze_file


def _data_files() -> Analyzer:
    from . import data_files

    return data_files.analyze_file


F = ArtifactFormat
# every format sniff can return -> the loader of its analyzer
ANALYZERS: dict[ArtifactFormat, Callable[[], Analyzer]] = {
    F.PICKLE: _pickle_files,
    F.ZIP: _archives,
    F.TAR: _archives,
    F.GZIP: _archives,
    F.BZIP2: _archives,
    F.XZ: _archives,
    F.LZMA: _archives,
    F.ZSTD: _archives,
    F.ZLIB: _archives,
    F.SEVEN_ZIP: _archives,
    F.LZ4: _archives,
    F.NUMPY: _numpy_files,
    F.SAFETENSORS: _safetensors_files,
    F.GGUF: _gguf_files,
    F.ONNX: _onnx_files,
    F.HDF5: _keras_files,
    F.UNKNOWN_MODEL: _unknown_files,
    F.LFS_POINTER: _lfs_pointers,
    F.MODEL_SIGNATURE: _signature_files,
    F.CSV: _data_files,
    F.TSV: _data_files,
    F.JSONL: _data_files,
    F.PARQUET: _data_files,
    F.ARROW: _data_files,
    F.ARROW_STREAM: _data_files,
    F.FEATHER_V1: _data_files,
    F.TFRECORD: _data_files,
}


def get_analyzer(fmt: ArtifactFormat) -> Analyzer:
    return ANALYZERS[fmt]()


def _hf_folders() -> FolderAnalyzer:
    from . import hf_folders

    return hf_folders.analyze_folders


def _data_sets() -> FolderAnalyzer:
    from . import data_sets

    return data_sets.analyze_folders


def _signed_folders() -> FolderAnalyzer:
    from . import signature_files

    return signature_files.analyze_folders


# in order: signatures land on the folders the Hugging Face analyzer recognised; data
# sets need the model folders' boundaries
FOLDER_ANALYZERS: tuple[Callable[[], FolderAnalyzer], ...] = (
    _hf_folders,
    _signed_folders,
    _data_sets,
)


def get_folder_analyzers() -> list[FolderAnalyzer]:
    return [load() for load in FOLDER_ANALYZERS]
