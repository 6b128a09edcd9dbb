"""Benchmark the code-reference reader (aibom.sources.code_refs) on real Python source.

    python tests/benchmarks/bench_code_refs.py [FOLDER ...]

Without arguments it reads the installed sources of a few large packages (botocore, IPython,
_pytest, cyclonedx, pip_audit) as a corpus. Files are read into memory first, so the figures
are parse + analysis time only. It prints files, MB, files/s and MB/s with the keyword
prefilter (the default) and with every file parsed, best of three runs.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

from aibom.sources import code_refs as code


def corpus(roots: list[Path]) -> list[tuple[str, bytes]]:
    files = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            try:
                files.append((path.as_posix(), path.read_bytes()))
            except OSError:
                continue
    return files


def default_roots() -> list[Path]:
    roots = []
    for name in ("botocore", "IPython", "_pytest", "cyclonedx", "pip_audit"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            roots.append(Path(next(iter(spec.submodule_search_locations))))
    return roots


def run(files: list[tuple[str, bytes]], label: str, repeat: int = 3) -> None:
    """Best of `repeat` runs (the machine may be shared)."""
    elapsed = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        refs = errors = 0
        for rel, data in files:
            collected = code.analyse_source(data, rel)
            refs += len(collected.code_refs)
            errors += len(collected.errors)
        elapsed = min(elapsed, time.perf_counter() - start)
    size = sum(len(d) for _, d in files) / 1e6
    print(
        f"{label:<22} {len(files):>6} files {size:8.1f} MB {elapsed:7.2f} s "
        f"{len(files) / elapsed:9.0f} files/s {size / elapsed:6.1f} MB/s "
        f"refs={refs} errors={errors}"
    )


def main() -> None:
    roots = [Path(a) for a in sys.argv[1:]] or default_roots()
    print("corpus:", ", ".join(r.name for r in roots))
    files = corpus(roots)
    run(files, "prefilter (default)")
    original = code._worth_parsing
    code._worth_parsing = lambda data: True  # type: ignore[assignment]
    try:
        run(files, "every file parsed")
    finally:
        code._worth_parsing = original  # type: ignore[assignment]


if __name__ == "__main__":
    main()
