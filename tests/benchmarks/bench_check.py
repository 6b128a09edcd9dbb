"""Wall time of `aibom check` (the pre-commit fast path) on one 50-line requirements file.

Run:  python tests/benchmarks/bench_check.py [--runs N]

Prints the median, minimum and maximum wall time of N runs of the installed `aibom` console
script (falling back to `python -m aibom`), each a fresh process, plus the bare interpreter
start-up for comparison. Each `aibom check` run is paired with a `python -c pass` run just before it, and the
median extra time is printed. Target: median under 150 ms. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POPULAR = [
    "requests",
    "urllib3",
    "idna",
    "certifi",
    "charset-normalizer",
    "numpy",
    "packaging",
    "six",
    "pyyaml",
    "python-dateutil",
    "setuptools",
    "typing-extensions",
    "botocore",
    "boto3",
    "s3transfer",
    "jmespath",
    "cryptography",
    "cffi",
    "pycparser",
    "attrs",
    "pydantic",
    "pydantic-core",
    "annotated-types",
    "click",
    "jinja2",
    "markupsafe",
    "pytz",
    "tzdata",
    "pandas",
    "filelock",
    "fsspec",
    "tqdm",
    "protobuf",
    "grpcio",
    "wheel",
    "pip",
    "platformdirs",
    "pyjwt",
    "rsa",
    "pyasn1",
    "google-auth",
    "cachetools",
    "oauthlib",
    "requests-oauthlib",
    "psutil",
    "pygments",
    "rich",
    "markdown-it-py",
    "mdurl",
]


def make_requirements(lines: int, *, with_finding: bool, popular: bool = False) -> str:
    """`lines` pinned requirements, each with two sha256 hashes, like pip-compile writes;
    with `with_finding`, the last line is unpinned so the check has findings to print. The
    names are `package-N` (unknown to the typosquat lists: the look-up tables are built) or,
    with `popular`, well-known projects (answered without building them)."""
    out = []
    for i in range(lines - 1):
        a = hashlib.sha256(f"wheel-{i}".encode()).hexdigest()
        b = hashlib.sha256(f"sdist-{i}".encode()).hexdigest()
        name = POPULAR[i % len(POPULAR)] if popular else f"package-{i}"
        out.append(f"{name}==1.{i}.0 --hash=sha256:{a} --hash=sha256:{b}")
    if with_finding:
        out.append("requests>=2.31")
    else:
        a = hashlib.sha256(b"last").hexdigest()
        out.append(f"requests==2.32.3 --hash=sha256:{a}")
    return "\n".join(out) + "\n"


def command() -> list[str]:
    script = Path(sys.executable).with_name("aibom")
    if script.is_file():
        return [str(script)]
    found = shutil.which("aibom")
    return [found] if found else [sys.executable, "-m", "aibom"]


def measure(cmd: list[str], cwd: Path, runs: int) -> tuple[list[float], list[float]]:
    """(wall seconds, CPU seconds of the child: user + system) per run. On a loaded machine
    the CPU time is the steadier figure; the wall time is what a user waits."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return walls, cpus


def measure_paired(
    cmd: list[str], base: list[str], cwd: Path, runs: int
) -> tuple[list[float], list[float], list[float]]:
    """`cmd` and `base` run alternately (so load changes hit both): (walls, CPUs, base walls)."""
    walls, cpus, bases = [], [], []
    for _ in range(runs):
        bases.append(measure(base, cwd, 1)[0][0])
        wall, cpu = measure(cmd, cwd, 1)
        walls.append(wall[0])
        cpus.append(cpu[0])
    return walls, cpus, bases


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base_wall, base_cpu = measure([sys.executable, "-c", "pass"], folder, args.runs)
        print(
            f"python -c pass: wall median {statistics.median(base_wall) * 1000:.1f} ms, "
            f"CPU median {statistics.median(base_cpu) * 1000:.1f} ms"
        )
        cases = (
            ("clean, popular names", False, True),
            ("clean, unknown names", False, False),
            ("with findings", True, False),
        )
        for label, with_finding, popular in cases:
            (folder / "requirements.txt").write_text(
                make_requirements(50, with_finding=with_finding, popular=popular), "utf-8"
            )
            cmd = [*command(), "check", "requirements.txt"]
            result = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, check=False)
            walls, cpus, bases = measure_paired(
                cmd, [sys.executable, "-c", "pass"], folder, args.runs
            )
            ms = [t * 1000 for t in walls]
            extra = [(w - b) * 1000 for w, b in zip(walls, bases, strict=True)]
            print(f"command: {' '.join(cmd)}  (exit {result.returncode})")
            if result.stdout.strip():
                print(f"output: {result.stdout.strip()}")
            print(
                f"aibom check, 50-line requirements file, {label}, {args.runs} runs: wall "
                f"median {statistics.median(ms):.1f} ms (min {min(ms):.1f}, max {max(ms):.1f}); "
                f"CPU median {statistics.median(cpus) * 1000:.1f} ms; paired with python -c pass: "
                f"median extra {statistics.median(extra):.1f} ms "
                f"(python -c pass median {statistics.median(bases) * 1000:.1f} ms)"
            )
    try:
        load = os.getloadavg()[0]
        print(f"load average (1 min) {load:.2f} on {os.cpu_count()} CPUs")
    except OSError:
        pass


if __name__ == "__main__":
    main()
