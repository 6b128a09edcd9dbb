"""Benchmark aibom's model analysis against picklescan and modelscan, and its hashing
against single-core hashlib.sha256. Not collected by pytest; prints figures.

Needs torch (to write real checkpoints), picklescan and modelscan:

    pip install torch==2.13.0 picklescan modelscan
    python tests/benchmarks/bench_models.py [--big-gb 2] [--legacy-gb 1] [--files 5000]

Everything is generated in a temporary folder and deleted afterwards (several GB of disk).
Each tool runs twice on the same files; the second (warm page cache) run is reported, so the
figures compare CPU work, not the disk.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def timed(fn: Callable[[], object], repeat: int = 2) -> tuple[float, object]:
    best = float("inf")
    result: object = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def make_big_zip(path: Path, gigabytes: float) -> None:
    import torch

    n_tensors = 64
    per = int(gigabytes * 1024**3 / 4 / n_tensors)
    state = {f"layer{i}.weight": torch.randn(per) for i in range(n_tensors)}
    torch.save(state, path)


def make_legacy(path: Path, gigabytes: float) -> None:
    import torch

    n_tensors = 32
    per = int(gigabytes * 1024**3 / 4 / n_tensors)
    state = {f"layer{i}.weight": torch.randn(per) for i in range(n_tensors)}
    torch.save(state, path, _use_new_zipfile_serialization=False)


def make_tree(root: Path, files: int) -> None:
    import collections

    import torch

    small = torch.nn.Linear(8, 4).state_dict()
    for i in range(files):
        folder = root / f"pkg{i % 50}"
        folder.mkdir(parents=True, exist_ok=True)
        kind = i % 10
        if kind < 4:
            obj = collections.OrderedDict((f"k{j}", list(range(j % 20))) for j in range(50))
            (folder / f"obj{i}.pkl").write_bytes(pickle.dumps(obj, protocol=4))
        elif kind == 4:
            torch.save(small, folder / f"model{i}.pt")
        elif kind < 7:
            (folder / f"mod{i}.py").write_text("import os\n\nVALUE = 1\n" * 20)
        else:
            (folder / f"data{i}.json").write_text('{"a": [1, 2, 3]}\n' * 30)


def aibom_analyze(path: Path) -> object:
    from aibom.analyzers import get_analyzer
    from aibom.config import Config
    from aibom.model import FileRef
    from aibom.sniff import sniff

    fmt = sniff(path)
    assert fmt is not None
    return get_analyzer(fmt)(FileRef(path, path.name, path.stat().st_size), fmt, Config())


def aibom_pickle_only(path: Path) -> object:
    """aibom's analysis without hashing: the zip/legacy parsing and pickle scans alone."""
    from aibom.analyzers import archives
    from aibom.analyzers import pickle_files as pickles
    from aibom.analyzers.pickle_vm import Limits
    from aibom.config import Config
    from aibom.model import Artifact

    artifact = Artifact(path=path.name, format="?", size=path.stat().st_size)
    with pickles.open_buffer(path, path.stat().st_size) as buf:
        blob = pickles.Blob(buf, 0, len(buf))
        if bytes(buf[:4]) == b"PK\x03\x04":
            ctx = archives.Context(artifact, Config(), Limits(), 1 << 32)
            archives.analyze_zip(ctx, blob, None, 0)
        else:
            pickles.record_pickle(artifact, pickles.analyze_pickle_blob(blob, None), None)
    return artifact


def picklescan_file(path: Path) -> object:
    from picklescan.scanner import scan_file_path

    return scan_file_path(str(path))


def cli(args: list[str]) -> Callable[[], object]:
    def run() -> object:
        return subprocess.run(args, capture_output=True, check=False)

    return run


def hashlib_single(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb", buffering=0) as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--big-gb", type=float, default=2.0)
    parser.add_argument("--legacy-gb", type=float, default=1.0)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    opts = parser.parse_args()
    bindir = Path(sys.executable).parent
    tmp = Path(tempfile.mkdtemp(prefix="aibom-bench-"))
    try:
        big, legacy, tree = tmp / "big.pt", tmp / "legacy.pt", tmp / "tree"
        t0 = time.perf_counter()
        make_big_zip(big, opts.big_gb)
        make_legacy(legacy, opts.legacy_gb)
        make_tree(tree, opts.files)
        print(
            f"generated in {time.perf_counter() - t0:.1f}s: big.pt {big.stat().st_size / 1e9:.2f} GB, "
            f"legacy.pt {legacy.stat().st_size / 1e9:.2f} GB, tree {opts.files} files"
        )
        print(f"cpu cores: {os.cpu_count()}")
        print()
        print("== pickle analysis alone (no hashing), in process, best of 2 ==")
        for path in (big, legacy):
            ours, _ = timed(lambda p=path: aibom_pickle_only(p))  # type: ignore[misc]
            theirs, _ = timed(lambda p=path: picklescan_file(p))  # type: ignore[misc]
            print(
                f"{path.name:10s} aibom {ours * 1000:8.1f} ms   picklescan {theirs * 1000:8.1f} ms   "
                f"ratio picklescan/aibom {theirs / ours:5.2f}x"
            )
        print()
        print("== full analysis incl. SHA-256, in process, best of 2 ==")
        for path in (big, legacy):
            full, _ = timed(lambda p=path: aibom_analyze(p))  # type: ignore[misc]
            size = path.stat().st_size
            print(f"{path.name:10s} aibom {full:6.2f} s  ({size / full / 1e6:7.1f} MB/s)")
        print()
        print("== hashing one large file (big.pt), best of 2 ==")
        from aibom.analyzers.blobs import open_buffer
        from aibom.analyzers.hashing import hash_file, sha256_buffer

        size = big.stat().st_size
        ref, ref_digest = timed(lambda: hashlib_single(big))
        ours_read, d1 = timed(lambda: hash_file(big))

        def mm() -> str:
            with open_buffer(big, size) as buf:
                return sha256_buffer(buf, size)

        ours_mmap, d2 = timed(mm)
        assert ref_digest == d1 == d2
        print(f"hashlib.sha256 single core  {size / ref / 1e6:7.1f} MB/s")
        print(
            f"aibom hash_file             {size / ours_read / 1e6:7.1f} MB/s  ({ref / ours_read * 100:5.1f}% of hashlib)"
        )
        print(
            f"aibom sha256 over mmap      {size / ours_mmap / 1e6:7.1f} MB/s  ({ref / ours_mmap * 100:5.1f}% of hashlib)"
        )
        print()
        print("== command line, whole runs (includes start-up), best of 2 ==")
        rows = []
        for label, target in (
            ("big.pt", big),
            ("legacy.pt", legacy),
            (f"tree ({opts.files} files)", tree),
        ):
            a, _ = timed(
                cli(
                    [
                        str(bindir / "aibom"),
                        "scan",
                        str(target),
                        "--offline",
                        "--exit-zero",
                        "-o",
                        str(tmp / "bom.json"),
                    ]
                )
            )
            p, _ = timed(cli([str(bindir / "picklescan"), "-p", str(target)]))
            m, _ = timed(cli([str(bindir / "modelscan"), "-p", str(target)]))
            rows.append((label, a, p, m))
            print(
                f"{label:22s} aibom {a:6.2f} s   picklescan {p:6.2f} s ({p / a:5.2f}x)   modelscan {m:6.2f} s ({m / a:5.2f}x)"
            )
        print()
        print("ratios are other tool time / aibom time (>1: aibom faster). aibom also hashes every")
        print("file, walks every file type and writes the AIBOM; picklescan/modelscan do neither.")
    finally:
        if opts.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
