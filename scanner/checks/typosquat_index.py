"""Typosquat and known-malicious package names: the engine behind AIB301-AIB303.

`check_name(name)` answers, for one PyPI project name, whether it is a known malicious name, a
confusing placeholder, or a likely imitation of a much more popular project, and why. It reads
three data files shipped in `aibom.rule_data`:

- `popular_packages.tsv`: rank and PEP 503 name of the 15,000 most downloaded PyPI projects
  (known-malicious names already removed by `rules/scripts/make_popular_packages.py`);
- `malicious_packages.toml`: `[[package]]` known malicious names with their advisory, and
  `[[placeholder]]` harmless names that stand for another project (`sklearn`, `pytorch`).

Method, after PEP 503 normalisation of the candidate:

1. a known-malicious name is reported first (whatever else is true of it);
2. a placeholder name is reported as such;
3. a name that is itself in the popular list is never called a squat of another one;
4. otherwise the candidate is compared with the popular names through look-up tables built once:
   edit distance 1 with adjacent swaps (a deletion-neighbourhood index), look-alike characters
   (`r3quests`, `0`/`o`, `l`/`1`/`i`, `rn`/`m`), separators and word order (`python-dateutil`
   vs `pythondateutil`, `dateutil-python`), a changed `python`/`py` prefix or suffix
   (`python3-dateutil`), a short affix around a popular name (`py-`, `-lib`, `-installer`, `s`),
   and, for long names only, edit distance 2.

False alarms are held down by popularity: a candidate is flagged only against a target ranked
within a limit that depends on how weak the evidence is (`TARGET_RANK_LIMITS`), short names
need stronger evidence (under five letters only swaps and look-alike characters against the
top 1,000; five letters, one-letter edits against the top 500), a typo of a placeholder is judged
by the rank of the package it stands for, and a digit-only change at the end of a name
(`pyside2`/`pyside6`) is treated as a version, not a typo.
The figures behind these limits are in docs/typosquats.md and tests/test_typosquat_quality.py.
"""

from __future__ import annotations

import re
import threading
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

_SEP = re.compile(r"[-_.]+")

# Evidence kinds, strongest first. The tier decides which match wins when several targets match.
KIND_TIERS: dict[str, int] = {
    "homoglyph": 0,
    "swap": 0,
    "separator": 0,
    "order": 0,
    "prefix": 0,
    "missing": 1,
    "added": 1,
    "doubled": 1,
    "changed": 1,
    "affix": 2,
    "distance2": 3,
}

# The target must be at least this popular (rank at most this) for the evidence to count.
# Every candidate that reaches these tests is unranked (outside the top 15,000), so a target in
# the top 5,000 is at least three times more downloaded by rank and usually far more.
TARGET_RANK_LIMITS: dict[str, int] = {
    "homoglyph": 15000,
    "swap": 15000,
    "separator": 15000,
    "order": 15000,
    "prefix": 5000,
    "missing": 3000,
    "added": 3000,
    "doubled": 3000,
    "changed": 1000,
    "affix": 1000,
    "distance2": 1000,
}
SHORT_NAME = 5  # names shorter than this need stronger evidence
SHORT_KINDS = frozenset({"homoglyph", "swap"})
SHORT_TARGET_RANK = 1000
SHORT_EDIT_NAME = 6  # names shorter than this: one-letter edits only against the top 500
SHORT_EDIT_RANK = 500
SHORT_EDIT_KINDS = frozenset({"changed", "added", "missing", "doubled"})
DISTANCE2_MIN_LENGTH = 7  # the target at least this long for distance 2 (the candidate 8),
# and both start with the same two letters
AFFIX_MIN_CORE = 4  # the popular name inside an affixed candidate is at least this long

# Look-alike characters (after lower-casing): each maps to the letter it imitates. From
# typomania's homoglyph table (rustfoundation/typomania, src/checks/homoglyph.rs), digits first.
_GLYPHS_1: dict[str, str] = {
    "0": "o",
    "1": "l",
    "i": "l",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "9": "g",
    "6": "g",
    "2": "z",
}
_GLYPHS_N: tuple[tuple[str, str], ...] = (("rn", "m"), ("vv", "w"), ("uu", "w"), ("cl", "d"))
_GLYPH_TABLE = str.maketrans(_GLYPHS_1)
# Non-ASCII letters that look like ASCII ones (Cyrillic, Greek, Latin look-alikes). PyPI names
# are ASCII, but installed-environment metadata and hand-edited files can carry anything.
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
        "ј": "j", "ѕ": "s", "ԁ": "d", "ӏ": "l", "һ": "h", "ԛ": "q", "ԝ": "w", "ɡ": "g",
        "ο": "o", "α": "a", "ν": "v", "ρ": "p", "τ": "t", "ι": "i", "κ": "k", "ı": "i",
    }
)  # fmt: skip

# Words that name the language rather than the project: "python-dateutil" and
# "python3-dateutil" differ only in them.
_LANG_WORDS = frozenset({"python", "python2", "python3", "py", "py2", "py3", "pypi", "pip"})

# Affixes attackers put around a popular name. Hyphenated forms and fused forms are both tried.
_PREFIXES: tuple[str, ...] = (
    "python3-",
    "python-",
    "py3-",
    "py-",
    "pip-",
    "pypi-",
    "install-",
    "python",
    "py",
)
_SUFFIXES: tuple[str, ...] = (
    "-python3",
    "-python",
    "-py3",
    "-py",
    "-lib",
    "-installer",
    "-install",
    "-dev",
    "-pkg",
    "-package",
    "-sdk",
    "installer",
    "lib",
    "py",
    "s",
)
_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def normalise(name: str) -> str:
    """PEP 503 normalised form: lower case, runs of `-`, `_`, `.` become one `-`."""
    return _SEP.sub("-", name).lower().strip("-")


@dataclass(frozen=True)
class Match:
    """Why `name` is suspicious. `kind` is "malicious", "placeholder" or an evidence kind."""

    name: str  # the normalised candidate
    kind: str
    target: str | None = None  # the popular (or imitated) package, normalised
    target_rank: int | None = None
    reason: str = ""
    reference: str | None = None  # advisory or report, for known-malicious names
    means: str | None = None  # when the target is a placeholder: the package it stands for


@dataclass(frozen=True)
class _Known:
    name: str
    target: str | None
    reference: str


class TyposquatIndex:
    """Popular names and the look-up tables built from them; build once, query many times."""

    def __init__(
        self,
        popular: Mapping[str, int],
        malicious: Mapping[str, _Known] | None = None,
        placeholders: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        self.popular: dict[str, int] = dict(popular)
        self.malicious: dict[str, _Known] = dict(malicious or {})
        self.placeholders: dict[str, tuple[str, str]] = dict(placeholders or {})
        self._built = False
        self._lock = threading.Lock()
        self._by_length: dict[int, list[str]] = {}
        # Per name length: edit distance 1, by the pigeonhole principle (one edit or one
        # adjacent swap leaves either the first or the last `(len - 1) // 2` letters of a name
        # intact, so each name is filed under those two ends), and the look-alike skeletons.
        self._per_length: dict[
            int, tuple[dict[tuple[str, str], list[str]], dict[str, list[str]]]
        ] = {}
        # Edit distance 2 (long, very popular targets only), filed under their first two letters.
        self._long: dict[str, list[str]] = {}
        self._squashed: dict[str, list[str]] = {}  # name without separators -> names
        self._ordered: dict[str, list[str]] = {}  # words sorted -> names
        self._core: dict[str, list[str]] = {}  # words without python/py -> names

    def _build(self) -> None:
        """The look-up tables, built on the first name that needs them: a known, placeholder
        or popular name (most of any requirements file) is answered without them, which keeps
        `aibom check` (the pre-commit hook) fast."""
        with self._lock:
            if not self._built:
                self._fill()
                self._built = True

    def _fill(self) -> None:
        d2_rank = TARGET_RANK_LIMITS["distance2"]
        by_length = self._by_length
        for name, rank in self.popular.items():
            size = len(name)
            by_length.setdefault(size, []).append(name)
            if rank <= d2_rank and size >= DISTANCE2_MIN_LENGTH:
                self._long.setdefault(name[:2], []).append(name)
            if "-" in name:
                self._squashed.setdefault(name.replace("-", ""), []).append(name)
                words = name.split("-")
                self._ordered.setdefault("-".join(sorted(words)), []).append(name)
                core = [w for w in words if w not in _LANG_WORDS]
                if core and len(core) < len(words):
                    self._core.setdefault("-".join(core), []).append(name)

    def _tables_of_length(
        self, size: int
    ) -> tuple[dict[tuple[str, str], list[str]], dict[str, list[str]]]:
        """The ends index and the look-alike skeletons of the popular names of one length,
        built when a candidate first needs that length (a hook run checks a few names)."""
        tables = self._per_length.get(size)
        if tables is None:
            halves: dict[tuple[str, str], list[str]] = {}
            glyph: dict[str, list[str]] = {}
            half = (size - 1) // 2
            for name in self._by_length.get(size, ()):
                halves.setdefault(("<", name[:half]), []).append(name)
                halves.setdefault((">", name[size - half :]), []).append(name)
                glyph.setdefault(name.translate(_GLYPH_TABLE), []).append(name)
            tables = self._per_length.setdefault(size, (halves, glyph))
        return tables

    # ------------------------------------------------------------------ public

    def check(self, name: str, *, known: bool = True) -> Match | None:
        """The strongest reason to distrust `name`, or None. `known=False` skips the exact
        known-malicious and placeholder look-ups (used to measure the heuristics alone)."""
        cand = normalise(name)
        if not cand:
            return None
        if known:
            bad = self.malicious.get(cand)
            if bad is not None:
                rank = self.popular.get(bad.target) if bad.target else None
                return Match(cand, "malicious", bad.target, rank, "", bad.reference)
            holder = self.placeholders.get(cand)
            if holder is not None:
                real, ref = holder
                return Match(cand, "placeholder", real, self.popular.get(real), "", ref)
        if cand in self.popular:
            return None
        if not cand.isascii():
            folded = unicodedata.normalize("NFKD", cand.translate(_CONFUSABLES))
            folded = normalise("".join(ch for ch in folded if ch.isascii()))
            if folded in self.popular:
                odd = ", ".join(
                    f"'{ch}' U+{ord(ch):04X}" for ch in dict.fromkeys(cand) if not ch.isascii()
                )
                reason = f"non-ASCII look-alike characters ({odd})"
                return Match(cand, "homoglyph", folded, self.popular[folded], reason)
        self._build()
        seen: set[str] = set()  # targets already compared
        best = self._best(cand, self._evidence(cand, seen))
        if best is None and len(cand) > DISTANCE2_MIN_LENGTH:
            best = self._best(cand, self._distance2(cand, seen))
        if best is None:
            return None
        _, rank, target, kind, reason = best
        means = self.placeholders[target][0] if target in self.placeholders else None
        return Match(cand, kind, target, rank, reason, None, means)

    # ------------------------------------------------------------------ rules

    def _best(
        self, cand: str, evidence: Iterable[tuple[str, str, str]]
    ) -> tuple[int, int, str, str, str] | None:
        """The admissible match with the strongest evidence, then the most popular target."""
        best: tuple[int, int, str, str, str] | None = None  # (tier, rank, target, kind, reason)
        for target, kind, reason in evidence:
            rank = self.popular[target]
            # a placeholder draws the typos of the package it stands for: judge by that one
            holder = self.placeholders.get(target)
            effective = min(rank, self.popular.get(holder[0], rank)) if holder else rank
            if not self._admissible(cand, target, effective, kind):
                continue
            key = (KIND_TIERS[kind], rank, target, kind, reason)
            if best is None or key < best:
                best = key
        return best

    def _admissible(self, cand: str, target: str, rank: int, kind: str) -> bool:
        if rank > TARGET_RANK_LIMITS[kind]:
            return False
        if min(len(cand), len(target)) < SHORT_NAME:
            return kind in SHORT_KINDS and rank <= SHORT_TARGET_RANK
        if kind in SHORT_EDIT_KINDS and len(cand) < SHORT_EDIT_NAME and rank > SHORT_EDIT_RANK:
            return False
        return not (
            kind in ("changed", "added", "missing", "distance2") and _version_like(cand, target)
        )

    def _evidence(self, cand: str, seen: set[str]) -> Iterable[tuple[str, str, str]]:
        popular = self.popular
        # 1. edit distance 1 (and adjacent swaps), through the length-and-ends index
        size = len(cand)
        for tsize in (size - 1, size, size + 1):
            half = (tsize - 1) // 2
            if half <= 0:
                continue
            halves = self._tables_of_length(tsize)[0]
            for key in (("<", cand[:half]), (">", cand[size - half :])):
                for target in halves.get(key, ()):
                    if target not in seen:
                        seen.add(target)
                        edit = _one_edit(cand, target)
                        if edit is not None:
                            yield (target, *edit)
        # 2. look-alike characters: same skeleton after mapping digits and i/l, or after
        # replacing a multi-letter look-alike (rn/m, vv/w, cl/d)
        skeletons = [cand]
        for many, one in _GLYPHS_N:
            if many in cand:
                skeletons.append(cand.replace(many, one))
            if one in cand:
                skeletons.append(cand.replace(one, many))
        for variant in skeletons:
            glyph = self._tables_of_length(len(variant))[1]
            for target in glyph.get(variant.translate(_GLYPH_TABLE), ()):
                if target != cand:
                    yield target, "homoglyph", _glyph_reason(cand, target)
        # 3. separators and word order
        squashed = cand.replace("-", "")
        for target in self._squashed.get(squashed, ()):
            if target != cand:
                yield target, "separator", "separators added or removed"
        if squashed in popular and squashed != cand:
            yield squashed, "separator", "separators added or removed"
        if "-" in cand:
            words = cand.split("-")
            for target in self._ordered.get("-".join(sorted(words)), ()):
                if target != cand:
                    yield target, "order", "words reordered"
            core = [w for w in words if w not in _LANG_WORDS]
            if core and len(core) < len(words):
                core_key = "-".join(core)
                for target in self._core.get(core_key, ()):
                    if target != cand:
                        yield target, "prefix", _lang_reason(cand, target)
        # 4. a short affix around a popular name
        for prefix in _PREFIXES:
            if cand.startswith(prefix):
                core_name = cand[len(prefix) :]
                if len(core_name) >= AFFIX_MIN_CORE and core_name in popular:
                    yield core_name, "affix", f"added prefix '{prefix}'"
        for suffix in _SUFFIXES:
            if cand.endswith(suffix):
                core_name = cand[: -len(suffix)]
                if len(core_name) >= AFFIX_MIN_CORE and core_name in popular:
                    yield core_name, "affix", f"added suffix '{suffix}'"

    def _distance2(self, cand: str, seen: set[str]) -> Iterable[tuple[str, str, str]]:
        """Edit distance 2, for long names when nothing closer matched, against the long names
        among the most popular that start with the same two letters (typing errors fall in the
        middle and end of a name; different first letters at distance 2 are mostly different
        words)."""
        size = len(cand)
        for target in self._long.get(cand[:2], ()):
            if (
                abs(len(target) - size) <= 2
                and not _short_word_swapped(cand, target)
                and _within2(cand, target)
            ):
                yield target, "distance2", "two edits apart"


# ---------------------------------------------------------------------- helpers


def _glyph_reason(cand: str, target: str) -> str:
    if len(cand) == len(target):
        pairs = [(a, b) for a, b in zip(cand, target, strict=False) if a != b]
        text = ", ".join(f"'{a}' for '{b}'" for a, b in dict.fromkeys(pairs))
        return f"look-alike characters ({text})"
    for many, one in _GLYPHS_N:
        if many in cand and one in target:
            return f"look-alike characters ('{many}' for '{one}')"
        if one in cand and many in target:
            return f"look-alike characters ('{one}' for '{many}')"
    return "look-alike characters"


def _lang_reason(cand: str, target: str) -> str:
    cw = [w for w in cand.split("-") if w in _LANG_WORDS]
    tw = [w for w in target.split("-") if w in _LANG_WORDS]
    if cw and tw:
        return f"changed '{tw[0]}' to '{cw[0]}'"
    return f"added '{cw[0]}'" if cw else f"dropped '{tw[0]}'"


def _neighbours(a: str, b: str) -> bool:
    for row in _KEYBOARD_ROWS:
        i, j = row.find(a), row.find(b)
        if i >= 0 and j >= 0 and abs(i - j) == 1:
            return True
    return False


def _one_edit(cand: str, target: str) -> tuple[str, str] | None:
    """(kind, reason) when `cand` is one edit or one adjacent swap away from `target`."""
    lc, lt = len(cand), len(target)
    if lc == lt:
        diff = [i for i in range(lc) if cand[i] != target[i]]
        if len(diff) == 1:
            i = diff[0]
            a, b = cand[i], target[i]
            if a == "-" or b == "-":
                # a letter in place of a separator changes the words: a weak, "changed" edit
                return "changed", f"a separator changed ('{a}' for '{b}')"
            near = ", a neighbouring key" if _neighbours(a, b) else ""
            return "changed", f"one letter changed ('{a}' for '{b}'{near})"
        if len(diff) == 2 and diff[1] == diff[0] + 1:
            i = diff[0]
            if cand[i] == target[i + 1] and cand[i + 1] == target[i]:
                return (
                    "swap",
                    f"two letters swapped ('{cand[i : i + 2]}' for '{target[i : i + 2]}')",
                )
        return None
    if lc == lt + 1:
        for i in range(lc):
            if cand[:i] + cand[i + 1 :] == target:
                ch = cand[i]
                if ch == "-":
                    return "separator", "separators added or removed"
                if (i > 0 and cand[i - 1] == ch) or (i + 1 < lc and cand[i + 1] == ch):
                    return "doubled", f"letter doubled ('{ch}')"
                return "added", f"one letter added ('{ch}')"
        return None
    if lt == lc + 1:
        for i in range(lt):
            if target[:i] + target[i + 1 :] == cand:
                ch = target[i]
                if ch == "-":
                    return "separator", "separators added or removed"
                return "missing", f"one letter missing ('{ch}')"
    return None


def _version_like(cand: str, target: str) -> bool:
    """Names that differ only in their trailing version digits (`pyside2`/`pyside6`)."""
    return (
        cand[-1:].isdigit()
        and target[-1:].isdigit()
        and cand.rstrip("0123456789-") == target.rstrip("0123456789-")
    )


def _short_word_swapped(cand: str, target: str) -> bool:
    """Names of one family that differ in one short word (`google-cloud-ids`/`-kms`): two
    edits there make a different word, not a typo."""
    cw, tw = cand.split("-"), target.split("-")
    if len(cw) != len(tw) or len(cw) < 2:
        return False
    diff = [(a, b) for a, b in zip(cw, tw, strict=True) if a != b]
    return len(diff) == 1 and min(len(diff[0][0]), len(diff[0][1])) <= 4


def _within2(a: str, b: str) -> bool:
    """OSA distance exactly 2 (after removing the common start and end, which cannot change it)."""
    start, end = 0, 0
    limit = min(len(a), len(b))
    while start < limit and a[start] == b[start]:
        start += 1
    while end < limit - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start : len(a) - end], b[start : len(b) - end]
    return _osa(a, b, limit=2) == 2


def _osa(a: str, b: str, limit: int | None = None) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions). With
    `limit`, only a band of that width around the diagonal is computed and any distance above
    it is returned as `limit + 1` (early exit once a whole row exceeds it)."""
    la, lb = len(a), len(b)
    band = max(la, lb) if limit is None else limit
    if abs(la - lb) > band:
        return band + 1
    big = band + 1
    prev2: list[int] = []
    prev = [j if j <= band else big for j in range(lb + 1)]
    for i in range(1, la + 1):
        cur = [big] * (lb + 1)
        if i <= band:
            cur[0] = i
        lo, hi = max(1, i - band), min(lb, i + band)
        for j in range(lo, hi + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, prev2[j - 2] + 1)
            cur[j] = value if value <= band else big
        if limit is not None and min(cur[max(0, lo - 1) : hi + 1]) > band:
            return big
        prev2, prev = prev, cur
    return prev[lb]


# ---------------------------------------------------------------------- data


def parse_popular(text: str) -> dict[str, int]:
    """`rank<TAB>name` lines (comments start with `#`) -> {name: rank}."""
    popular: dict[str, int] = {}
    for line in text.splitlines():
        if not line or line[0] == "#":
            continue
        rank, _, name = line.partition("\t")
        popular.setdefault(name, int(rank))
    return popular


def parse_known(text: str) -> tuple[dict[str, _Known], dict[str, tuple[str, str]]]:
    data = tomllib.loads(text)
    malicious = {
        normalise(p["name"]): _Known(
            normalise(p["name"]),
            normalise(p["target"]) if p.get("target") else None,
            str(p["reference"]),
        )
        for p in data.get("package", [])
    }
    placeholders = {
        normalise(p["name"]): (normalise(p["real"]), str(p["reference"]))
        for p in data.get("placeholder", [])
    }
    return malicious, placeholders


def _data(name: str) -> str:
    # read directly (not through `aibom.rules`, which the hook's fast path does not import)
    return resources.files("aibom.rule_data").joinpath(name).read_text("utf-8")


@cache
def default_index() -> TyposquatIndex:
    """The index over the shipped data, built once per process."""
    popular = parse_popular(_data("popular_packages.tsv"))
    malicious, placeholders = parse_known(_data("malicious_packages.toml"))
    return TyposquatIndex(popular, malicious, placeholders)


def check_name(name: str) -> Match | None:
    """Check one package name against the shipped data (see the module docstring)."""
    return default_index().check(name)
