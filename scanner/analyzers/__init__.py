"""Artifact analyzers: one module per family of formats. They find, checks judge.

`analyze(file, fmt, config)` dispatches on the format decided by `aibom.sniff.sniff` and
always returns a `Collected` holding one `Artifact` for the file (with `incomplete`
reasons when it could not be fully read), never raises for bad input.
"""

from __future__ import annotations

import importlib
from typing import Protocol

from ..config import Config
from ..model import Collected, FileRef


class Analyzer(Protocol):
    def __call__(self, file: FileRef, fmt: str, config: Config) -> Collected: ...


# format (from sniff) -> (module under aibom.analyzers, function name)
REGISTRY: dict[str, tuple[str, str]] = {
    "pickle": ("pickle_files", "analyze_file"),
    "zip": ("archives", "analyze_file"),
    "tar": ("archives", "analyze_file"),
    "gzip": ("archives", "analyze_file"),
    "bzip2": ("archives", "analyze_file"),
    "xz": ("archives", "analyze_file"),
    "lzma": ("archives", "analyze_file"),
    "zstd": ("archives", "analyze_file"),
    "zlib": ("archives", "analyze_file"),
    "7z": ("archives", "analyze_file"),
    "lz4": ("archives", "analyze_file"),
    "numpy": ("numpy_files", "analyze_file"),
    "safetensors": ("safetensors_files", "analyze_file"),
    "gguf": ("gguf_files", "analyze_file"),
    "onnx": ("onnx_files", "analyze_file"),
    "hdf5": ("keras_files", "analyze_file"),
    "unknown-model": ("unknown_files", "analyze_file"),
    "lfs-pointer": ("lfs_pointers", "analyze_file"),
}


def get_analyzer(fmt: str) -> Analyzer:
    module_name, function = REGISTRY[fmt]
    module = importlib.import_module(f"{__name__}.{module_name}")
    analyzer: Analyzer = getattr(module, function)
    return analyzer


class FolderAnalyzer(Protocol):
    """Runs once per scan over all walked files and the artifacts found so far (e.g. to
    recognise Hugging Face model folders); returns extra facts."""

    def __call__(self, files: list[FileRef], collected: Collected, config: Config) -> Collected: ...


FOLDER_ANALYZERS: tuple[tuple[str, str], ...] = (("hf_folders", "analyze_folders"),)


def get_folder_analyzers() -> list[FolderAnalyzer]:
    found: list[FolderAnalyzer] = []
    for module_name, function in FOLDER_ANALYZERS:
        module = importlib.import_module(f"{__name__}.{module_name}")
        found.append(getattr(module, function))
    return found
