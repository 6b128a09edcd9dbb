"""Mutated real files never make an analyzer raise, hang or report a damaged header as clean."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from aibom.analyzers import gguf_files as gguf
from aibom.analyzers import keras_files as keras
from aibom.analyzers import onnx_files as onnx
from aibom.analyzers import safetensors_files
from aibom.config import Config
from aibom.model import FileRef

FORMATS = Path(__file__).resolve().parents[2] / "fixtures" / "models" / "formats"
CASES = [
    ("tiny.safetensors", "safetensors", safetensors_files.analyze_file),
    ("tiny.gguf", "gguf", gguf.analyze_file),
    ("evil_template.gguf", "gguf", gguf.analyze_file),
    ("tiny.onnx", "onnx", onnx.analyze_file),
    ("custom_domain.onnx", "onnx", onnx.analyze_file),
    ("lambda.h5", "hdf5", keras.analyze_file),
]


def mutations(data: bytes, seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        buf = bytearray(data)
        choice = rng.random()
        if choice < 0.4:  # flip a few bytes, most often in the header
            for _ in range(rng.randint(1, 4)):
                pos = min(int(rng.expovariate(1 / 64)), len(buf) - 1)
                buf[pos] = rng.randrange(256)
        elif choice < 0.7:  # truncate
            del buf[rng.randrange(1, len(buf)) :]
        else:  # overwrite a length-like field with a huge value
            pos = rng.randrange(0, max(1, min(len(buf) - 8, 256)))
            buf[pos : pos + 8] = rng.choice([b"\xff" * 8, b"\x00\x00\x00\x00\xff\xff\xff\x7f"])
        out.append(bytes(buf))
    return out


@pytest.mark.parametrize(("name", "fmt", "analyze"), CASES)
def test_mutated_files(tmp_path: Path, name: str, fmt: str, analyze) -> None:
    original = (FORMATS / name).read_bytes()
    path = tmp_path / name
    for i, data in enumerate(mutations(original, seed=len(name) * 7919, count=60)):
        path.write_bytes(data)
        collected = analyze(FileRef(path, name, len(data)), fmt, Config())
        assert len(collected.artifacts) == 1, i
        artifact = collected.artifacts[0]
        assert artifact.sha256 is not None, i
        if len(data) < len(original) and fmt in {"safetensors", "gguf"}:
            # a truncated header-based file can never pass as complete and clean
            assert artifact.incomplete or artifact.issues, i
