"""Benchmark: reading large lock files and a large installed environment.

Generates, in a temporary folder, a uv.lock, a poetry.lock and a pdm.lock of N packages
(each with an sdist and two wheels and three dependency edges) and a site-packages of M
distributions (METADATA with five Requires-Dist, RECORD of 40 rows), then times the
collectors (best of 3). Not collected by pytest; run:

    python tests/benchmarks/bench_locks.py [N] [M]
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from aibom.config import Config
from aibom.model import Collected, FileRef
from aibom.sources import locks
from aibom.sources.environment import collect_environment


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def uv_lock(n: int) -> str:
    out = ['version = 1\nrevision = 3\nrequires-python = ">=3.10"\n']
    out.append(
        '[[package]]\nname = "root"\nversion = "0.1.0"\nsource = { virtual = "." }\n'
        'dependencies = [{ name = "pkg-0" }, { name = "pkg-1" }]\n'
    )
    for i in range(n):
        edges = ", ".join(f'{{ name = "pkg-{j}" }}' for j in range(i + 1, min(i + 4, n)))
        out.append(
            f'[[package]]\nname = "pkg-{i}"\nversion = "1.{i}.0"\n'
            'source = { registry = "https://pypi.org/simple" }\n'
            f"dependencies = [{edges}]\n"
            f'sdist = {{ url = "https://files.example/pkg-{i}.tar.gz", '
            f'hash = "sha256:{digest(f"s{i}")}", size = 1000 }}\n'
            "wheels = [\n"
            f'    {{ url = "https://files.example/pkg_{i}-py3-none-any.whl", '
            f'hash = "sha256:{digest(f"w{i}")}", size = 900 }},\n'
            f'    {{ url = "https://files.example/pkg_{i}-cp311-win_amd64.whl", '
            f'hash = "sha256:{digest(f"x{i}")}", size = 950 }},\n'
            "]\n"
        )
    return "\n".join(out)


def poetry_like(n: int, *, pdm: bool) -> str:
    out = []
    for i in range(n):
        files = (
            "files = [\n"
            f'    {{file = "pkg_{i}-py3-none-any.whl", hash = "sha256:{digest(f"w{i}")}"}},\n'
            f'    {{file = "pkg_{i}-cp311-win_amd64.whl", hash = "sha256:{digest(f"x{i}")}"}},\n'
            f'    {{file = "pkg-{i}.tar.gz", hash = "sha256:{digest(f"s{i}")}"}},\n'
            "]\n"
        )
        deps = [f"pkg-{j}" for j in range(i + 1, min(i + 4, n))]
        if pdm:
            listed = ", ".join(f'"{d}>=1"' for d in deps)
            out.append(
                f'[[package]]\nname = "pkg-{i}"\nversion = "1.{i}.0"\ngroups = ["default"]\n'
                f"dependencies = [{listed}]\n{files}"
            )
        else:
            table = "".join(f'{d} = ">=1"\n' for d in deps)
            out.append(
                f'[[package]]\nname = "pkg-{i}"\nversion = "1.{i}.0"\noptional = false\n'
                f'groups = ["main"]\n{files}\n[package.dependencies]\n{table}'
            )
    meta = (
        '[metadata]\ncontent_hash = "sha256:00"\n'
        if pdm
        else '[metadata]\nlock-version = "2.1"\ncontent-hash = "00"\n'
    )
    return "\n".join(out) + "\n" + meta


def site_packages(root: Path, m: int) -> None:
    for i in range(m):
        dist = root / f"pkg_{i}-1.0.dist-info"
        dist.mkdir()
        requires = "".join(f"Requires-Dist: dep-{i}-{k}>=1\n" for k in range(5))
        (dist / "METADATA").write_text(
            f"Metadata-Version: 2.4\nName: pkg-{i}\nVersion: 1.0\nLicense-Expression: MIT\n"
            f"{requires}Requires-Dist: extra-dep; extra == 'x'\n\nLong description.\n"
        )
        rows = "".join(
            f"pkg_{i}/m{k}.py,sha256={digest(str(k))[:43]},{k * 10}\n" for k in range(39)
        )
        (dist / "RECORD").write_text(rows + f"pkg_{i}-1.0.dist-info/RECORD,,\n")
        (dist / "INSTALLER").write_text("pip\n")


def best_of(run: Callable[[], Collected], times: int = 3) -> tuple[float, Collected]:
    best, result = float("inf"), Collected()
    for _ in range(times):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    config = Config()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cases = [
            ("uv.lock", uv_lock(n), locks.collect_uv),
            ("poetry.lock", poetry_like(n, pdm=False), locks.collect_poetry),
            ("pdm.lock", poetry_like(n, pdm=True), locks.collect_pdm),
        ]
        for name, text, collector in cases:
            path = root / name
            path.write_text(text)
            ref = FileRef(path, name, path.stat().st_size)
            seconds, got = best_of(lambda ref=ref, c=collector: c(ref, config))
            assert not got.errors, got.errors[:3]
            print(
                f"{name:12} {len(got.dependencies):6} packages "
                f"{path.stat().st_size / 1e6:6.1f} MB  {seconds * 1000:8.1f} ms  "
                f"({len(got.dependencies) / seconds:,.0f} packages/s)"
            )
        env = root / "site-packages"
        env.mkdir()
        site_packages(env, m)
        seconds, got = best_of(lambda: collect_environment(env, config))
        assert not got.errors, got.errors[:3]
        print(
            f"{'environment':12} {len(got.dependencies):6} dist-info     "
            f"        {seconds * 1000:8.1f} ms  ({len(got.dependencies) / seconds:,.0f} dists/s)"
        )


if __name__ == "__main__":
    main()
