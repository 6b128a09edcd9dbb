"""Archives and wrappers: lenient zip reading (the published bypasses), nested archives with
member paths, tar, compressed wrappers, limits, TorchScript and PyTorch layout facts."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from aibom.analyzers import get_analyzer, zipread
from aibom.config import Config
from aibom.model import Artifact, FileRef, Location
from aibom.sniff import sniff

MODELS = Path(__file__).resolve().parent.parent.parent / "fixtures" / "models"
MALICIOUS = MODELS / "malicious"
BENIGN = MODELS / "benign"


def analyze(path: Path, config: Config | None = None) -> Artifact:
    fmt = sniff(path)
    assert fmt is not None
    collected = get_analyzer(fmt)(
        FileRef(path, path.name, path.stat().st_size), fmt, config or Config()
    )
    (artifact,) = collected.artifacts
    return artifact


def members(artifact: Artifact) -> list[tuple[str | None, str]]:
    return [(i.member, i.qualname) for i in artifact.pickle_imports]


def quirks(artifact: Artifact) -> list[tuple[str, Location, str]]:
    return [(i.kind, i.location, i.detail) for i in artifact.issues]


def test_torch_zip_member_and_layout_facts() -> None:
    artifact = analyze(MALICIOUS / "torch_payload.pt")
    assert members(artifact) == [("archive/data.pkl", "posix.system")]
    assert artifact.format == "pytorch-zip"
    assert artifact.facts["torch_archive_prefix"] == "archive"
    assert artifact.facts["members"] == [
        "archive/data.pkl",
        "archive/byteorder",
        "archive/version",
        "archive/.data/serialization_id",
    ]
    assert artifact.issues == []
    assert artifact.incomplete == []


def test_bad_crc_is_read_anyway_and_reported() -> None:
    artifact = analyze(MALICIOUS / "zip_bad_crc.pt")
    assert members(artifact) == [("archive/data.pkl", "posix.system")]
    assert quirks(artifact) == [
        (
            "zip:tampering",
            Location("zip_bad_crc.pt", member="archive/data.pkl"),
            "zip member 'archive/data.pkl': CRC mismatch",
        )
    ]


def test_local_name_mismatch_reads_the_data_under_both_names() -> None:
    artifact = analyze(MALICIOUS / "zip_name_mismatch.pt")
    assert members(artifact) == [("archive/data.pkl", "posix.system")]
    assert quirks(artifact) == [
        (
            "zip:tampering",
            Location("zip_name_mismatch.pt", member="archive/data.pkl"),
            "zip member 'archive/data.pkl': local header names it 'archive/datap.kl'",
        )
    ]


def test_encryption_flag_bits_do_not_hide_the_payload() -> None:
    for bit in ("0x1", "0x20", "0x40"):
        artifact = analyze(MALICIOUS / f"zip_flag_{bit}.pt")
        assert members(artifact) == [("archive/data.pkl", "posix.system")]
        details = sorted({i.detail for i in artifact.issues})
        assert details == [
            f"zip member '{name}': flag bits 0x{int(bit, 16):02x} set (encryption/patched data)"
            for name in sorted(
                [
                    "archive/data.pkl",
                    "archive/byteorder",
                    "archive/version",
                    "archive/.data/serialization_id",
                ]
            )
        ]


def test_truncated_central_directory_falls_back_to_local_headers() -> None:
    artifact = analyze(MALICIOUS / "zip_truncated_cd.pt")
    assert members(artifact) == [("archive/data.pkl", "posix.system")]
    assert artifact.incomplete == [
        "zip end of central directory not found (truncated zip?); members read from local headers"
    ]
    assert quirks(artifact)[0] == (
        "zip:tampering",
        Location("zip_truncated_cd.pt"),
        "zip central directory unusable (end of central directory not found (truncated zip?))",
    )


def test_nested_archive_member_path() -> None:
    artifact = analyze(MALICIOUS / "release.zip")
    assert members(artifact) == [("model.pt/archive/data.pkl", "posix.system")]
    assert artifact.format == "zip"
    assert artifact.facts["nested_archives"] == [
        {"member": "model.pt", "layout": "pytorch-zip", "members": 4}
    ]


def test_nesting_depth_limit() -> None:
    opened = analyze(MALICIOUS / "release.zip", Config(max_archive_depth=1))
    assert members(opened) == [("model.pt/archive/data.pkl", "posix.system")]
    artifact = analyze(MALICIOUS / "release.zip", Config(max_archive_depth=0))
    assert artifact.pickle_imports == []
    assert artifact.incomplete == ["model.pt: zip nested deeper than 0 levels; not opened"]


def test_member_count_limit() -> None:
    artifact = analyze(MALICIOUS / "torch_payload.pt", Config(max_archive_members=2))
    assert artifact.incomplete == ["zip not opened: zip has 4 members, more than the limit of 2"]


def test_zip_bomb_is_reported_not_expanded() -> None:
    artifact = analyze(MALICIOUS / "bomb.zip", Config(max_decompressed_bytes=10 * 1024 * 1024))
    assert artifact.incomplete == [
        "zeros.bin: zip bomb: member expands to 20971520 bytes, past the decompression "
        "limit; not expanded"
    ]


def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    data = bytearray((MALICIOUS / "bomb.zip").read_bytes())
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 0xFFFFFFF0)  # claims ~4 GiB
    path = tmp_path / "ratio.zip"
    path.write_bytes(bytes(data))
    artifact = analyze(path)
    csize = struct.unpack_from("<I", data, central + 20)[0]
    assert artifact.incomplete == [
        f"zeros.bin: zip bomb: {csize} bytes claim to expand to {0xFFFFFFF0}; not expanded"
    ]


def test_deflate_budget_when_the_header_lies(tmp_path: Path) -> None:
    # the central directory claims 100 bytes; the data inflates to 20 MiB
    data = bytearray((MALICIOUS / "bomb.zip").read_bytes())
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 100)
    path = tmp_path / "liar.zip"
    path.write_bytes(bytes(data))
    artifact = analyze(path, Config(max_decompressed_bytes=1024 * 1024))
    assert artifact.incomplete == [
        "zeros.bin: zip bomb: member expands past 1048576 bytes (the per-file decompression "
        "budget, max-decompressed-bytes); not expanded further"
    ]


def test_non_pickle_member_names_and_protocol_0() -> None:
    assert members(analyze(MALICIOUS / "zip_txt_member.zip")) == [("data.txt", "posix.system")]
    assert members(analyze(MALICIOUS / "zip_proto0_member.zip")) == [
        ("notes/data.txt", "posix.system")
    ]


def test_tar_and_tar_gz_member_paths() -> None:
    assert members(analyze(MALICIOUS / "bundle.tar")) == [("bundle/model.bin", "posix.system")]
    tgz = analyze(MALICIOUS / "bundle.tar.gz")
    assert members(tgz) == [("<gzip>/bundle/model.bin", "posix.system")]
    assert tgz.facts["decompressed"] == [{"member": None, "format": "gzip", "size": 10240}]


def test_compressed_wrappers() -> None:
    for name, fmt in [
        ("model.pkl.gz", "pickle+gzip"),
        ("model_zlib.joblib", "pickle+zlib"),
        ("model.pkl.bz2", "pickle+bzip2"),
        ("model.pkl.xz", "pickle+xz"),
        ("model_lzma.joblib", "pickle+lzma"),
    ]:
        artifact = analyze(MALICIOUS / name)
        assert artifact.format == fmt, name
        assert [i.qualname for i in artifact.pickle_imports] == ["posix.system"]


def test_truncated_gzip_is_incomplete(tmp_path: Path) -> None:
    data = (MALICIOUS / "model.pkl.gz").read_bytes()
    path = tmp_path / "cut.pkl.gz"
    path.write_bytes(data[:15])
    artifact = analyze(path)
    assert artifact.incomplete == ["gzip data is corrupt or truncated (gzip stream is truncated)"]


def test_torchscript_code_is_recorded() -> None:
    artifact = analyze(BENIGN / "scripted.pt")
    assert artifact.format == "torchscript"
    assert artifact.facts["torchscript_code"] == ["scripted/code/__torch__/fixture_linear.py"]
    assert [(i.kind, i.arg_dict) for i in artifact.issues] == [
        (
            "torchscript:code",
            {"files": "1", "first": "scripted/code/__torch__/fixture_linear.py"},
        )
    ]


def test_pytorch_storages_are_not_parsed_as_pickles() -> None:
    artifact = analyze(BENIGN / "linear.pt")
    assert artifact.facts["storages"] == 2
    assert sorted({i.member for i in artifact.pickle_imports}) == ["linear/data.pkl"]


def test_zipread_listing_and_stored_members_are_slices() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", b"hello")
        zf.writestr(zipfile.ZipInfo("b.bin"), b"x" * 100, compress_type=zipfile.ZIP_DEFLATED)
    data = buf.getvalue()
    listing = zipread.read_listing(data, 0, len(data), 10)
    assert [(e.name, e.method, e.size) for e in listing.entries] == [
        ("a.txt", 0, 5),
        ("b.bin", 8, 100),
    ]
    stored = zipread.read_member(data, listing.entries[0], len(data), 1000)
    assert stored[0] is data and data[stored[1] : stored[2]] == b"hello"
    inflated = zipread.read_member(data, listing.entries[1], len(data), 1000)
    assert inflated[0] == b"x" * 100


def test_zip_with_prefix_bytes_is_read(tmp_path: Path) -> None:
    # a self-extracting-style prefix shifts every offset
    data = b"#!/bin/sh\nexit 0\n" + (MALICIOUS / "torch_payload.pt").read_bytes()
    listing = zipread.read_listing(data, 0, len(data), 10)
    assert listing.entries[0].name == "archive/data.pkl"
    assert listing.problems == ["central directory is 17 bytes away from where it says"]


def test_text_that_starts_like_a_protocol_0_import_is_not_a_pickle(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("LICENSE", b"copyright\nholders\nall rights reserved\n")
        zf.writestr("notes.txt", b"cos\nsystem\n(S'id'\ntR")  # a call, then cut: reported
    path = tmp_path / "bundle.zip"
    path.write_bytes(buf.getvalue())
    artifact = analyze(path)
    assert members(artifact) == [("notes.txt", "os.system")]
    assert artifact.incomplete == ["notes.txt: truncated: stream ended before STOP at byte 20"]


def test_7z_is_reported_as_not_analysed(tmp_path: Path) -> None:
    # nullifAI shipped PyTorch models as 7z: never silently clean
    path = tmp_path / "model.pt"
    path.write_bytes(b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(40))
    assert sniff(path) == "7z"
    artifact = analyze(path)
    assert (artifact.format, artifact.kind.value) == ("7z", "file")
    assert artifact.incomplete == [
        "7z archive: not opened (aibom has no 7z reader); its contents were not analysed"
    ]


def test_pytorch_archive_records() -> None:
    artifact = analyze(BENIGN / "linear.pt")
    assert artifact.properties["aibom:pytorch:archive-version"] == "3"
    assert artifact.properties["aibom:pytorch:byteorder"] == "little"
    assert artifact.properties["aibom:pytorch:format-version"] == "1"
    assert "aibom:pytorch:data-version" not in artifact.properties  # older torch only


def test_zip64_entries_are_read(tmp_path: Path) -> None:
    payload = (MALICIOUS / "proto2_global.pkl").read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, zf.open("archive/data.pkl", "w", force_zip64=True) as fh:
        fh.write(payload)
    data = buf.getvalue()
    (entry,) = zipread.read_listing(data, 0, len(data), 10).entries
    assert (entry.name, entry.size, entry.compressed_size) == (
        "archive/data.pkl",
        len(payload),
        len(payload),
    )
    path = tmp_path / "z64.zip"
    path.write_bytes(data)
    assert members(analyze(path)) == [("archive/data.pkl", "posix.system")]


def test_zstd_and_lz4_wrappers(tmp_path: Path) -> None:
    zstandard = pytest.importorskip("zstandard")
    lz4_frame = pytest.importorskip("lz4.frame")
    payload = (MALICIOUS / "proto2_global.pkl").read_bytes()
    for name, data, fmt in [
        ("m.pkl.zst", zstandard.ZstdCompressor().compress(payload), "pickle+zstd"),
        ("m.pkl.lz4", lz4_frame.compress(payload), "pickle+lz4"),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        artifact = analyze(path)
        assert artifact.format == fmt
        assert members(artifact) == [(f"<{fmt.split('+')[1]}>", "posix.system")]
    bomb = tmp_path / "zeros.zst"
    bomb.write_bytes(zstandard.ZstdCompressor().compress(bytes(50 << 20)))
    artifact = analyze(bomb, Config(max_decompressed_bytes=10 << 20))
    assert artifact.incomplete == [
        "zstd data expands past 10485760 bytes (the per-file decompression budget, "
        "max-decompressed-bytes): possible decompression bomb; not expanded further"
    ]


def test_local_entry_hidden_from_the_central_directory(tmp_path: Path) -> None:
    import zlib

    base = (BENIGN / "linear.pt").read_bytes()
    payload = (MALICIOUS / "proto2_global.pkl").read_bytes()
    name = b"linear/extra.pkl"
    hidden = (
        struct.pack(
            "<4sHHHHHIIIHH",
            b"PK\x03\x04",
            20,
            0,
            0,
            0,
            0,
            zlib.crc32(payload),
            len(payload),
            len(payload),
            len(name),
            0,
        )
        + name
        + payload
    )
    eocd = base.rfind(b"PK\x05\x06")
    cd_offset = struct.unpack_from("<I", base, eocd + 16)[0]
    data = bytearray(base[:cd_offset] + hidden + base[cd_offset:])
    struct.pack_into("<I", data, eocd + len(hidden) + 16, cd_offset + len(hidden))
    path = tmp_path / "hidden.pt"
    path.write_bytes(bytes(data))
    artifact = analyze(path)
    assert ("linear/extra.pkl", "posix.system") in members(artifact)
    assert [(i.location.member, i.detail) for i in artifact.issues] == [
        ("linear/extra.pkl", "zip member 'linear/extra.pkl': not listed in the central directory")
    ]
