"""The judgement of one pickle global, shared by the scan's checks and `aibom diff`.

Every global the unpickler would import is classified by capability (what calling it can do),
from `rules/pickle_globals.toml` and the user's `safe-globals`:

- *data constructor*: an exact name on the generated known-safe list (numbers, containers,
  dates, UUIDs, addresses, dtypes, tensors, estimators, dataframes ...);
- *code execution*, *I/O and network*, *introspection*: a `[dangerous]` entry covers it (its
  capability from `[capability]`), or its attribute path goes through interpreter internals;
- *higher-order*: `[higher_order]` callables (`functools.partial`, `operator.itemgetter` ...),
  judged by what the pickle applies them to: `partial(int)` is data, `partial(os.system)` is
  code execution, `itemgetter(0)` is data, `methodcaller(...)` is introspection whatever it is
  given;
- *unknown*: anything else. Inside a closed-world namespace (the standard library and the
  major ML libraries, `[closed_world]`) the known-safe list is every name real pickles of that
  library use, so an unknown name there that the pickle *calls* is almost always a gadget;
  elsewhere (the user's own classes, `mylib.Head`) it is merely unvetted.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from ..config import Config
from ..model import PickleImport
from ..rules import load_data_toml

UNRESOLVED = "<unresolved>"
CONSTANT_ARG = "<constant>"
VALUE_ARG = "<value>"


def _is_constant(arg: str) -> bool:
    return arg == CONSTANT_ARG or arg.startswith("<str:")


def _calls(imp: PickleImport) -> list[list[str]]:
    """Each distinct call's argument descriptions (see PickleImport.call_args)."""
    return [sig.split(", ") if sig else [] for sig in imp.call_args]


class Capability(StrEnum):
    DATA = "data constructor"
    CODE = "code execution"
    IO = "I/O and network"
    INTROSPECTION = "introspection"
    HIGHER_ORDER = "higher-order"
    UNKNOWN = "unknown"


class Verdict(StrEnum):
    SAFE = "safe"
    DANGEROUS = "dangerous"  # AIB201
    UNRESOLVED = "unresolved"  # AIB204
    HIGHER_ORDER = "higher-order"  # AIB215: applied to something that is not data
    CLOSED_WORLD = "closed-world"  # AIB213: an unvetted function of a vetted library, called
    UNKNOWN_STDLIB = "unknown-stdlib"  # AIB202
    UNKNOWN = "unknown"  # AIB203


class HigherOrder(StrEnum):
    CALLABLE = "callable"  # judged as the callables it is given
    KEYS = "keys"  # data when every argument is a constant
    NAMES = "names"  # calls or fetches attributes by name: introspection
    ATTRIBUTE = "attribute"  # getattr(global, "name"): judged as the dotted global


@dataclass(frozen=True)
class Globals:
    safe: frozenset[str]
    dangerous: dict[str, tuple[str, ...]]
    attributes: dict[str, tuple[str, ...]]  # attribute names that make any path a gadget
    capability: dict[str, Capability]  # entry prefix -> capability (default: code execution)
    higher_order: dict[str, tuple[HigherOrder, tuple[str, ...]]]
    closed_world: frozenset[str]  # top-level modules whose safe set is closed
    depth: int  # parts in the longest dangerous entry


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    capability: Capability
    entry: str | None = None  # the rule entry that decided it
    sources: tuple[str, ...] = ()
    detail: str = ""  # for higher-order and closed-world verdicts: why


@cache
def globals_data() -> Globals:
    data = load_data_toml("pickle_globals.toml")
    safe = frozenset(data["safe"]["names"])
    dangerous = {name: tuple(sources) for name, sources in data["dangerous"].items()}
    attributes = {
        name: tuple(sources) for name, sources in data.get("dangerous_attributes", {}).items()
    }
    capability = {prefix: Capability(value) for prefix, value in data.get("capability", {}).items()}
    higher = {
        name: (HigherOrder(spec["judge"]), tuple(spec["sources"]))
        for name, spec in data.get("higher_order", {}).items()
    }
    closed = frozenset(data.get("closed_world", {}).get("roots", ()))
    depth = max((name.count(".") + 1 for name in dangerous), default=1)
    return Globals(safe, dangerous, attributes, capability, higher, closed, depth)


def dangerous_entry(module: str, name: str, data: Globals | None = None) -> str | None:
    """The dangerous entry that covers this import, or None.

    An import reaches `module.name` and, through attribute walks of a dotted name, every
    attribute suffix of two or more parts (`pathlib` + `os.system` reaches `os.system`). An
    entry covers a reached path when it is one of the path's prefixes. Only slices of at most
    `depth` parts can equal an entry, so the work is linear in the name's length (a 5,000-part
    name is judged in milliseconds); the first match is the longest prefix of the earliest path.
    """
    table = data or globals_data()
    entries = table.dangerous
    full = module.split(".") + name.split(".")
    for j in range(min(len(full), table.depth), 0, -1):
        prefix = ".".join(full[:j])
        if prefix in entries:
            return prefix
    parts = name.split(".")
    for i in range(len(parts) - 1):
        for j in range(min(len(parts), i + table.depth), i, -1):
            prefix = ".".join(parts[i:j])
            if prefix in entries:
                return prefix
    return None


def _higher_order_prefix(qual: str, data: Globals) -> str | None:
    parts = qual.split(".")
    for j in range(min(len(parts) - 1, 4), 0, -1):
        prefix = ".".join(parts[:j])
        if prefix in data.higher_order:
            return prefix
    return None


def capability_of(entry: str, data: Globals) -> Capability:
    pieces = entry.split(".")
    for i in range(len(pieces), 0, -1):
        found = data.capability.get(".".join(pieces[:i]))
        if found is not None:
            return found
    return Capability.CODE


def is_stdlib(module: str) -> bool:
    root = module.split(".", 1)[0]
    return root in sys.stdlib_module_names or root in ("__builtin__", "builtins")


def in_closed_world(module: str, data: Globals | None = None) -> bool:
    table = data or globals_data()
    return is_stdlib(module) or module.split(".", 1)[0] in table.closed_world


def judge(imp: PickleImport, config: Config, *, _depth: int = 0) -> Judgement:
    """The verdict and capability of one import, from how the pickle uses it."""
    if imp.module == UNRESOLVED:
        return Judgement(Verdict.UNRESOLVED, Capability.UNKNOWN)
    data = globals_data()
    qual = imp.qualname
    if qual in data.safe:
        return Judgement(Verdict.SAFE, Capability.DATA)
    higher = data.higher_order.get(qual)
    if higher is not None:
        return _judge_higher_order(imp, higher[0], higher[1], config, _depth)
    walked = _higher_order_prefix(qual, data)
    if walked is not None:  # an attribute of a higher-order callable (getattr.__call__)
        return Judgement(
            Verdict.DANGEROUS, Capability.INTROSPECTION, walked, data.higher_order[walked][1]
        )
    entry = dangerous_entry(imp.module, imp.name, data)
    if entry is not None:
        return Judgement(
            Verdict.DANGEROUS, capability_of(entry, data), entry, data.dangerous[entry]
        )
    for part in imp.name.split("."):
        if part in data.attributes:
            return Judgement(
                Verdict.DANGEROUS, Capability.INTROSPECTION, part, data.attributes[part]
            )
    # the user's safe-globals come after the dangerous list: they can never allow its names
    if qual in config.safe_globals:
        return Judgement(Verdict.SAFE, Capability.DATA)
    if imp.invoked and in_closed_world(imp.module, data):
        library = "the standard library" if is_stdlib(imp.module) else imp.module.split(".")[0]
        return Judgement(Verdict.CLOSED_WORLD, Capability.UNKNOWN, detail=library)
    if is_stdlib(imp.module):
        return Judgement(Verdict.UNKNOWN_STDLIB, Capability.UNKNOWN)
    return Judgement(Verdict.UNKNOWN, Capability.UNKNOWN)


def _judge_higher_order(
    imp: PickleImport, how: HigherOrder, sources: tuple[str, ...], config: Config, depth: int
) -> Judgement:
    """A higher-order callable takes the verdict of what it is applied to."""
    safe = Judgement(Verdict.SAFE, Capability.DATA)
    if how is HigherOrder.NAMES:
        return Judgement(
            Verdict.HIGHER_ORDER,
            Capability.INTROSPECTION,
            imp.qualname,
            sources,
            "it calls or fetches attributes named by the pickle on whatever it is applied to",
        )
    if not imp.called:
        return safe  # imported as a value, never applied to anything
    calls = _calls(imp)
    if how is HigherOrder.ATTRIBUTE:
        return _judge_getattr(imp, calls, sources, config, depth)
    if how is HigherOrder.KEYS:
        if all(_is_constant(a) for args in calls for a in args):
            return safe
        return Judgement(
            Verdict.HIGHER_ORDER,
            Capability.HIGHER_ORDER,
            imp.qualname,
            sources,
            "it is given computed keys",
        )
    # CALLABLE: judged as the callables it is given (each is also judged as an import itself)
    worst = safe
    for target in {a for args in calls for a in args if not _is_constant(a)}:
        if target == VALUE_ARG or depth > 4:
            return Judgement(
                Verdict.HIGHER_ORDER,
                Capability.HIGHER_ORDER,
                imp.qualname,
                sources,
                "it is applied to a value computed at load time",
            )
        module, _, name = target.rpartition(".")
        inner = judge(
            PickleImport(module, name, called=True, invoked=True), config, _depth=depth + 1
        )
        if inner.verdict is Verdict.SAFE:
            continue
        if inner.verdict in (Verdict.UNKNOWN, Verdict.UNKNOWN_STDLIB):
            if worst.verdict is Verdict.SAFE:
                worst = inner
            continue
        return Judgement(
            Verdict.HIGHER_ORDER,
            inner.capability,
            imp.qualname,
            sources,
            f"it is applied to {target} ({inner.capability})",
        )
    return worst


def _judge_getattr(
    imp: PickleImport, calls: list[list[str]], sources: tuple[str, ...], config: Config, depth: int
) -> Judgement:
    """`getattr(G, "name")` with G an imported global is the dotted global `G.name` (how
    zoneinfo and enums pickle); anything else fetches attributes of computed values."""
    unsafe = Judgement(
        Verdict.DANGEROUS,
        Capability.INTROSPECTION,
        imp.qualname,
        sources,
        "it fetches an attribute of a value computed at load time",
    )
    if not calls or depth > 4:
        return unsafe
    worst = Judgement(Verdict.SAFE, Capability.DATA)
    for args in calls:
        if len(args) != 2 or args[0].startswith("<") or not args[1].startswith("<str:"):
            return unsafe
        attr = args[1][len("<str:") : -1]
        target = PickleImport(args[0], attr, called=imp.result_called, invoked=imp.result_called)
        inner = judge(target, config, _depth=depth + 1)
        owner_module, _, owner_name = args[0].rpartition(".")
        owner = judge(PickleImport(owner_module, owner_name), config, _depth=depth + 1)
        if inner.verdict is Verdict.SAFE:
            continue
        if not imp.result_called and owner.verdict is Verdict.SAFE and not attr.startswith("_"):
            continue  # a public attribute of a vetted class, not called (an enum member)
        if inner.verdict in (Verdict.UNKNOWN, Verdict.UNKNOWN_STDLIB, Verdict.CLOSED_WORLD):
            return Judgement(
                inner.verdict, inner.capability, inner.entry, inner.sources, inner.detail
            )
        return Judgement(
            Verdict.DANGEROUS,
            inner.capability,
            imp.qualname,
            sources,
            f"it reaches {target.qualname} ({inner.capability})",
        )
    return worst


def classify(imp: PickleImport, config: Config) -> tuple[str, str | None]:
    """(verdict, entry): the short form `aibom diff` and older callers use."""
    found = judge(imp, config)
    return str(found.verdict), found.entry
