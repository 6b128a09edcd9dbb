"""Benchmark the typosquat engine: loading its data and checking 1,000 names.

    python tests/benchmarks/bench_typosquat.py [--repeat 7]

Prints the median and best of `--repeat` runs for:
- load: read popular_packages.tsv and malicious_packages.toml and build every look-up table
  (what the first check in a process pays; later checks reuse the cached index);
- 1,000 names of a typical project (popular names, as most dependencies are);
- 1,000 real PyPI names outside the top 15,000 (the worst case: every look-up runs);
- 1,000 typosquats (the positives of the evaluation set, repeated).
Targets from issue 5: load under 100 ms, 1,000 names under 50 ms after load.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from aibom.checks.typosquat_index import TyposquatIndex, parse_known, parse_popular
from aibom.rules import read_data_file

DATA = Path(__file__).resolve().parent.parent / "typosquat"


def _load() -> TyposquatIndex:
    popular = parse_popular(read_data_file("popular_packages.tsv").decode("utf-8"))
    malicious, placeholders = parse_known(read_data_file("malicious_packages.toml").decode("utf-8"))
    return TyposquatIndex(popular, malicious, placeholders)


def _names(file: str) -> list[str]:
    lines = (DATA / file).read_text(encoding="utf-8").splitlines()
    return [line.split("\t")[0] for line in lines if line and not line.startswith("#")]


def _time(run: Callable[[], object], repeat: int) -> str:
    """Wall-clock median and best, and the median CPU time of this process (steadier than
    wall-clock time on a shared machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return (
        f"median {statistics.median(wall):.1f} ms, best {min(wall):.1f} ms "
        f"(CPU median {statistics.median(cpu):.1f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    read_data_file("popular_packages.tsv")  # warm the file cache and imports
    print(f"load data and build index: {_time(_load, args.repeat)}")
    index = _load()
    popular = sorted(index.popular, key=index.popular.__getitem__)[:1000]
    unranked = _names("negatives_unranked.txt")[:1000]
    squats = (_names("positives.tsv") * 20)[:1000]
    for label, names in (
        ("1,000 popular names", popular),
        ("1,000 unranked real names (worst case)", unranked),
        ("1,000 typosquats", squats),
    ):
        figures = _time(lambda names=names: [index.check(n) for n in names], args.repeat)
        print(f"check {label}: {figures}")


if __name__ == "__main__":
    main()
