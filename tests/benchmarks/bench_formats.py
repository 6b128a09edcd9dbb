"""Benchmark the non-pickle format analyzers and the Hugging Face folder analyzer.

Run from the repository root (needs numpy, safetensors, gguf, onnx):

    python tests/benchmarks/bench_formats.py [--size-mb 512]

Prints, for inputs built in a temporary folder: header-only parse time (what the analyzer
reads besides hashing), the full analyzer time including SHA-256, and throughput.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from aibom.analyzers import gguf_files as gguf_analyzer
from aibom.analyzers import hf_folders, remote_code, safetensors_files
from aibom.analyzers import onnx_files as onnx
from aibom.config import Config
from aibom.model import Collected, FileRef
from aibom.walk import walk

CONFIG = Config()


def timed(run: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ref(path: Path) -> FileRef:
    return FileRef(path, path.name, path.stat().st_size)


def bench_safetensors(tmp: Path, size_mb: int) -> None:
    from safetensors.numpy import save_file

    n_tensors = 2000
    per = size_mb * 1024 * 1024 // 4 // n_tensors
    tensors = {f"layer.{i}.weight": np.zeros(per, dtype=np.float32) for i in range(n_tensors)}
    path = tmp / "big.safetensors"
    save_file(tensors, path, metadata={"format": "pt"})
    size = path.stat().st_size

    def header_only() -> None:
        with path.open("rb") as fh:
            safetensors_files.read_header(fh, size)

    parse = timed(header_only)
    full = timed(lambda: safetensors_files.analyze_file(ref(path), "safetensors", CONFIG), 2)
    print(
        f"safetensors  {size / 1e6:8.0f} MB, {n_tensors} tensors: header {parse * 1e3:7.1f} ms, "
        f"analyze+sha256 {full:6.2f} s ({size / 1e6 / full:6.0f} MB/s)"
    )


def bench_gguf(tmp: Path) -> None:
    import gguf

    path = tmp / "vocab.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_token_list([f"tok{i}" for i in range(256_000)])
    writer.add_token_merges([f"a{i} b{i}" for i in range(250_000)])
    writer.add_token_scores([0.0] * 256_000)
    writer.add_chat_template("{% for m in messages %}{{ m['content'] }}{% endfor %}" * 50)
    for i in range(300):
        writer.add_tensor(f"blk.{i}.w", np.zeros(64, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    size = path.stat().st_size

    def parse() -> None:
        with path.open("rb") as fh:
            gguf_analyzer.parse(fh, size)

    seconds = timed(parse)
    print(
        f"gguf         {size / 1e6:8.1f} MB, 506k vocab strings, 300 tensors: "
        f"parse {seconds * 1e3:7.1f} ms"
    )


def bench_onnx(tmp: Path, size_mb: int) -> None:
    import onnx as onnx_lib
    from onnx import TensorProto, helper, numpy_helper

    n = 2000
    per = size_mb * 1024 * 1024 // 4 // n
    inits = [numpy_helper.from_array(np.zeros(per, np.float32), f"w{i}") for i in range(n)]
    nodes = [helper.make_node("Identity", [f"w{i}"], [f"y{i}"]) for i in range(n)]
    graph = helper.make_graph(
        nodes,
        "g",
        [],
        [helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, None) for i in range(n)],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp / "big.onnx"
    onnx_lib.save_model(model, path)
    size = path.stat().st_size
    data = path.read_bytes()
    parse = timed(lambda: onnx.parse_model(data))
    full = timed(lambda: onnx.analyze_file(ref(path), "onnx", CONFIG), 2)
    print(
        f"onnx         {size / 1e6:8.0f} MB, {n} initializers/nodes: parse {parse * 1e3:7.1f} ms, "
        f"analyze+sha256 {full:6.2f} s"
    )


def bench_remote_code() -> None:
    fixture = (
        Path(__file__).resolve().parents[2]
        / "fixtures"
        / "models"
        / "hf"
        / "custom-code"
        / "modeling_ok.py"
    ).read_text()
    body = fixture.split("\n", 1)[1]
    copies = [body.replace("class Tiny", f"class Tiny{i}") for i in range(100)]
    source = ("\n".join(copies)).encode()
    lines = source.count(b"\n")
    seconds = timed(lambda: remote_code.analyze_source(source, "modeling_big.py"))
    print(
        f"remote code  {lines:8d} lines: {seconds * 1e3:7.1f} ms ({lines / seconds:8.0f} lines/s)"
    )


def bench_remote_code_corpus(wheel: Path) -> None:
    """False-positive measurement: every `transformers/models/**/*.py` of a transformers wheel
    (`pip download --no-deps transformers`), which is what real model code looks like."""
    import collections
    import zipfile

    counts: collections.Counter[str] = collections.Counter()
    flagged: list[str] = []
    files = lines = 0
    start = time.perf_counter()
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            if not (name.startswith("transformers/models/") and name.endswith(".py")):
                continue
            source = archive.read(name)
            files += 1
            lines += source.count(b"\n")
            result = remote_code.analyze_source(source, name)
            for issue in result.issues:
                counts[issue.kind] += 1
                flagged.append(f"{issue.location}: {issue.kind} {issue.detail[:80]}")
    seconds = time.perf_counter() - start
    modeling = sum(1 for f in flagged if "/modeling_" in f)
    print(
        f"remote code  {wheel.name}: {files} files, {lines} lines in {seconds:.1f} s; "
        f"issues {dict(counts)}; in modeling_*.py: {modeling}"
    )
    for line in flagged:
        print(f"    {line}")


def bench_folders(tmp: Path) -> None:
    from safetensors.numpy import save_file

    folder = tmp / "models--acme--big" / "snapshots" / ("a" * 40)
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"model_type": "llama", "architectures": ["X"]}')
    weight_map = {}
    for i in range(50):
        name = f"model-{i:05d}-of-00050.safetensors"
        save_file({f"t{i}": np.zeros(16, np.float32)}, folder / name)
        weight_map[f"t{i}"] = name
    import json

    (folder / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    walked = walk((tmp,)).files
    collected = Collected()
    for file in walked:
        if file.rel.endswith(".safetensors"):
            collected.extend(safetensors_files.analyze_file(file, "safetensors", CONFIG))
    seconds = timed(lambda: hf_folders.analyze_folders(walked, collected, CONFIG))
    print(f"hf folder    50 shards + index, {len(walked)} files: {seconds * 1e3:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=512)
    parser.add_argument(
        "--transformers-wheel",
        type=Path,
        help="a transformers wheel: run the remote-code checks over its model code",
    )
    args = parser.parse_args()
    if args.transformers_wheel:
        bench_remote_code_corpus(args.transformers_wheel)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        bench_safetensors(tmp, args.size_mb)
        bench_gguf(tmp)
        bench_onnx(tmp, min(args.size_mb, 256))
        bench_remote_code()
        bench_folders(tmp)


if __name__ == "__main__":
    main()
