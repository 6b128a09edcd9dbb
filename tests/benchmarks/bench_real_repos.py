"""Outcome of `aibom scan` on snapshots of public AI/ML repositories.

Run:  python tests/benchmarks/bench_real_repos.py SNAPSHOTS [--aibom CMD ...] [--timeout S]
      [--only NAME ...] [--keep-reports DIR]

SNAPSHOTS is a folder you prepare yourself, one sub-folder per repository named
`owner__name`, holding that repository's files at the commit listed in REPOSITORIES
below (for instance `git clone` then `git -C owner__name checkout COMMIT`, or a
`git archive COMMIT` of it). This script fetches nothing and never writes into a snapshot:
reports and AIBOMs go to a temporary folder (or --keep-reports).

For each repository it runs `aibom scan . --reproducible --format json` with a time limit
and prints one row: exit code, wall time, findings by severity, HIGH/CRITICAL findings by
rule, and the files the scan could not analyse (exit 2 means "incomplete"). Give --aibom
more than once (each a command, e.g. `--aibom /venv-old/bin/aibom --aibom aibom`) to get
the runs side by side; the last line totals the incomplete runs per command. A snapshot
folder that is missing is reported as such, not skipped silently.

The goal this table tracks: exit 0 or 1 on every repository, never 2 (incomplete) or
3 (error), on well-formed code. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# (owner/name, commit, kind) of the repositories surveyed for the completeness and
# precision work: model libraries, training/evaluation harnesses, agent frameworks,
# serving apps, notebook-heavy tutorials, pipeline libraries and small apps.
REPOSITORIES: tuple[tuple[str, str, str], ...] = (
    ("EleutherAI/lm-evaluation-harness", "4e7e0d47f33bc71070c1d38394bafbb52b117163", "eval"),
    ("Lightning-AI/pytorch-lightning", "7f0c3436cd3f6ad3753125672024fc415cbcb414", "library"),
    ("UKPLab/sentence-transformers", "85ec64559f4414aa536eca4bf53538291e0a333f", "library"),
    ("crewAIInc/crewAI", "f4731f5025f861c78e3af0487cc80bf5e7c64782", "agents"),
    ("deepset-ai/haystack", "c7cb46c0f28ad1984f60e5d3e9404b124a221437", "pipeline"),
    ("gradio-app/gradio", "375335e60e2b4504a57f3eef0eb6bca3c7bb765a", "serving"),
    ("huggingface/accelerate", "16cb6eb80dd9aa8b4df1a63ef57863e455d53b83", "library"),
    ("huggingface/diffusers", "58eb52c0803ea9af3abec60841c2a093bdf1f951", "library"),
    ("huggingface/notebooks", "5068b1142e8ed1e691c8b1e9f98e4473ebe55790", "notebooks"),
    ("huggingface/optimum", "83c88b8fc51e791f263a954e3568e1d2a02aa003", "library"),
    ("huggingface/peft", "5d602fdbff04c33c1c4de55cda9d4ae1d7cb7e40", "library"),
    ("huggingface/smolagents", "e3a5b8994b301983b91c0325546e9dc82eab8cf0", "agents"),
    ("huggingface/trl", "f2cd57710ae345ea6428ae95363267fcf38a3dc8", "training"),
    ("iterative/example-get-started", "06ea48980a34ef57041c9b905cafcb40d9c3ddbc", "pipeline"),
    ("karpathy/nanoGPT", "3adf61e154c3fe3fca428ad6bc3818b27a3b8291", "small app"),
    ("lm-sys/FastChat", "0e6d3e4beaab66f4d3f93db72541a4abab8af28d", "serving"),
    ("microsoft/DeepSpeed", "38327e07f6cd39b63418f60cedd1651b0be3e7c3", "training"),
    ("microsoft/autogen", "027ecf0a379bcc1d09956d46d12d44a3ad9cee14", "agents"),
    ("oobabooga/text-generation-webui", "1dcde41d03d13fc768316f4d2256a8a6dd044268", "serving"),
    ("openai/evals", "4bfc1f58a821685acb40bb28ba54131740535046", "eval"),
    ("openai/whisper", "c0d2f624c09dc18e709e37c2ad90c039a4eb72a2", "library"),
    ("stanfordnlp/dspy", "4ed377ee9110e912d4f5e1be43b317b87455053c", "agents"),
    ("tatsu-lab/stanford_alpaca", "761dc5bfbdeeffa89b8bff5d038781a4055f796a", "training"),
)

_SEVERITIES = ("critical", "high", "medium", "low", "info")


@dataclass
class Outcome:
    exit_code: int | None  # None: timed out
    seconds: float
    by_severity: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[str] = field(default_factory=Counter)  # HIGH/CRITICAL only
    incomplete: list[str] = field(default_factory=list)  # "path[:line]: reason"
    note: str = ""


def folder_name(repo: str) -> str:
    return repo.replace("/", "__")


def run_one(cmd: list[str], snapshot: Path, report: Path, timeout: float) -> Outcome:
    bom = report.with_suffix(".cdx.json")
    argv = [*cmd, "scan", ".", "--reproducible", "--format", "json"]
    argv += ["--report", str(report), "-o", str(bom), "-q"]
    start = time.perf_counter()
    try:
        proc = subprocess.run(argv, cwd=snapshot, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Outcome(None, time.perf_counter() - start, note=f"timed out after {timeout:.0f} s")
    seconds = time.perf_counter() - start
    outcome = Outcome(proc.returncode, seconds)
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        outcome.note = f"no report: {tail[0] if tail else 'no output'}"
        return outcome
    for finding in data.get("findings", []):
        severity = finding.get("severity", "?")
        outcome.by_severity[severity] += 1
        if severity in ("critical", "high"):
            outcome.by_rule[finding.get("rule", "?")] += 1
    for error in data.get("errors", []):
        loc = error.get("location", {})
        where = loc.get("path", "?") + (f":{loc['line']}" if loc.get("line") else "")
        outcome.incomplete.append(f"{where}: {error.get('reason', '')}")
    return outcome


def severity_text(outcome: Outcome) -> str:
    return (
        " ".join(
            f"{s[0].upper()}{outcome.by_severity[s]}" for s in _SEVERITIES if outcome.by_severity[s]
        )
        or "-"
    )


def rule_text(outcome: Outcome) -> str:
    return " ".join(f"{rule}:{n}" for rule, n in sorted(outcome.by_rule.items())) or "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "snapshots", type=Path, help="folder with one owner__name folder per repository"
    )
    parser.add_argument("--aibom", action="append", help="aibom command to run (repeatable)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per scan")
    parser.add_argument("--only", action="append", help="owner/name to run (repeatable)")
    parser.add_argument("--keep-reports", type=Path, help="folder to keep the JSON reports in")
    parser.add_argument("--errors", action="store_true", help="list every incomplete file")
    args = parser.parse_args()
    commands = [shlex.split(c) for c in (args.aibom or ["aibom"])]
    repos = [r for r in REPOSITORIES if not args.only or r[0] in args.only]
    with tempfile.TemporaryDirectory(prefix="aibom-bench-") as tmp:
        out_root = args.keep_reports or Path(tmp)
        header = "| repo | commit | kind |" + "".join(
            " exit | s | findings | HIGH/CRIT by rule | incomplete |" for _ in commands
        )
        print(header)
        print("|" + "---|" * (3 + 5 * len(commands)))
        incomplete_runs = [0] * len(commands)
        for repo, commit, kind in repos:
            snapshot = args.snapshots / folder_name(repo)
            cells = [repo, commit[:10], kind]
            for i, cmd in enumerate(commands):
                if not snapshot.is_dir():
                    cells += ["missing", "-", "-", "-", "-"]
                    continue
                where = out_root / f"run{i}"
                where.mkdir(parents=True, exist_ok=True)
                outcome = run_one(cmd, snapshot, where / f"{folder_name(repo)}.json", args.timeout)
                if outcome.exit_code not in (0, 1):
                    incomplete_runs[i] += 1
                code = "timeout" if outcome.exit_code is None else str(outcome.exit_code)
                cells += [
                    code,
                    f"{outcome.seconds:.1f}",
                    severity_text(outcome),
                    rule_text(outcome),
                    outcome.note or str(len(outcome.incomplete)),
                ]
                if args.errors:
                    for line in outcome.incomplete:
                        print(f"    [{' '.join(cmd)}] {repo}: {line}", file=sys.stderr)
            print("| " + " | ".join(cells) + " |", flush=True)
        for cmd, n in zip(commands, incomplete_runs, strict=True):
            print(f"{' '.join(cmd)}: {n} of {len(repos)} runs not exit 0/1")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
