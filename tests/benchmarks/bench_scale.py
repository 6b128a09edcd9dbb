"""Benchmark aibom at scale: each figure is a ratio against a baseline measured side by side
in the same run (paired, alternating runs; the median is reported). Not collected by pytest.

    python tests/benchmarks/bench_scale.py cache      # cold vs warm re-scan of a model folder
    python tests/benchmarks/bench_scale.py jobs       # 1 vs 2 jobs on 2,000 pickles
    python tests/benchmarks/bench_scale.py hash       # 1 GiB safetensors scan vs hashlib.sha256
    python tests/benchmarks/bench_scale.py check      # aibom check vs python -c pass
    python tests/benchmarks/bench_scale.py tiny       # 200,000 tiny files vs a bare walk
    python tests/benchmarks/bench_scale.py memory     # peak RSS: 200,000 files, 10,000 components
    python tests/benchmarks/bench_scale.py dask       # local vs a LocalCluster (aibom[dask])
    python tests/benchmarks/bench_scale.py simulate   # scheduling 1M synthetic files

Options: --gb (model folder size, default 2), --files, --runs. Everything is generated in a
temporary folder and deleted afterwards. Files are read once before timing, so the figures
compare CPU work with a warm page cache, not the disk.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

AIBOM = [sys.executable, "-m", "aibom"]


def run(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - start


def paired(
    label_a: str, a: Callable[[], float], label_b: str, b: Callable[[], float], runs: int
) -> None:
    """Alternate A and B `runs` times; print medians and the ratio A/B."""
    times_a: list[float] = []
    times_b: list[float] = []
    for _ in range(runs):
        times_a.append(a())
        times_b.append(b())
    ma, mb = statistics.median(times_a), statistics.median(times_b)
    print(
        f"  {label_a}: {ma * 1000:,.0f} ms   {label_b}: {mb * 1000:,.0f} ms   ratio {ma / mb:.2f}x"
    )


def warm(root: Path) -> None:
    for dirpath, _, names in os.walk(root):
        for name in names:
            with open(os.path.join(dirpath, name), "rb") as fh:
                while fh.read(1 << 22):
                    pass


def safetensors_file(path: Path, nbytes: int) -> None:
    """A safetensors file with one F32 tensor of about `nbytes` bytes."""
    count = nbytes // 4
    header = json.dumps({"w": {"dtype": "F32", "shape": [count], "data_offsets": [0, count * 4]}})
    raw = header.encode().ljust((len(header) + 7) // 8 * 8)
    block = os.urandom(1 << 20)
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(raw)) + raw)
        left = count * 4
        while left:
            n = min(left, len(block))
            fh.write(block[:n])
            left -= n


def pickles(root: Path, files: int) -> None:
    """Pickle-bearing files of our own making (plain data plus a known-safe global)."""
    import collections

    root.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        data = collections.OrderedDict(
            (f"k{j}", [float(j), str(j) * 3, (j, i)]) for j in range(400)
        )
        (root / f"m{i:05d}.pkl").write_bytes(pickle.dumps(data, protocol=4))


def settle() -> None:
    time.sleep(2.5)  # the digest cache does not store files changed in the last 2 s


def bench_cache(tmp: Path, args: argparse.Namespace) -> None:
    root = tmp / "models"
    root.mkdir()
    shards = 8
    for i in range(shards):
        safetensors_file(
            root / f"model-{i:05d}-of-{shards:05d}.safetensors", int(args.gb * 1024**3 / shards)
        )
    pickles(root / "extra", 200)
    (root / "config.json").write_text('{"model_type": "demo"}', encoding="utf-8")
    settle()
    warm(root)
    size = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    print(
        f"cold vs warm re-scan of a {size / 1e9:.2f} GB model folder ({shards} shards, 200 pickles):"
    )
    counter = iter(range(10**6))
    out = str(tmp / "bom.json")

    def cold() -> float:
        return run(
            [
                *AIBOM,
                "scan",
                str(root),
                "-q",
                "--exit-zero",
                "-o",
                out,
                "--cache-dir",
                str(tmp / f"c{next(counter)}"),
            ]
        )

    shared = tmp / "shared"
    run([*AIBOM, "scan", str(root), "-q", "--exit-zero", "-o", out, "--cache-dir", str(shared)])

    def warm_run() -> float:
        return run(
            [*AIBOM, "scan", str(root), "-q", "--exit-zero", "-o", out, "--cache-dir", str(shared)]
        )

    times_c = [cold() for _ in range(args.runs)]
    times_w = [warm_run() for _ in range(args.runs)]
    c, w = statistics.median(times_c), statistics.median(times_w)
    print(f"  cold: {c:.2f} s   warm: {w:.3f} s   speed-up {c / w:.1f}x")
    # extrapolate: cold grows with bytes; warm is a fixed start-up plus a stat per file
    per_gb = c / (size / 1e9)
    ten = 10 / (size / 1e9)
    print(
        f"  10 GB (extrapolated, same file count): cold {per_gb * 10:.1f} s, warm {w:.3f} s, "
        f"speed-up {per_gb * 10 / w:.0f}x  (bytes scale x{ten:.1f}; warm does not read them)"
    )


def bench_jobs(tmp: Path, args: argparse.Namespace) -> None:
    root = tmp / "pickles"
    pickles(root, args.files or 2000)
    warm(root)
    n = len(list(root.iterdir()))
    print(
        f"1 vs 2 jobs on {n} pickle files ({sum(f.stat().st_size for f in root.iterdir()) / 1e6:.0f} MB):"
    )
    base = [*AIBOM, "scan", str(root), "-q", "--exit-zero", "--no-cache", "-o", str(tmp / "b.json")]
    paired(
        "--jobs 1",
        lambda: run([*base, "--jobs", "1"]),
        "--jobs 2",
        lambda: run([*base, "--jobs", "2"]),
        args.runs,
    )
    print("  (ratio = speed-up of 2 jobs)")


def bench_hash(tmp: Path, args: argparse.Namespace) -> None:
    path = tmp / "model.safetensors"
    safetensors_file(path, 1024**3)
    warm(tmp)
    print("1 GiB safetensors: aibom scan vs python hashlib.sha256 (both as fresh processes):")
    code = (
        "import hashlib,sys\nh=hashlib.sha256()\nb=bytearray(1<<22)\nv=memoryview(b)\n"
        "with open(sys.argv[1],'rb',buffering=0) as f:\n"
        "    while (n:=f.readinto(b)):\n        h.update(v[:n])\nprint(h.hexdigest())"
    )
    scan = [*AIBOM, "scan", str(path), "-q", "--exit-zero", "--no-cache", "-o", str(tmp / "b.json")]
    paired(
        "aibom scan",
        lambda: run(scan),
        "hashlib",
        lambda: run([sys.executable, "-c", code, str(path)]),
        args.runs,
    )
    paired(
        "aibom scan --jobs 2",
        lambda: run([*scan, "--jobs", "2"]),
        "hashlib",
        lambda: run([sys.executable, "-c", code, str(path)]),
        args.runs,
    )


def bench_check(tmp: Path, args: argparse.Namespace) -> None:
    req = tmp / "requirements.txt"
    req.write_text(
        "requests==2.32.3 --hash=sha256:" + "0" * 64 + "\nnumpy==2.1.3\n", encoding="utf-8"
    )
    print("aibom check on one requirements file vs python -c pass:")
    check = [*AIBOM, "check", str(req)]
    times_a, times_b = [], []
    for _ in range(max(args.runs, 20)):
        times_a.append(run(check))
        times_b.append(run([sys.executable, "-c", "pass"]))
    ma, mb = statistics.median(times_a), statistics.median(times_b)
    print(
        f"  check: {ma * 1000:.0f} ms   python -c pass: {mb * 1000:.0f} ms   "
        f"difference {1000 * (ma - mb):.0f} ms   ratio {ma / mb:.2f}x"
    )


def tiny_tree(root: Path, files: int) -> None:
    per_dir = 1000
    for i in range(files):
        folder = root / f"d{i // per_dir:04d}"
        if i % per_dir == 0:
            folder.mkdir(parents=True)
        (folder / f"f{i:06d}.txt").write_bytes(b"tiny file %d\n" % i)


def bare_walk(root: Path) -> float:
    code = (
        "import os,sys\nfor d,_,ns in os.walk(sys.argv[1]):\n    for n in ns:\n"
        "        with open(os.path.join(d,n),'rb') as f: f.read(4096)"
    )
    return run([sys.executable, "-c", code, str(root)])


def bench_tiny(tmp: Path, args: argparse.Namespace) -> None:
    root = tmp / "tiny"
    files = args.files or 200_000
    tiny_tree(root, files)
    settle()
    warm(root)
    print(f"{files:,} tiny files: aibom scan vs a bare Python walk reading 4 KiB of each:")
    base = [*AIBOM, "scan", str(root), "-q", "--exit-zero", "-o", str(tmp / "b.json")]
    paired(
        "scan --no-cache",
        lambda: run([*base, "--no-cache"]),
        "bare walk",
        lambda: bare_walk(root),
        args.runs,
    )
    shared = str(tmp / "cache")
    run([*base, "--cache-dir", shared])
    paired(
        "scan, warm cache",
        lambda: run([*base, "--cache-dir", shared]),
        "bare walk",
        lambda: bare_walk(root),
        args.runs,
    )


def peak_rss_mb(cmd: list[str]) -> tuple[float, float]:
    code = (
        "import resource,subprocess,sys,time\nt=time.perf_counter()\n"
        "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)\n"
        "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *cmd], capture_output=True, text=True, check=True
    )
    seconds, kb = done.stdout.split()
    return float(seconds), int(kb) / 1024


def bench_memory(tmp: Path, args: argparse.Namespace) -> None:
    root = tmp / "tiny"
    files = args.files or 200_000
    tiny_tree(root, files)
    out = str(tmp / "b.json")
    print("peak RSS (largest single process, ru_maxrss of children):")
    for jobs in ("1", "2"):
        s, mb = peak_rss_mb(
            [
                *AIBOM,
                "scan",
                str(root),
                "-q",
                "--exit-zero",
                "--no-cache",
                "--jobs",
                jobs,
                "-o",
                out,
            ]
        )
        print(f"  {files:,}-file tree, --jobs {jobs}: {mb:.0f} MB in {s:.1f} s")
    s, mb = peak_rss_mb([sys.executable, "-c", "pass"])
    print(f"  python -c pass: {mb:.0f} MB")
    req = tmp / "proj" / "requirements.txt"
    req.parent.mkdir()
    req.write_text(
        "".join(f"package-{i}=={i % 7}.{i % 11}.0\n" for i in range(10_000)), encoding="utf-8"
    )
    s, mb = peak_rss_mb(
        [*AIBOM, "scan", str(req.parent), "-q", "--exit-zero", "--no-cache", "-o", out]
    )
    comps = len(json.loads(Path(out).read_text(encoding="utf-8")).get("components", []))
    print(f"  {comps:,}-component AIBOM (10,000 pinned requirements): {mb:.0f} MB in {s:.1f} s")


def bench_dask(tmp: Path, args: argparse.Namespace) -> None:
    from distributed import LocalCluster

    root = tmp / "pickles"
    pickles(root, args.files or 2000)
    warm(root)
    print(
        f"local vs LocalCluster (2 worker processes, 1 thread each) on {args.files or 2000} pickles:"
    )
    base = [*AIBOM, "scan", str(root), "-q", "--exit-zero", "--no-cache", "-o", str(tmp / "b.json")]
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        paired(
            "--dask",
            lambda: run([*base, "--dask", address]),
            "--jobs 2 (local)",
            lambda: run([*base, "--jobs", "2"]),
            args.runs,
        )
        paired(
            "--dask",
            lambda: run([*base, "--dask", address]),
            "--jobs 1 (local)",
            lambda: run([*base, "--jobs", "1"]),
            args.runs,
        )


def bench_simulate(tmp: Path, args: argparse.Namespace) -> None:
    """Schedule 1M synthetic files through the real windowed scheduler with an executor that
    answers at once (1% of files are artifacts): in-flight and re-order buffers stay bounded,
    and memory grows only with the merged results."""
    import concurrent.futures as cf

    from aibom.config import Config
    from aibom.execution import collected_json, scheduling
    from aibom.execution.file_tasks import FileJob
    from aibom.model import Artifact, Collected, FileRef

    files = args.files or 1_000_000
    workers = 64
    empty = collected_json.dumps(Collected())
    art = Artifact(path="x", format="pickle", size=1, sha256="0" * 64)
    one = collected_json.dumps(Collected(artifacts=[art]))
    stats = {"live": 0, "peak": 0, "done": 0}

    class Instant:
        def submit(self, fn: object, jobs: list[FileJob], config: Config) -> cf.Future[object]:
            stats["live"] += 1
            stats["peak"] = max(stats["peak"], stats["live"])
            future: cf.Future[object] = cf.Future()
            future.set_result([(one if j.file.size % 100 == 0 else empty, None) for j in jobs])
            future.add_done_callback(lambda _: None)
            return future

    kept = Collected()

    def done(i: int, result: object, payload: str | None) -> None:
        stats["done"] += 1
        if stats["done"] % (scheduling.BATCH_FILES) == 0:
            stats["live"] -= 1
        kept.extend(result.collected)  # type: ignore[attr-defined]

    def rss_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    jobs = (FileJob(FileRef(Path(f"/store/f{i}"), f"f{i}", i)) for i in range(files))
    before = rss_mb()
    start = time.perf_counter()
    scheduling._run_windowed(scheduling.Workers(Instant(), workers), jobs, Config(), None, done)  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    window = workers * scheduling.WINDOW_PER_WORKER
    print(
        f"simulated scheduling of {files:,} files on {workers} workers (window {window} batches):"
    )
    print(
        f"  {stats['done']:,} results merged in walk order in {seconds:.1f} s "
        f"({1e6 * seconds / files:.0f} us per file); {len(kept.artifacts):,} artifacts kept"
    )
    print(
        f"  batches in flight at most {stats['peak']} (window {window}); "
        f"peak RSS {before:.0f} MB before, {rss_mb():.0f} MB after "
        f"(growth = the merged artifacts)"
    )


BENCHES = {
    "cache": bench_cache,
    "jobs": bench_jobs,
    "hash": bench_hash,
    "check": bench_check,
    "tiny": bench_tiny,
    "memory": bench_memory,
    "dask": bench_dask,
    "simulate": bench_simulate,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("which", nargs="*", help=f"any of {', '.join(BENCHES)} (default: all)")
    parser.add_argument("--gb", type=float, default=2.0)
    parser.add_argument("--files", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    unknown = [w for w in args.which if w not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}")
    for name in args.which or list(BENCHES):
        with tempfile.TemporaryDirectory(prefix="aibom-bench-") as tmp:
            BENCHES[name](Path(tmp), args)


if __name__ == "__main__":
    main()
