"""A folder of many small files (an image data set): `aibom scan` summarising it as one data
component, against only hashing the same files.

Run:  python tests/benchmarks/bench_data_folder.py [--files 200000] [--runs 3]

Makes N tiny files (64-200 bytes, like thumbnails) in a temporary folder, then times, in the
same process and with the files in the page cache:

- baseline: walk the folder and SHA-256 every file (os.scandir + hashlib, one thread; the
  least a scanner must do to know the folder's content);
- baseline, threaded: the same over the scan's thread pool (the workers aibom uses);
- aibom's folder summary alone: walk, SHA-256 + MD5 of every file, the tree digest;
- aibom: `scan(Config(roots=(folder,)))` (walk, sniff each file's first bytes on the scan's
  scheduler, summarise the folder), and rendering the AIBOM.

Prints each median and the ratio to the baselines, and the AIBOM's size (one component
instead of N). Not collected by pytest.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def make_folder(root: Path, count: int) -> None:
    images = root / "images"
    images.mkdir(parents=True)
    for i in range(count):
        sub = images / f"{i // 10000:03d}"
        if i % 10000 == 0:
            sub.mkdir()
        size = 64 + (i * 37) % 137
        (sub / f"img_{i:07d}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(size - 8))


def _files(root: Path) -> list[str]:
    out = []
    stack = [str(root)]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    out.append(entry.path)
    return out


def _sha(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def baseline(root: Path) -> int:
    return len([_sha(p) for p in _files(root)])


def baseline_threaded(root: Path, workers: int) -> int:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return len(list(pool.map(_sha, _files(root), chunksize=64)))


def aibom_scan(root: Path) -> tuple[int, int]:
    from aibom.bom.cyclonedx import render_bom
    from aibom.config import Config
    from aibom.scan import scan

    result = scan(Config(roots=(root,), reproducible=True))
    text = render_bom(result, "json")
    doc = json.loads(text)
    return len(doc.get("components", [])), len(text)


def data_sets_stage(root: Path) -> int:
    """Only the folder summary (the part of the scan this benchmark is about)."""
    from aibom.analyzers import data_sets
    from aibom.config import Config
    from aibom.model import Collected
    from aibom.walk import walk

    files = walk((root,)).files
    out = data_sets.analyze_folders(files, Collected(), Config(roots=(root,)))
    return len(out.artifacts)


def timed(fn, runs: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    workers = min(4, os.cpu_count() or 1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        make_folder(root, args.files)
        print(f"made {args.files} files in {time.perf_counter() - start:.1f} s")
        baseline(root)  # warm the page cache
        base, _ = timed(lambda: baseline(root), args.runs)
        base_t, _ = timed(lambda: baseline_threaded(root, workers), args.runs)
        stage_t, _ = timed(lambda: data_sets_stage(root), args.runs)
        scan_t, (components, size) = timed(lambda: aibom_scan(root), args.runs)  # type: ignore[misc]
        print(f"baseline: walk + SHA-256 each file, 1 thread: {base:.2f} s")
        print(f"baseline: walk + SHA-256 each file, {workers} threads: {base_t:.2f} s")
        print(f"aibom folder summary (walk + SHA-256 + MD5 + tree digest): {stage_t:.2f} s")
        print(f"aibom scan + AIBOM: {scan_t:.2f} s ({components} component(s), {size} bytes)")
        print(f"ratio summary / baseline 1 thread: {stage_t / base:.2f}x")
        print(f"ratio aibom / baseline 1 thread: {scan_t / base:.2f}x")
        print(f"ratio aibom / baseline {workers} threads: {scan_t / base_t:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
