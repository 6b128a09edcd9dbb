#!/usr/bin/env python3
"""Regenerate rules/popular_packages.tsv from a PyPI download ranking.

Input, any of:
- hugovk's top-pypi-packages JSON (`{"last_update": ..., "rows": [{"project": ..., "download_count": ...}]}`),
  ranked by `download_count` (highest first) or, when counts are missing, by row order;
- the same ranking as CSV (columns `project,download_count`);
- a tab-separated package list with a header row holding `name` and
  `rank_among_15000_most_downloaded` (rows with an empty rank are skipped).

Names are PEP 503 normalised; names listed in rules/malicious_packages.toml are removed (a download
ranking can contain malware) and written to the header with their advisory. Ranks keep their
original numbers, so a removed name leaves a gap.

    python rules/scripts/make_popular_packages.py top-pypi-packages.min.json \
        --date 2026-06 --source "hugovk top-pypi-packages, 30 days" > rules/popular_packages.tsv
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent
RULES = HERE.parent
_SEP = re.compile(r"[-_.]+")


def normalise(name: str) -> str:
    return _SEP.sub("-", name).lower()


def read_ranking(path: Path, limit: int) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    ranked: list[tuple[int, str]] = []
    if path.suffix == ".json":
        rows = json.loads(text)["rows"]
        if all("download_count" in r for r in rows):
            rows = sorted(rows, key=lambda r: -int(r["download_count"]))
        ranked = [(i + 1, str(r["project"])) for i, r in enumerate(rows)]
    elif path.suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        if rows and "download_count" in rows[0]:
            rows.sort(key=lambda r: -int(r["download_count"]))
        ranked = [(i + 1, r["project"]) for i, r in enumerate(rows)]
    else:  # tab-separated package list with a rank column
        reader = csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
        for row in reader:
            rank = (row.get("rank_among_15000_most_downloaded") or "").strip()
            if rank:
                ranked.append((int(rank), row["name"]))
        ranked.sort()
    return [(rank, normalise(name)) for rank, name in ranked if rank <= limit]


def malicious_names() -> dict[str, str]:
    data = tomllib.loads((RULES / "malicious_packages.toml").read_text(encoding="utf-8"))
    return {normalise(p["name"]): p["reference"] for p in data.get("package", [])}


def render(ranked: list[tuple[int, str]], source: str, date: str) -> str:
    bad = malicious_names()
    removed = sorted((rank, name) for rank, name in ranked if name in bad)
    seen: set[str] = set()
    out = [
        "# Popular PyPI packages: rank<TAB>name (PEP 503 normalised), most downloaded first.",
        f"# source: {source}",
        f"# date: {date}",
        "# generated-by: rules/scripts/make_popular_packages.py",
    ]
    for rank, name in removed:
        out.append(f"# removed-malicious: {name} (rank {rank}) {bad[name]}")
    for rank, name in ranked:
        if name in bad or name in seen:
            continue
        seen.add(name)
        out.append(f"{rank}\t{name}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ranking", type=Path, help="top-pypi-packages .json/.csv, or a .tsv list")
    parser.add_argument("--date", required=True, help="date of the ranking, e.g. 2026-06")
    parser.add_argument("--source", default="hugovk top-pypi-packages (30-day downloads)")
    parser.add_argument("--limit", type=int, default=15000)
    parser.add_argument("-o", "--output", type=Path)
    args = parser.parse_args(argv)
    text = render(read_ranking(args.ranking, args.limit), args.source, args.date)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
