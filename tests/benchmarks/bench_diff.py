"""Benchmark: load + diff + render two AIBOMs of 10,000 components each.

    python tests/benchmarks/bench_diff.py [N]

Prints the wall time of each stage (in-process, excluding interpreter start-up). The two
synthetic AIBOMs differ in ~10% of components (upgrades, downgrades, hash changes, added,
removed, licence changes) and carry a dependency chain, like a large monorepo's lock.
"""

from __future__ import annotations

import json
import random
import sys
import time

from aibom.bom.read import parse_bom
from aibom.diff.compare import diff
from aibom.diff.render import render


def make_bom(n: int, variant: int) -> bytes:
    rng = random.Random(42)
    components = []
    deps = [{"ref": "root", "dependsOn": [f"c{i}" for i in range(0, n, 50)]}]
    for i in range(n):
        version = f"1.{i % 7}.{i % 13}"
        sha = f"{i:064x}"
        lic = "MIT"
        roll = rng.random()
        if variant and roll < 0.02:
            version = f"2.{i % 7}.0"
        elif variant and roll < 0.04:
            version = "0.1.0"
        elif variant and roll < 0.06:
            sha = f"{i + 1:064x}"
        elif variant and roll < 0.08:
            lic = "GPL-3.0-only"
        if variant and 0.08 <= roll < 0.09:
            continue  # removed
        components.append(
            {
                "type": "library",
                "bom-ref": f"c{i}",
                "name": f"package-{i}",
                "version": version,
                "purl": f"pkg:pypi/package-{i}@{version}",
                "licenses": [{"license": {"id": lic}}],
                "externalReferences": [
                    {
                        "type": "distribution",
                        "url": "https://x",
                        "hashes": [{"alg": "SHA-256", "content": sha}],
                    }
                ],
            }
        )
        if i + 1 < n:
            deps.append({"ref": f"c{i}", "dependsOn": [f"c{i + 1}"]})
    if variant:
        for j in range(n // 100):
            components.append(
                {
                    "type": "library",
                    "bom-ref": f"new{j}",
                    "name": f"fresh-{j}",
                    "version": "1.0",
                    "purl": f"pkg:pypi/fresh-{j}@1.0",
                }
            )
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {"component": {"type": "application", "bom-ref": "root", "name": "big"}},
        "components": components,
        "dependencies": deps,
    }
    return json.dumps(doc).encode()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    old_bytes, new_bytes = make_bom(n, 0), make_bom(n, 1)
    t0 = time.perf_counter()
    old = parse_bom(old_bytes, "old")
    new = parse_bom(new_bytes, "new")
    t1 = time.perf_counter()
    changes = diff(old, new)
    t2 = time.perf_counter()
    text = render(changes, "json")
    t3 = time.perf_counter()
    print(
        f"components: {len(old.components)} old, {len(new.components)} new; "
        f"{len(changes.changes)} changes; report {len(text)} bytes"
    )
    print(f"load  {t1 - t0:.3f} s")
    print(f"diff  {t2 - t1:.3f} s")
    print(f"render {t3 - t2:.3f} s")
    print(f"total {t3 - t0:.3f} s (target: under 1 s)")


if __name__ == "__main__":
    main()
