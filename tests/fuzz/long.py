"""Long fuzzing mode: `python -m tests.fuzz.long --budget 3600 [--families a,b] [--out DIR]`.

The budget (seconds) is split evenly over the families; each family runs in its own worker
process (so a hang or a memory blow-up is contained and measured) and the table printed at
the end has, per family: inputs, inputs/second, crashes, hangs (an input over 10 s), peak
memory (max RSS of the worker) and fail-open (pickle families: a global CPython's unpickler
would be asked for that aibom neither recorded nor marked incomplete). Every failing input is
written to DIR/<family>/<kind>-<n>.bin for reproduction. Nothing here is part of the
default test run."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .families import FAMILIES, mutate, run_one

HANG_SECONDS = 10
MEMORY_CAP = 3 * 1024**3  # address space per worker, so a blow-up cannot take the machine


class _Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Hang


def worker(name: str, seconds: float, seed: int, out: Path) -> dict[str, Any]:
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    family = FAMILIES[name]
    seeds = family.seeds()
    rng = random.Random(seed)
    counts = {"inputs": 0, "crashes": 0, "hangs": 0, "fail_open": 0, "slowest": 0.0}
    examples: dict[str, list[str]] = {"crash_examples": [], "fail_open_examples": []}
    signal.signal(signal.SIGALRM, _alarm)
    corpus = list(seeds)
    deadline = time.monotonic() + seconds
    with tempfile.TemporaryDirectory(prefix=f"aibom-fuzz-{name}-", dir=_scratch()) as tmp:
        folder = Path(tmp)
        while time.monotonic() < deadline:
            data = mutate(rng, rng.choice(corpus), seeds)
            start = time.monotonic()
            try:
                signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
                try:
                    outcome = run_one(family, data, folder)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            except _Hang:  # (also when the alarm fires just as the input finishes)
                counts["hangs"] += 1
                _save(out, name, "hang", counts["hangs"], data)
                continue
            counts["slowest"] = max(counts["slowest"], time.monotonic() - start)
            counts["inputs"] += 1
            if outcome.crash:
                counts["crashes"] += 1
                _save(out, name, "crash", counts["crashes"], data)
                if len(examples["crash_examples"]) < 3:
                    examples["crash_examples"].append(outcome.crash[:200])
            if outcome.fail_open:
                counts["fail_open"] += 1
                _save(out, name, "failopen", counts["fail_open"], data)
                if len(examples["fail_open_examples"]) < 3:
                    examples["fail_open_examples"].append(outcome.fail_open[:200])
            if counts["inputs"] % 50 == 0 and len(corpus) < 2000:
                corpus.append(data)  # keep some mutants as parents (cheap depth)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"family": name, "seconds": seconds, "peak_mib": peak_kib / 1024, **counts, **examples}


def _scratch() -> str | None:
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def _save(out: Path, family: str, kind: str, n: int, data: bytes) -> None:
    if n > 20:
        return
    folder = out / family
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{kind}-{n}.bin").write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.long")
    parser.add_argument("--budget", type=float, default=3600.0, help="seconds in total")
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "aibom-fuzz")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.budget, args.seed, args.out)))
        return 0
    names = [n for n in args.families.split(",") if n]
    share = args.budget / len(names)
    rows = []
    for i, name in enumerate(names):
        cmd = [sys.executable, "-m", "tests.fuzz.long", "--worker", name, "--budget", str(share)]
        cmd += ["--seed", str(args.seed + i), "--out", str(args.out)]
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=share + 120, check=False
            )
            row = json.loads(done.stdout.strip().splitlines()[-1])
        except subprocess.TimeoutExpired:
            row = {"family": name, "inputs": 0, "crashes": 0, "hangs": 1, "fail_open": 0,
                   "peak_mib": 0.0, "seconds": share, "note": "worker stuck in C code"}  # fmt: skip
        except (IndexError, json.JSONDecodeError):
            row = {"family": name, "inputs": 0, "crashes": 1, "hangs": 0, "fail_open": 0,
                   "peak_mib": 0.0, "seconds": share,
                   "note": f"worker died (exit {done.returncode}): {done.stderr[-300:]}"}  # fmt: skip
        rows.append(row)
        _print_row(row)
    total = sum(r["inputs"] for r in rows)
    print(f"total inputs: {total}; crashes {sum(r['crashes'] for r in rows)}, hangs "
          f"{sum(r['hangs'] for r in rows)}, fail-open {sum(r['fail_open'] for r in rows)}, "
          f"peak {max(r['peak_mib'] for r in rows):.0f} MiB")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


def _print_row(row: dict[str, Any]) -> None:
    rate = row["inputs"] / row["seconds"] if row["seconds"] else 0.0
    print(
        f"{row['family']:16} inputs {row['inputs']:>8}  {rate:8.1f}/s  crashes {row['crashes']:>4}"
        f"  hangs {row['hangs']:>3}  peak {row['peak_mib']:7.1f} MiB  fail-open {row['fail_open']:>4}"
        + (f"  slowest {row['slowest']:.2f}s" if "slowest" in row else "")
        + (f"  {row.get('note', '')}" if row.get("note") else ""),
        flush=True,
    )
    for kind in ("crash_examples", "fail_open_examples"):
        for example in row.get(kind, [])[:2]:
            print(f"    {kind}: {example}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
