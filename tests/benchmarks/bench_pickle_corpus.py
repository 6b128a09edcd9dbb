"""Detection matrix on the pickle evaluation corpus (fixtures/pickle-corpus/): aibom against
picklescan, modelscan, fickling and ModelAudit, per severity threshold.

    python tests/benchmarks/bench_pickle_corpus.py \
        [--aibom CMD] [--before CMD] [--peers DIR] [--only NAME...] [--jobs 2]

--aibom / --before: aibom executables (the current one and, say, an install of an older
commit); default: `python -m aibom` of this interpreter. --peers (or AIBOM_PEER_BIN): a folder
holding the picklescan, modelscan, fickling and modelaudit executables; a peer that is absent
is skipped. Nothing here asserts: it prints the matrix.

How each tool's verdict becomes a severity:
- aibom: the highest finding severity for the file (JSON report of one scan of each half).
- picklescan: exit 1 ("dangerous") = critical; suspicious globals only = medium; exit 2 = error.
- modelscan: the highest issue severity; exit 2 = error, exit 3 ("nothing scanned") = skipped.
- fickling --check-safety: OVERTLY/LIKELY_OVERTLY_MALICIOUS = critical, LIKELY_UNSAFE = high,
  SUSPICIOUS = medium, POSSIBLY_UNSAFE = low; exit 2 = error.
- ModelAudit: critical = critical, warning = medium, info = low (one scan of each half).
"fails" counts files for which the tool's default exit code is non-zero (errors included):
what a CI gate using the tool would block.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fixtures" / "pickle-corpus"
LEVELS = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
NONE = -1
ERROR = -2  # the tool could not scan the file


@dataclass
class Verdict:
    level: int  # LEVELS value, NONE, or ERROR
    fails: bool  # non-zero default exit code


def run(cmd: list[str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ, NO_ANALYTICS="1", PROMPTFOO_DISABLE_TELEMETRY="1", PYTHONWARNINGS="ignore"
    )
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=tempfile.gettempdir()
    )


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


def worst(verdicts: list[Verdict]) -> Verdict:
    return Verdict(max(v.level for v in verdicts), any(v.fails for v in verdicts))


# -- per-tool runners ---------------------------------------------------------------------------
def aibom_tree(cmd: list[str], entries: list[dict[str, str]]) -> dict[str, Verdict]:
    """One scan of each half of the corpus; findings mapped back to manifest entries."""
    out: dict[str, Verdict] = {}
    for half in ("malicious", "benign"):
        proc = run(
            [*cmd, "scan", str(CORPUS / half), "--format", "json", "-q", "--exit-zero", "--offline"]
        )
        report = json.loads(proc.stdout)
        levels: dict[str, int] = {}
        for finding in report["findings"]:
            path = finding["location"]["path"]
            levels[path] = max(levels.get(path, NONE), LEVELS[finding["severity"]])
        for item in entries:
            if not item["path"].startswith(half + "/"):
                continue
            rel = item["path"][len(half) + 1 :]
            level = max(
                [lv for p, lv in levels.items() if p == rel or p.startswith(rel + "/")] or [NONE]
            )
            out[item["path"]] = Verdict(level, level >= LEVELS["high"])
    return out


def picklescan(exe: Path, path: Path) -> Verdict:
    verdicts = []
    for f in files_under(path):
        proc = run([str(exe), "-p", str(f)])
        if proc.returncode == 1:
            verdicts.append(Verdict(LEVELS["critical"], True))
        elif proc.returncode == 2:
            verdicts.append(Verdict(ERROR, True))
        elif "Suspicious globals: 0" not in proc.stdout and "Suspicious globals" in proc.stdout:
            verdicts.append(Verdict(LEVELS["medium"], False))
        else:
            verdicts.append(Verdict(NONE, proc.returncode != 0))
    return worst(verdicts)


def modelscan(exe: Path, path: Path) -> Verdict:
    proc = run([str(exe), "-p", str(path), "-r", "json"])
    text = proc.stdout[proc.stdout.find("{") :]
    level = NONE
    try:
        report = json.loads(text)
        for issue in report.get("issues", []):
            level = max(level, LEVELS[issue["severity"].lower()])
    except (json.JSONDecodeError, KeyError):
        pass
    if level == NONE and proc.returncode == 2:
        level = ERROR
    return Verdict(level, proc.returncode in (1, 2))


FICKLING = {
    "OVERTLY_MALICIOUS": 4,
    "LIKELY_OVERTLY_MALICIOUS": 4,
    "LIKELY_UNSAFE": 3,
    "SUSPICIOUS": 2,
    "POSSIBLY_UNSAFE": 1,
    "LIKELY_SAFE": NONE,
}


def fickling(exe: Path, path: Path) -> Verdict:
    verdicts = []
    for f in files_under(path):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "r.json"
            proc = run([str(exe), "--check-safety", "--json-output", str(out), str(f)])
            level = NONE
            if out.exists():
                for line in out.read_text().replace("}\n{", "}\x00{").split("\x00"):
                    with contextlib.suppress(json.JSONDecodeError):
                        level = max(level, FICKLING.get(json.loads(line).get("severity", ""), NONE))
            if level == NONE and proc.returncode == 2:
                level = ERROR
            verdicts.append(Verdict(level, proc.returncode != 0))
    return worst(verdicts)


MODELAUDIT = {"critical": 4, "warning": 2, "info": 1, "debug": NONE}


def modelaudit_tree(exe: Path, entries: list[dict[str, str]]) -> dict[str, Verdict]:
    out: dict[str, Verdict] = {}
    for item in entries:
        out[item["path"]] = Verdict(NONE, False)
    for half in ("malicious", "benign"):
        base = CORPUS / half
        proc = run([str(exe), "scan", str(base), "-f", "json", "--no-cache"], timeout=1800)
        report = json.loads(proc.stdout[proc.stdout.find("{") :])
        hit: dict[str, int] = {}
        for issue in report.get("issues", []):
            loc = str(issue.get("location") or issue.get("details", {}).get("path") or "")
            loc = loc.split(" (pos")[0]
            for item in entries:
                target = str(CORPUS / item["path"])
                if loc == target or loc.startswith(target + "/") or loc.startswith(target + ":"):
                    level = MODELAUDIT.get(issue.get("severity", ""), NONE)
                    hit[item["path"]] = max(hit.get(item["path"], NONE), level)
        for path, level in hit.items():
            out[path] = Verdict(level, level >= LEVELS["medium"])
    return out


# -- the matrix -------------------------------------------------------------------------------------
def matrix(
    name: str, verdicts: dict[str, Verdict], entries: list[dict[str, str]], secs: float
) -> list[str]:
    rows = []
    mal = [e for e in entries if e["label"] == "malicious"]
    ben = [e for e in entries if e["label"] == "benign"]
    cells = [name]
    for _label, group in (("malicious", mal), ("benign", ben)):
        vs = [verdicts[e["path"]] for e in group]
        for th in ("critical", "high", "medium"):
            cells.append(f"{sum(v.level >= LEVELS[th] for v in vs)}/{len(vs)}")
        cells.append(f"{sum(v.level == ERROR for v in vs)}")
        cells.append(f"{sum(v.fails for v in vs)}")
    cells.append(f"{secs:.1f}")
    rows.append("| " + " | ".join(cells) + " |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aibom", default=f"{sys.executable} -m aibom")
    parser.add_argument(
        "--before", default=None, help="an older aibom executable (the 'before' row)"
    )
    parser.add_argument("--peers", default=os.environ.get("AIBOM_PEER_BIN"))
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--misses", action="store_true", help="list the files each tool gets wrong at high"
    )
    args = parser.parse_args()
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    entries = manifest["files"]
    tools: list[tuple[str, Callable[[], dict[str, Verdict]]]] = []
    if args.before:
        tools.append(("aibom (before)", lambda: aibom_tree(shlex.split(args.before), entries)))
    tools.append(("aibom", lambda: aibom_tree(shlex.split(args.aibom), entries)))
    peers = Path(args.peers) if args.peers else None

    def per_file(
        fn: Callable[[Path, Path], Verdict], exe: Path
    ) -> Callable[[], dict[str, Verdict]]:
        def go() -> dict[str, Verdict]:
            with ThreadPoolExecutor(args.jobs) as pool:
                results = pool.map(lambda e: fn(exe, CORPUS / e["path"]), entries)
                return {e["path"]: v for e, v in zip(entries, results, strict=True)}

        return go

    if peers is not None:
        for name, fn in (
            ("picklescan", picklescan),
            ("modelscan", modelscan),
            ("fickling", fickling),
        ):
            if (peers / name).exists():
                tools.append((name, per_file(fn, peers / name)))
            else:
                print(f"skipping {name}: not in {peers}")
        if (peers / "modelaudit").exists():
            tools.append(("modelaudit", lambda: modelaudit_tree(peers / "modelaudit", entries)))
    if args.only:
        tools = [t for t in tools if t[0] in args.only]
    mal = sum(e["label"] == "malicious" for e in entries)
    print(f"corpus: {mal} malicious, {len(entries) - mal} benign; versions {manifest['versions']}")
    print()
    print(
        "| tool | mal >=crit | mal >=high | mal >=med | mal err | mal fails | "
        "ben >=crit | ben >=high | ben >=med | ben err | ben fails | seconds |"
    )
    print("|---" * 12 + "|")
    misses: list[str] = []
    for name, go in tools:
        t0 = time.perf_counter()
        verdicts = go()
        secs = time.perf_counter() - t0
        for row in matrix(name, verdicts, entries, secs):
            print(row, flush=True)
        for e in entries:
            v = verdicts[e["path"]]
            high = v.level >= LEVELS["high"]
            if (e["label"] == "malicious") != high:
                misses.append(f"{name}: {e['label']} {e['path']} level={v.level}")
    if args.misses:
        print()
        print("\n".join(misses))


if __name__ == "__main__":
    main()
