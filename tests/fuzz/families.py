"""Parser families for fuzzing: each is a file name (which decides the collector or, by
content, the analyzer, exactly as in a scan), seed files from `fixtures/`, and whether the
fail-open oracle applies.

`run_one` writes one input under the family's name and runs it through the scan's own
routing (`collector_for`) and guard (`guarded`). Outcomes:
- crash: the guard had to turn an exception into "internal error" (an aibom bug: bad input
  must become a finding naming what is wrong);
- fail-open (pickle families): CPython's C unpickler, run with a `find_class` that records the
  global and raises (nothing is imported or constructed), would be asked for a global that
  aibom did not record, and aibom did not mark the file incomplete.
"""

from __future__ import annotations

import _compat_pickle
import io
import pickle
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aibom.bom import parse_bom
from aibom.config import Config
from aibom.errors import AibomError
from aibom.model import Collected, FileRef
from aibom.scan import collector_for, guarded

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"


@dataclass
class Family:
    name: str
    filename: str
    patterns: tuple[str, ...]  # globs under fixtures/ for seeds
    oracle: bool = False
    extra_seeds: tuple[bytes, ...] = ()
    target: Callable[[Family, bytes, Path], Outcome] | None = None
    _seeds: list[bytes] = field(default_factory=list)

    def seeds(self) -> list[bytes]:
        if not self._seeds:
            found: dict[bytes, None] = dict.fromkeys(self.extra_seeds)
            for pattern in self.patterns:
                for path in sorted(FIXTURES.glob(pattern)):
                    if path.is_file() and path.stat().st_size <= 1 << 20:
                        found[path.read_bytes()] = None
            self._seeds = list(found) or [b""]
        return self._seeds


@dataclass
class Outcome:
    crash: str | None = None
    fail_open: str | None = None


class _Asked(Exception):
    pass


class _Recorder(pickle.Unpickler):
    """The C unpickler, stopped at the first global it would import (nothing is imported)."""

    asked: tuple[str, str] | None = None

    def find_class(self, module: str, name: str) -> object:
        self.asked = (module, name)
        raise _Asked

    def persistent_load(self, pid: object) -> object:
        raise pickle.UnpicklingError("no persistent ids")


def asked_global(data: bytes) -> tuple[str, str] | None:
    """The first global CPython's unpickler would ask `find_class` for, or None."""
    rec = _Recorder(io.BytesIO(data))
    try:
        rec.load()
    except _Asked:
        return rec.asked
    except Exception:
        return None
    return None


def _spellings(asked: tuple[str, str]) -> set[tuple[str, str]]:
    """The global as asked, and as Python 2 names map to Python 3 (what the default
    `find_class` imports for protocols 0-2, and what aibom records)."""
    module, name = asked
    found = {asked}
    if (module, name) in _compat_pickle.NAME_MAPPING:
        found.add(_compat_pickle.NAME_MAPPING[(module, name)])
    if module in _compat_pickle.IMPORT_MAPPING:
        found.add((_compat_pickle.IMPORT_MAPPING[module], name))
    return found


def _covered(collected: Collected, asked: tuple[str, str]) -> bool:
    wanted = _spellings(asked)
    if collected.errors:
        return True  # fail closed: the file is reported as unreadable
    for artifact in collected.artifacts:
        if artifact.incomplete:
            return True
        for imp in artifact.pickle_imports:
            if (imp.module, imp.name) in wanted or imp.module == "<unresolved>":
                return True
    return False


def scan_file(family: Family, data: bytes, folder: Path) -> Outcome:
    path = folder / family.filename
    path.write_bytes(data)
    ref = FileRef(path, family.filename, len(data))
    config = Config(roots=(folder,))
    task = collector_for(ref)
    if task is None:
        collected = Collected()
    elif not callable(task):
        collected = Collected(errors=[task])
    else:
        run = task
        collected = guarded(lambda: run(ref, config), ref.rel)
    crash = next((e.reason for e in collected.errors if "internal error" in e.reason), None)
    outcome = Outcome(crash=crash)
    if family.oracle:
        asked = asked_global(data)
        if asked is not None and not _covered(collected, asked):
            outcome.fail_open = f"{asked[0]}.{asked[1]}"
    return outcome


def read_bom(family: Family, data: bytes, folder: Path) -> Outcome:
    try:
        parse_bom(data, family.filename)
    except AibomError:
        pass  # a clear error about the input
    except (RecursionError, MemoryError):
        pass
    except Exception as exc:
        return Outcome(crash=f"{type(exc).__name__}: {exc}"[:300])
    return Outcome()


_PICKLES = ("models/**/*.pkl", "pickle-corpus/**/*.pkl", "models/malicious/no_extension")
FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("pickle", "model.pkl", _PICKLES, oracle=True),
        Family("pickle-any-name", "weights", _PICKLES, oracle=True),
        Family("torch-zip", "model.pt", ("models/**/*.pt", "models/**/*.ckpt")),
        Family("zip", "archive.zip", ("models/**/*.zip", "models/**/*.npz", "models/**/*.keras")),
        Family("tar", "bundle.tar", ("models/**/*.tar",)),
        Family(
            "compressed",
            "model.pkl.gz",
            ("models/**/*.gz", "models/**/*.bz2", "models/**/*.xz", "models/**/*.joblib"),
        ),
        Family("numpy", "array.npy", ("models/**/*.npy",)),
        Family("safetensors", "model.safetensors", ("models/**/*.safetensors",)),
        Family("gguf", "model.gguf", ("models/**/*.gguf",)),
        Family("onnx", "model.onnx", ("models/**/*.onnx",)),
        Family("requirements", "requirements.txt", ("**/requirements*.txt",)),
        Family("pyproject", "pyproject.toml", ("**/pyproject.toml",)),
        Family("setup-cfg", "setup.cfg", ("**/setup.cfg",)),
        Family("setup-py", "setup.py", ("**/setup.py",)),
        Family("conda", "environment.yml", ("**/environment.yml",)),
        Family("poetry-lock", "poetry.lock", ("**/poetry.lock",)),
        Family("uv-lock", "uv.lock", ("**/uv.lock",)),
        Family("pipfile-lock", "Pipfile.lock", ("**/Pipfile.lock",)),
        Family("python-code", "train.py", ("code/**/*.py",)),
        Family("notebook", "analysis.ipynb", ("**/*.ipynb",)),
        Family(
            "cyclonedx",
            "aibom.cdx.json",
            ("rules/**/*.cdx.json", "diff/**/*.json"),
            target=read_bom,
        ),
    )
}


def run_one(family: Family, data: bytes, folder: Path) -> Outcome:
    return (family.target or scan_file)(family, data, folder)


# ----------------------------------------------------------------------------- mutation

_INTERESTING = (
    b"\x00", b"\xff", b"\x7f", b"\x80", b"\xff\xff\xff\xff", b"\x00\x00\x00\x80",
    b"\xff\xff\xff\x7f", b"\n", b"(", b".", b"\x93", b"c", b"\x8c", b"\x95", b"R", b"[", b"{",
    b'"', b"\\", b"${X}", b"-r ", b"\xed\xa0\x80", b"\x1b[2K",
)  # fmt: skip


def mutate(rng: random.Random, data: bytes, seeds: list[bytes]) -> bytes:
    """One to four random edits: bit flips, interesting bytes, inserts, deletes, duplicated
    chunks, truncation, or a splice with another seed."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(8)
        n = len(buf)
        pos = rng.randrange(n + 1)
        if op == 0 and n:
            i = rng.randrange(n)
            buf[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            piece = rng.choice(_INTERESTING)
            buf[pos : pos + len(piece)] = piece
        elif op == 2:
            buf[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 3 and n:
            del buf[pos : pos + rng.randint(1, 16)]
        elif op == 4 and n:
            start = rng.randrange(n)
            chunk = buf[start : start + rng.randint(1, 64)]
            buf[pos:pos] = chunk * rng.randint(1, 8)
        elif op == 5 and n:
            del buf[rng.randrange(n) :]
        elif op == 6:
            other = rng.choice(seeds)
            if other:
                cut = rng.randrange(len(other) + 1)
                buf = buf[:pos] + bytearray(other[cut:])
        elif op == 7 and n:
            i = rng.randrange(n)
            buf[i] = rng.randrange(256)
        if len(buf) > 1 << 20:
            del buf[1 << 20 :]
    return bytes(buf)
