"""Every plugin table is keyed by its enum, every key resolves, and the CLI offers exactly
the keys (pip-audit's exhaustiveness test, for each family)."""

from __future__ import annotations

import inspect

import click

from aibom import analyzers, formats, sources
from aibom.bom import SPEC_VERSIONS
from aibom.cli import main
from aibom.model import ArtifactFormat, FileKind
from aibom.sniff import NAME_FORMATS, SIGNATURES

SNIFFED = {
    ArtifactFormat.PICKLE,
    ArtifactFormat.SAFETENSORS,
    ArtifactFormat.ONNX,
    ArtifactFormat.UNKNOWN_MODEL,
    ArtifactFormat.MODEL_SIGNATURE,
    # data files: by magic or by name (analyzers.data_formats.sniff_data)
    ArtifactFormat.CSV,
    ArtifactFormat.TSV,
    ArtifactFormat.JSONL,
    ArtifactFormat.PARQUET,
    ArtifactFormat.ARROW,
    ArtifactFormat.ARROW_STREAM,
    ArtifactFormat.FEATHER_V1,
    ArtifactFormat.TFRECORD,
}


def _choices(command: str, option: str) -> list[str]:
    cmd = main.commands[command]
    param = next(p for p in cmd.params if p.name == option)
    assert isinstance(param.type, click.Choice)
    return list(param.type.choices)


def test_every_analyzer_key_resolves_to_a_callable_analyzer() -> None:
    for fmt, load in analyzers.ANALYZERS.items():
        analyzer = load()
        assert callable(analyzer), fmt
        assert list(inspect.signature(analyzer).parameters) == ["file", "fmt", "config"], fmt
    for load in analyzers.FOLDER_ANALYZERS:
        assert callable(load())


def test_sniff_formats_equal_the_analyzer_table() -> None:
    # what sniff can return: every signature, every name format, and the content-only ones
    sniffed = {fmt for fmt, _, _ in SIGNATURES} | set(NAME_FORMATS.values()) | SNIFFED
    assert sniffed == set(analyzers.ANALYZERS)


def test_every_collector_key_resolves_and_covers_every_file_kind() -> None:
    assert set(sources.COLLECTORS) == set(FileKind)
    for kind, load in sources.COLLECTORS.items():
        collector = load()
        assert list(inspect.signature(collector).parameters) == ["file", "config"], kind


def test_classify_returns_only_file_kinds() -> None:
    names = ["requirements.txt", "pyproject.toml", "setup.cfg", "setup.py", "poetry.lock",
             "uv.lock", "Pipfile.lock", "pdm.lock", "pylock.toml", "environment.yml",
             "train.py", "tour.ipynb"]  # fmt: skip
    kinds = {sources.classify(n) for n in names}
    assert kinds == set(FileKind)
    assert all(isinstance(k, FileKind) for k in kinds)


def test_report_formats_and_spec_versions_are_the_cli_choices() -> None:
    assert _choices("scan", "report_format") == [f.value for f in formats.ReportFormat]
    assert set(formats.FORMATS) == set(formats.ReportFormat)
    for load in formats.FORMATS.values():
        assert callable(load())
    assert _choices("scan", "spec_version") == list(SPEC_VERSIONS)


def test_pickle_based_formats() -> None:
    from aibom.model import is_pickle_based

    assert {f for f in ArtifactFormat if f.is_pickle_based} == {
        ArtifactFormat.PICKLE,
        ArtifactFormat.PYTORCH_ZIP,
        ArtifactFormat.PYTORCH_LEGACY,
        ArtifactFormat.PYTORCH_TAR,
        ArtifactFormat.TORCHSCRIPT,
        ArtifactFormat.JOBLIB,
    }
    assert is_pickle_based("pickle+gzip") and is_pickle_based("joblib")
    assert not is_pickle_based("safetensors") and not is_pickle_based("markdown")
