"""What model-signature verification adds to a scan, side by side.

Run:  python tests/benchmarks/bench_signatures.py [--runs N]

Each figure is the median wall time of N fresh `aibom scan` processes on a copy of
fixtures/signatures/key-folder (a 4-file model folder):
  - unsigned:  the folder without its model.sig (model-signing is never imported);
  - signed:    with model.sig, no trust material (parsed, digests compared; the library is
               imported to check for it);
  - verified:  with model.sig and --trust-key (the library verifies the signature).
It also prints `python -X importtime` cumulative figures for `import aibom.cli` and for
`import model_signing` + the verifier modules aibom uses. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "signatures"


def aibom() -> list[str]:
    script = Path(sys.executable).with_name("aibom")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "aibom"]


def median_wall(cmd: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def import_ms(statement: str) -> float:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=False,
    )
    total = 0
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s?(\S.*)$", line)
        if match and not match.group(2).startswith(" "):
            total += int(match.group(1))  # top-level imports only
    return total / 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in ("unsigned", "signed"):
            shutil.copytree(FIXTURES / "key-folder", root / name)
        (root / "unsigned" / "model.sig").unlink()
        key = str(FIXTURES / "trust" / "trusted-key.pub")
        base = [*aibom(), "scan", "-q", "--exit-zero"]
        unsigned = median_wall([*base, "unsigned"], root, args.runs)
        signed = median_wall([*base, "signed"], root, args.runs)
        verified = median_wall([*base, "signed", "--trust-key", key], root, args.runs)
    print(f"aibom scan, median of {args.runs} runs (wall):")
    print(f"  unsigned folder            {unsigned * 1000:7.0f} ms  (1.00x)")
    print(f"  signed, no trust material  {signed * 1000:7.0f} ms  ({signed / unsigned:.2f}x)")
    print(f"  signed, --trust-key        {verified * 1000:7.0f} ms  ({verified / unsigned:.2f}x)")
    cli = statistics.median(import_ms("import aibom.cli") for _ in range(5))
    library = statistics.median(
        import_ms(
            "import model_signing._signing.sign_ec_key, model_signing._signing.sign_certificate,"
            " sigstore.verify, sigstore.models"
        )
        for _ in range(5)
    )
    print("import time (python -X importtime, cumulative, median of 5):")
    print(f"  import aibom.cli                         {cli:7.0f} ms")
    print(f"  model-signing + sigstore verifier modules {library:7.0f} ms")


if __name__ == "__main__":
    main()
