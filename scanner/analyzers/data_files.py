"""Data files (CSV/TSV, JSON Lines, Parquet, Arrow/Feather, TFRecord): one `data` artifact
each, hashed once (SHA-256 and MD5 from the same read, for DVC's records) and described from
its header or footer only (`data_formats`). The data itself is never parsed."""

from __future__ import annotations

from ..config import Config
from ..model import Artifact, ArtifactFormat, Collected, ComponentKind, FileRef, Hash
from . import data_formats as df
from .hashing import read_and_digest

TAIL_BYTES = 64 * 1024  # footer bytes kept from the hashing pass; longer footers are re-read

F = ArtifactFormat


def analyze_file(file: FileRef, fmt: ArtifactFormat, config: Config) -> Collected:
    artifact = Artifact(path=file.rel, format=str(fmt), size=file.size, kind=ComponentKind.DATA)
    footer = fmt in (F.PARQUET, F.ARROW, F.FEATHER_V1)
    try:
        read = read_and_digest(file.path, df.HEAD_BYTES, TAIL_BYTES if footer else 0)
    except OSError as exc:
        artifact.incomplete.append(f"cannot read the file to hash it: {exc.strerror or exc}")
        return Collected(artifacts=[artifact])
    artifact.sha256 = read.sha256
    artifact.md5 = read.md5
    artifact.size = read.size
    facts = _facts(file, fmt, read.head, read.tail, read.size)
    artifact.mime_type = df.MEDIA_TYPES.get(str(fmt))
    _record(artifact, facts)
    return Collected(artifacts=[artifact])


def _facts(file: FileRef, fmt: ArtifactFormat, head: bytes, tail: bytes, size: int) -> df.DataFacts:
    if fmt is F.PARQUET:
        length = df.parquet_footer_length(tail, size)
        if isinstance(length, int) and length + 8 > len(tail):
            tail = _read_tail(file, length + 8)
        return df.parquet_facts(tail, size)
    if fmt is F.ARROW:
        length = df.arrow_footer_length(tail, size)
        if isinstance(length, int) and length + 10 > len(tail):
            tail = _read_tail(file, length + 10)
        return df.arrow_file_facts(tail, size)
    if fmt is F.ARROW_STREAM:
        return df.arrow_stream_facts(head)
    if fmt is F.TFRECORD:
        return df.tfrecord_facts(head)
    if fmt is F.FEATHER_V1:
        return df.DataFacts("feather-v1")
    return df.text_facts(str(fmt), head)


def _read_tail(file: FileRef, length: int) -> bytes:
    try:
        with file.path.open("rb") as fh:
            fh.seek(max(0, file.size - length))
            return fh.read(length)
    except OSError:
        return b""


def _record(artifact: Artifact, facts: df.DataFacts) -> None:
    props = artifact.properties
    if facts.rows is not None:
        artifact.facts["rows"] = facts.rows
        props["aibom:data:rows"] = str(facts.rows)
    if facts.column_count is not None:
        artifact.facts["columns"] = facts.columns
        props["aibom:data:column-count"] = str(facts.column_count)
        if facts.columns:
            props["aibom:data:columns"] = ",".join(facts.columns)[:2000]
    if facts.record_batches is not None:
        props["aibom:data:record-batches"] = str(facts.record_batches)
    if facts.created_by:
        props["aibom:data:created-by"] = facts.created_by
    if facts.problem:
        # the file is hashed and inventoried; only its description is missing
        props["aibom:data:header"] = facts.problem
    if artifact.md5:
        artifact.extra_hashes.append(Hash("md5", artifact.md5))
