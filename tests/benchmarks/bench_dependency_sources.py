"""Benchmark: the dependency-source parsers on their own (no checks, no AIBOM).

Generates, in a temporary folder:
- a pip-compile style requirements.txt with N pins, each continued over three lines with two
  `--hash` values, plus a chain of 20 `-r` includes of 100 lines each;
- a pyproject.toml with N PEP 621 dependencies, N/10 optional ones in 10 extras, and 10
  PEP 735 groups each including the previous one;
- an environment.yml with N conda specs and N/10 pip requirements;
and times each parser (best of --repeat runs), printing dependencies/second. Then times
hostile inputs once each (a 2 MB line of spaces, runs of brackets, 200,000-entry lists) to
show the parsers stay linear.

Run: python tests/benchmarks/bench_dependency_sources.py [--n 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from aibom.config import Config
from aibom.model import FileRef
from aibom.sources import conda, pyproject, requirements


def digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def make(root: Path, n: int) -> dict[str, Path]:
    lines = ["--require-hashes"]
    for i in range(n):
        lines.append(
            f"package-{i}=={i % 7}.{i % 13}.{i % 5} \\\n"
            f"    --hash=sha256:{digest(i, 'whl')} \\\n"
            f"    --hash=sha256:{digest(i, 'sdist')}\n"
            "    # via -r requirements.in"
        )
    lines.append("-r chain/r0.txt")
    (root / "chain").mkdir()
    for c in range(20):
        body = [f"chain{c}-pkg{j}>=1.{j}" for j in range(100)]
        if c < 19:
            body.append(f"-r r{c + 1}.txt")
        (root / "chain" / f"r{c}.txt").write_text("\n".join(body) + "\n")
    (root / "requirements.txt").write_text("\n".join(lines) + "\n")

    deps = ",\n".join(
        f'    "dep-{i}>={i % 9}.{i % 4}; python_version >= \\"3.9\\""' for i in range(n)
    )
    extras = "\n".join(
        f"extra{e} = [" + ", ".join(f'"opt-{e}-{j}==1.{j}"' for j in range(n // 100)) + "]"
        for e in range(10)
    )
    groups = "\n".join(
        f"g{g} = ["
        + ", ".join(f'"grp-{g}-{j}"' for j in range(n // 100))
        + (f', {{include-group = "g{g - 1}"}}' if g else "")
        + "]"
        for g in range(10)
    )
    (root / "pyproject.toml").write_text(
        '[project]\nname = "bench"\nversion = "1.0"\n'
        f"dependencies = [\n{deps}\n]\n\n[project.optional-dependencies]\n{extras}\n\n"
        f"[dependency-groups]\n{groups}\n"
    )
    conda_lines = ["name: bench", "channels:", "  - conda-forge", "dependencies:"]
    conda_lines += [f"  - conda-forge::pkg{i}={i % 3}.{i % 7}.0=py311h{i:06x}_0" for i in range(n)]
    conda_lines += ["  - pip:"] + [f"    - pypkg{i}=={i % 5}.0" for i in range(n // 10)]
    (root / "environment.yml").write_text("\n".join(conda_lines) + "\n")
    return {
        "requirements.txt": root / "requirements.txt",
        "pyproject.toml": root / "pyproject.toml",
        "environment.yml": root / "environment.yml",
    }


def best(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    config = Config()
    with tempfile.TemporaryDirectory() as tmp:
        paths = make(Path(tmp), args.n)
        collectors = {
            "requirements.txt": requirements.collect,
            "pyproject.toml": pyproject.collect,
            "environment.yml": conda.collect,
        }
        print(f"n={args.n}, best of {args.repeat}")
        for rel, path in paths.items():
            ref = FileRef(path, rel, path.stat().st_size)
            collect = collectors[rel]
            seconds, got = best(lambda c=collect, r=ref: c(r, config), args.repeat)
            deps = len(got.dependencies)  # type: ignore[attr-defined]
            errors = len(got.errors)  # type: ignore[attr-defined]
            size = path.stat().st_size
            print(
                f"{rel:18} {size / 1024:8.0f} KiB  {deps:6} dependencies  {errors} errors  "
                f"{seconds * 1000:8.1f} ms  {deps / seconds:10.0f} deps/s"
            )
    hostile(config)


HOSTILE = {
    "requirements.txt: 2 MB of spaces in one line": ("requirements.txt", " " * 2_000_000 + "x\n"),
    "requirements.txt: 60k spaces then a comment": (
        "requirements.txt",
        "x" + " " * 60_000 + "# aibom: ignore\n",
    ),
    "requirements.txt: 1M continuation lines": ("requirements.txt", "a==1 " + "\\\n" * 1_000_000),
    "pyproject.toml: 200k dependencies": (
        "pyproject.toml",
        '[project]\nname = "x"\ndependencies = [' + '"a",' * 200_000 + "]\n",
    ),
    "environment.yml: 2 MB bracket spec": (
        "environment.yml",
        "dependencies:\n  - \"x[version='" + "," * 2_000_000 + "']\"\n",
    ),
    "setup.cfg: 200k install_requires lines": (
        "setup.cfg",
        "[options]\ninstall_requires =\n" + "    a\n" * 200_000,
    ),
    "setup.py: 200k literals": ("setup.py", "setup(install_requires=[" + "'a'," * 200_000 + "])\n"),
}


def hostile(config: Config) -> None:
    from aibom.sources import setup_files

    collectors = {
        "requirements.txt": requirements.collect,
        "pyproject.toml": pyproject.collect,
        "environment.yml": conda.collect,
        "setup.cfg": setup_files.collect_setup_cfg,
        "setup.py": setup_files.collect_setup_py,
    }
    print("hostile inputs (one run each)")
    with tempfile.TemporaryDirectory() as tmp:
        for label, (name, text) in HOSTILE.items():
            path = Path(tmp) / name
            path.write_text(text)
            ref = FileRef(path, name, path.stat().st_size)
            start = time.perf_counter()
            got = collectors[name](ref, config)
            seconds = time.perf_counter() - start
            print(
                f"  {label:45} {seconds * 1000:8.1f} ms  "
                f"{len(got.dependencies)} dependencies, {len(got.errors)} errors"
            )


if __name__ == "__main__":
    main()
