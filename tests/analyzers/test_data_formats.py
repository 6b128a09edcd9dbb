"""Header/footer facts of data files, on files written by pandas and pyarrow
(fixtures/data/make_data.py), and on broken ones."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from aibom.analyzers import data_formats as df

FILES = Path(__file__).resolve().parents[2] / "fixtures" / "data" / "files"


def _facts(name: str) -> df.DataFacts:
    data = (FILES / name).read_bytes()
    fmt = df.sniff_data(data[:512], name, len(data))
    assert fmt is not None, name
    if fmt == "parquet":
        return df.parquet_facts(data, len(data))
    if fmt == "arrow":
        return df.arrow_file_facts(data, len(data))
    if fmt == "arrow-stream":
        return df.arrow_stream_facts(data[: df.HEAD_BYTES])
    if fmt == "tfrecord":
        return df.tfrecord_facts(data[:512])
    return df.text_facts(fmt, data[: df.HEAD_BYTES])


@pytest.mark.parametrize(
    ("name", "fmt", "columns"),
    [
        ("train.csv", "csv", ["id", "text", "label"]),
        ("labels.tsv", "tsv", ["id", "label"]),
        ("train.jsonl", "jsonl", ["id", "text", "label"]),
        ("train.parquet", "parquet", ["id", "text", "label"]),
        ("train.arrow", "arrow", ["id", "text", "label"]),
        ("train.feather", "arrow", ["id", "text", "label"]),
        ("train.arrows", "arrow-stream", ["id", "text", "label"]),
    ],
)
def test_columns_from_headers_and_footers(name: str, fmt: str, columns: list[str]) -> None:
    facts = _facts(name)
    assert facts.format == fmt
    assert facts.problem is None
    assert facts.columns == columns
    assert facts.column_count == len(columns)
    assert facts.media_type


def test_parquet_footer_gives_rows_and_writer() -> None:
    facts = _facts("train.parquet")
    assert facts.rows == 40
    assert facts.created_by and facts.created_by.startswith("parquet-cpp-arrow")


def test_arrow_footer_counts_record_batches() -> None:
    assert _facts("train.arrow").record_batches == 1


def test_tfrecord_first_frame_checksum() -> None:
    data = (FILES / "train.tfrecord").read_bytes()
    assert df.tfrecord_frame_ok(data)
    assert _facts("train.tfrecord").problem is None
    broken = bytearray(data)
    broken[0] ^= 1
    assert not df.tfrecord_frame_ok(bytes(broken))
    # a .tfrecord name whose first frame is wrong is not claimed as a TFRecord
    assert df.sniff_data(bytes(broken[:512]), "x.tfrecord", len(broken)) is None


def test_nested_parquet_schema_lists_top_level_columns() -> None:
    # a: int, s: struct<x, y: struct<z>>, b: list<int>
    facts = _facts("nested.parquet")
    assert facts.columns == ["a", "s", "b"]
    assert facts.rows == 1


@pytest.mark.parametrize("cut", [1, 4, 8, 20, 200])
def test_truncated_parquet_is_a_problem_not_a_crash(cut: int) -> None:
    data = (FILES / "train.parquet").read_bytes()
    broken = data[:-cut]
    facts = df.parquet_facts(broken, len(broken))
    assert facts.problem is not None
    assert facts.rows is None


def test_garbage_parquet_footer(tmp_path: Path) -> None:
    footer = b"\x19\xfc" + b"\xff" * 40  # list header claiming a huge list, then garbage
    data = b"PAR1" + b"\x00" * 16 + footer + struct.pack("<i", len(footer)) + b"PAR1"
    facts = df.parquet_facts(data, len(data))
    assert facts.problem is not None and facts.problem.startswith("unreadable Parquet footer")


def test_deeply_nested_thrift_is_bounded() -> None:
    footer = b"\x1c" * 5000 + b"\x00" * 5000  # struct in struct in struct ...
    data = b"PAR1" + footer + struct.pack("<i", len(footer)) + b"PAR1"
    facts = df.parquet_facts(data, len(data))
    assert facts.problem is not None


@pytest.mark.parametrize("cut", [1, 6, 10, 60])
def test_truncated_arrow_is_a_problem_not_a_crash(cut: int) -> None:
    data = (FILES / "train.arrow").read_bytes()[:-cut]
    facts = df.arrow_file_facts(data, len(data))
    assert facts.problem is not None


def test_arrow_offsets_out_of_range() -> None:
    footer = b"\xff\xff\xff\x7f" + b"\x00" * 12
    data = b"ARROW1\x00\x00" + b"\x00" * 8 + footer + struct.pack("<i", len(footer)) + b"ARROW1"
    facts = df.arrow_file_facts(data, len(data))
    assert facts.problem is not None and "Arrow footer" in facts.problem


def test_csv_header_longer_than_what_is_read() -> None:
    head = b"a," * (df.HEAD_BYTES // 2)
    facts = df.text_facts("csv", head[: df.HEAD_BYTES])
    assert facts.problem is not None and facts.columns == []


def test_text_formats_need_text() -> None:
    assert df.sniff_data(b"\x00\x01\x02binary", "x.csv", 10) is None
    assert df.sniff_data(b"", "x.csv", 0) is None
    assert df.sniff_data(b"a,b\n1,2\n", "x.csv", 8) == "csv"


def test_jsonl_first_line_not_json() -> None:
    facts = df.text_facts("jsonl", b"{not json\n{}\n")
    assert facts.problem == "first line is not a JSON value"
