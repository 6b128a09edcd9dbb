#!/usr/bin/env python3
"""Build the negative evaluation sets for the typosquat detector from a PyPI package list.

Input: a tab-separated list of every PyPI project with a header row holding `name` and
`rank_among_15000_most_downloaded` (the PyPI download ranking in hugovk top-pypi-packages
form, joined to the full project list; the rank is empty for projects outside the top 15,000).

Writes, beside this script:
- negatives_unranked.txt: a seeded random sample of real PyPI names outside the top 15,000;
- negatives_ranked.txt: ranked projects that have a more popular look-alike in the ranking
  (one edit, a swap, look-alike characters, separators, word order, python/py affixes,
  distance 2 for long names), found systematically with the detector's own evidence
  generators, plus hand-picked legitimate pairs.

    python tests/typosquat/make_eval_sets.py PACKAGE_LIST.tsv
"""

from __future__ import annotations

import csv
import io
import random
import sys
from pathlib import Path

from aibom.checks.typosquat_index import default_index, normalise

HERE = Path(__file__).resolve().parent
SEED = 20261122
UNRANKED_SAMPLE = 2000
HAND_PICKED = (
    "grequests",
    "tomli",
    "toml",
    "cattrs",
    "attrs",
    "pyyaml",
    "yamllint",
    "boto",
    "botocore-stubs",
    "pydantic-core",
    "jinja2",
    "markupsafe",
    "pytest-mock",
    "requests-mock",
    "requests-toolbelt",
    "types-requests",
    "python-dotenv",
    "dotenv",
    "pyjwt",
    "jwt",
    "pillow",
    "pytz",
    "tzdata",
    "six",
    "sh",
    "nose",
    "nose2",
    "pyside2",
    "pyside6",
    "pyqt5",
    "pyqt6",
    "tensorboard",
    "tensorflow-cpu",
    "torchaudio",
    "torchvision",
    "torchtext",
    "opencv-python",
    "opencv-python-headless",
    "huggingface-hub",
    "msgpack",
    "msgspec",
    "uvicorn",
    "uvloop",
    "aiohttp",
    "aiohappyeyeballs",
    "httpx",
    "httpcore",
    "pyopenssl",
    "openssl",
)


def main(path: str) -> int:
    text = Path(path).read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    unranked: set[str] = set()
    for row in reader:
        if not (row.get("rank_among_15000_most_downloaded") or "").strip() and row["name"]:
            unranked.add(normalise(row["name"]))
    index = default_index()
    unranked -= set(index.popular)
    sample = random.Random(SEED).sample(sorted(unranked), UNRANKED_SAMPLE)
    (HERE / "negatives_unranked.txt").write_text(
        f"# {UNRANKED_SAMPLE} real PyPI names outside the top 15,000, random.Random({SEED}).sample\n"
        + "\n".join(sorted(sample))
        + "\n",
        encoding="utf-8",
    )

    ranked: dict[str, str] = {}
    for name, rank in index.popular.items():
        seen: set[str] = set()
        evidence = list(index._evidence(name, seen)) + list(index._distance2(name, seen))
        better = sorted(
            (index.popular[t], t, kind) for t, kind, _ in evidence if index.popular[t] < rank
        )
        if better:
            ranked[name] = f"{better[0][1]}\t{better[0][2]}"
    for name in HAND_PICKED:
        if name in index.popular:
            ranked.setdefault(name, "\thand-picked")
    lines = [f"{name}\t{why}" for name, why in sorted(ranked.items())]
    (HERE / "negatives_ranked.txt").write_text(
        "# ranked PyPI name<TAB>its more popular look-alike<TAB>evidence kind\n"
        + "\n".join(lines)
        + "\n",
        encoding="utf-8",
    )
    print(f"unranked sample: {len(sample)}; ranked look-alikes: {len(ranked)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
