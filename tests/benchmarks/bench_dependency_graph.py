"""Benchmark: the dependency part of a scan on a monorepo of 2,000 locked dependencies.

Generates, in a temporary folder, four uv projects of 500 packages each (one with a forked
resolution: every tenth package at two versions chosen by python_version, edges naming the
version), each with a pyproject.toml declaring 50 of them as ranges, and a requirements
file at the top with 100 ranges; then times reading the locks and manifests and building
the AIBOM graph (best of 5), and prints the figures with the graph's share of the total.
Not collected by pytest; run (also with an older aibom installed, to compare):

    python tests/benchmarks/bench_dependency_graph.py [PACKAGES_PER_LOCK] [LOCKS]
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
from pathlib import Path

from aibom import sources
from aibom.config import Config
from aibom.model import Collected, Inventory
from aibom.walk import walk

try:
    from aibom.bom.graph import build_graph
except ImportError:  # an aibom from before the restructuring
    from aibom.components import build_graph  # type: ignore[no-redef]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def uv_lock(project: str, n: int, fork: bool) -> str:
    out = ['version = 1\nrevision = 3\nrequires-python = ">=3.9"\n']
    if fork:
        out.append(
            "resolution-markers = [\"python_full_version >= '3.10'\", \"python_full_version < '3.10'\"]\n"
        )
    root_edges = ", ".join(f'{{ name = "pkg-{j}" }}' for j in range(0, n, 10))
    out.append(
        f'[[package]]\nname = "{project}"\nversion = "0.1.0"\nsource = {{ virtual = "." }}\n'
        f"dependencies = [{root_edges}]\n"
    )
    for i in range(n):
        versions = ["1.0.0", "2.0.0"] if fork and i % 10 == 0 else ["1.0.0"]
        for version in versions:
            edges = []
            for j in range(i + 1, min(i + 4, n)):
                if fork and j % 10 == 0:
                    edges.append(f'{{ name = "pkg-{j}", version = "{version}" }}')
                else:
                    edges.append(f'{{ name = "pkg-{j}" }}')
            out.append(
                f'[[package]]\nname = "pkg-{i}"\nversion = "{version}"\n'
                'source = { registry = "https://pypi.org/simple" }\n'
                f"dependencies = [{', '.join(edges)}]\n"
                f'sdist = {{ url = "https://files.example/pkg-{i}-{version}.tar.gz", '
                f'hash = "sha256:{digest(f"s{i}{version}")}", size = 1000 }}\n'
                "wheels = [\n"
                f'    {{ url = "https://files.example/pkg_{i}-{version}-py3-none-any.whl", '
                f'hash = "sha256:{digest(f"w{i}{version}")}", size = 900 }},\n'
                "]\n"
            )
    return "\n".join(out)


def make_tree(root: Path, per_lock: int, locks: int) -> int:
    total = 0
    for k in range(locks):
        folder = root / "services" / f"svc{k}"
        folder.mkdir(parents=True)
        fork = k == 0
        (folder / "uv.lock").write_text(uv_lock(f"svc{k}", per_lock, fork), "utf-8")
        declared = ", ".join(f'"pkg-{j}>=1"' for j in range(0, per_lock, per_lock // 50))
        (folder / "pyproject.toml").write_text(
            f'[project]\nname = "svc{k}"\nversion = "0.1.0"\ndependencies = [{declared}]\n',
            "utf-8",
        )
        total += per_lock + (per_lock // 10 if fork else 0)
    (root / "requirements.txt").write_text("".join(f"pkg-{j}>=1\n" for j in range(100)), "utf-8")
    return total


DEPENDENCY_KINDS = {"requirements", "pyproject", "uv.lock"}


def run(root: Path) -> tuple[float, float, int, int]:
    config = Config(roots=(root,))
    start = time.perf_counter()
    files = [f for f in walk([root], ()).files if str(sources.classify(f.rel)) in DEPENDENCY_KINDS]
    collected = Collected()
    for file in files:
        kind = sources.classify(file.rel)
        assert kind is not None
        collected.extend(sources.get_collector(kind)(file, config))
    try:
        inventory = Inventory(roots=(root.as_posix(),))  # type: ignore[call-arg]
    except TypeError:
        inventory = Inventory(root=root.as_posix())  # type: ignore[call-arg]
    inventory.add(collected)
    read = time.perf_counter()
    graph = build_graph(inventory)
    done = time.perf_counter()
    return read - start, done - read, len(inventory.dependencies), len(graph.components)


def main() -> None:
    per_lock = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    locks = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        locked = make_tree(root, per_lock, locks)
        runs = [run(root) for _ in range(5)]
    read = min(r[0] for r in runs)
    graph = min(r[1] for r in runs)
    _, _, records, components = runs[0]
    print(f"{locked} locked packages in {locks} locks, {records} dependency records")
    print(f"  read locks and manifests: {read:.3f} s (best of 5)")
    print(f"  build the graph:          {graph:.3f} s ({components} components)")
    print(
        f"  dependency part total:    {read + graph:.3f} s; graph share {graph / (read + graph):.0%}"
    )


if __name__ == "__main__":
    main()
