"""Models, datasets and unsafe loaders referenced from Python source and notebooks.

Source is parsed with `ast` and never imported or run. For every call we recognise we record
a `CodeReference` (facts only; `checks/code.py` judges them):

- hub references: `*.from_pretrained(...)` on any class, `transformers.pipeline`,
  `huggingface_hub.hf_hub_download` / `snapshot_download`, `sentence_transformers`
  `SentenceTransformer` / `CrossEncoder`, `timm.create_model(..., pretrained=True)`,
  `vllm.LLM`, `datasets.load_dataset`, and `torch.hub.load("owner/repo[:ref]", ...)`;
- unsafe loaders: `torch.load`, `pickle`/`_pickle`/`cPickle`/`dill`/`cloudpickle` loads and
  unpicklers, `shelve.open`, `joblib.load`, `pandas.read_pickle`,
  `numpy.load(..., allow_pickle=True)`, Keras `load_model(..., safe_mode=False)`;
- `trust_remote_code=True` passed to any call.

Names are resolved through the module's imports (`import torch as t`,
`from transformers import AutoModel as M`, `from torch import load`, star imports),
module-level aliases (`load = torch.load`) and module-level constants (`MODEL = "org/name"`,
concatenations of constants, f-strings without placeholders). Anything else (f-strings with
placeholders, function arguments, names assigned more than once, `**kwargs`) is recorded as
"dynamic": reported as unresolved, never guessed.

`args` of a reference carry what the checks need, always as strings:
  ("revision", "missing" | "commit" | "branch" | "dynamic")   hub and torch-hub references
  ("weights_only", "missing" | "True" | "False" | "dynamic")  torch-load
  ("allow_pickle", "True" | "dynamic")                        numpy-load-pickle
  ("safe_mode", "False" | "dynamic")                          keras-unsafe-load
  ("value", "True" | "dynamic"), ("revision", ...)            trust-remote-code
  ("unresolved", "target" | "revision" | ...)                 what could not be resolved
  ("pretrained", "True" | "dynamic")                          timm-model
  ("default_for_task", task)                                  pipeline without a model

A literal that is not a Hub id (`./x`, `/x`, `a/b/c`), or that names an existing folder or
file next to the source or under a scan root, is recorded as a local path, not judged.
`hf://datasets/org/name@rev/...` paths passed to any call are Hub references too.

Notebooks (`.ipynb`): code cells are parsed one by one after IPython syntax is turned into
Python the way IPython's input transformer does it (`ipython_syntax`: `!cmd` continued with
`\\`, `%magic`, `x = !ls`, `obj?`, automagic `pip install x`; `%time stmt` keeps `stmt`); cell
magics other than `%%time`, `%%timeit`, `%%capture`, `%%prun` and `%%debug` make the cell
non-Python and it is skipped. A cell that still does not compile is recorded as a gap (Python
would refuse to run it), not as an unreadable file. Imports and constants are shared
across cells (the notebook is one namespace). Locations are
`Location(path, line within the cell, member="cell N")`, N counting every cell from 1 as
shown in the notebook.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..model import CodeReference, Collected, FileRef, Gap, Location, ScanError, Suppression
from .ipython_syntax import transform_cell

MAX_SOURCE_BYTES = 8 * 1024 * 1024  # a larger .py file is generated, not written: fail closed
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024  # notebooks carry outputs (images), allow more
MAX_CELLS = 20_000
MAX_RESOLVE_DEPTH = 50  # nested concatenations / constant chains followed before giving up

FULL_COMMIT = re.compile(r"^[0-9a-fA-F]{40}$")
# A Hugging Face repo id: "name" or "org/name" (letters, digits, "-", "_", ".").
HUB_ID = re.compile(r"^(?:[A-Za-z0-9][\w.-]*/)?[A-Za-z0-9][\w.-]*$")

# A file must mention one of these names to hold anything we look for ...
_SPECIFIC = re.compile(
    rb"from_pretrained|pipeline|hf_hub_download|snapshot_download|SentenceTransformer|"
    rb"CrossEncoder|create_model|trust_remote_code|read_pickle|Unpickler|LLM|load_dataset|"
    rb"load_model|shelve|hf://|huggingface\.co|hf\.co/|"
    # data read from a URL or bucket (pandas/polars/pyarrow readers, urlretrieve, wget)
    rb"read_(?:csv|parquet|json|feather|table|excel|orc|ipc)|scan_(?:csv|parquet)|"
    rb"urlretrieve|wget\.download"
)
# ... or both a `load` and one of the modules whose `load` unpickles (imports always spell
# the module name, even `__import__("pickle")`). A file passing neither test (and without
# non-ASCII bytes, which could spell identifiers in NFKC forms) is not parsed at all: aibom
# is not a linter, and this keeps pre-commit runs fast.
_LOAD = re.compile(rb"load")
_LOADER_MODULES = re.compile(rb"torch|pickle|dill|joblib|numpy|pandas|keras|shelve")
_NON_ASCII = re.compile(rb"[\x80-\xff]")

_SUPPRESS = re.compile(r"#\s*aibom:\s*ignore(?:\[([^\]]*)\])?[ \t:]*(.*)$")

# Builders that `datasets.load_dataset` ships: local files, not Hub datasets.
_DATASET_BUILDERS = frozenset(
    {
        "csv",
        "json",
        "parquet",
        "text",
        "arrow",
        "pandas",
        "imagefolder",
        "audiofolder",
        "videofolder",
        "webdataset",
        "sql",
        "xml",
        "generator",
        "spark",
        "cache",
    }
)

_PICKLE_MODULES = {
    "pickle": "pickle-load",
    "_pickle": "pickle-load",
    "cPickle": "pickle-load",
    "dill": "dill-load",
    "cloudpickle": "cloudpickle-load",
}
_PICKLE_FUNCS = ("load", "loads", "Unpickler")


@dataclass(frozen=True)
class _Value:
    """An argument's value: `state` is "missing", "literal" or "dynamic"."""

    state: str
    value: object = None
    reason: str = ""

    @property
    def literal(self) -> bool:
        return self.state == "literal"


MISSING = _Value("missing")


@dataclass
class _Names:
    """What the module's top level binds: imports, aliases and constants."""

    aliases: dict[str, str] = field(default_factory=dict)  # local name -> dotted name
    constants: dict[str, object] = field(default_factory=dict)
    ambiguous: set[str] = field(default_factory=set)  # bound more than once or not literally
    star_modules: list[str] = field(default_factory=list)
    # folders a relative model path is looked up in (the file's folder, the scan roots): an
    # id like "checkpoints/final" that exists there is a local folder, not a Hub repo
    local_dirs: tuple[Path, ...] = ()


# --------------------------------------------------------------------------- entry points


def collect_python(file: FileRef, config: Config) -> Collected:
    """Code references in one `.py` file."""
    collected = Collected()
    if file.size > MAX_SOURCE_BYTES:
        collected.errors.append(
            ScanError(
                Location(file.rel),
                f"source file too large to analyse ({file.size} bytes, limit "
                f"{MAX_SOURCE_BYTES}); model references in it are unknown",
            )
        )
        return collected
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        collected.errors.append(ScanError(Location(file.rel), f"cannot read: {exc.strerror}"))
        return collected
    return analyse_source(data, file.rel, _local_dirs(file, config))


def _local_dirs(file: FileRef, config: Config) -> tuple[Path, ...]:
    return tuple(dict.fromkeys([file.path.parent, *(r for r in config.roots if r.is_dir())]))


def analyse_source(data: bytes, rel: str, local_dirs: tuple[Path, ...] = ()) -> Collected:
    """Code references in Python source given as bytes (the `.py` path is `rel`)."""
    collected = Collected()
    if not _worth_parsing(data):
        return collected
    tree = _parse(data, rel, None, collected)
    if tree is None:
        return collected
    index = _index(tree)
    names = _Names(local_dirs=local_dirs)
    _bind_names(tree, index, names)
    collected.code_refs.extend(_references(index, names, rel, None))
    collected.suppressions.extend(_suppressions(_decode(data), rel))
    return collected


def collect_notebook(file: FileRef, config: Config) -> Collected:
    """Code references in the code cells of one Jupyter notebook."""
    collected = Collected()
    where = Location(file.rel)
    if file.size > MAX_NOTEBOOK_BYTES:
        collected.errors.append(
            ScanError(
                where,
                f"notebook too large to analyse ({file.size} bytes, limit {MAX_NOTEBOOK_BYTES})",
            )
        )
        return collected
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        collected.errors.append(ScanError(where, f"cannot read: {exc.strerror}"))
        return collected
    return analyse_notebook(data, file.rel, _local_dirs(file, config))


def analyse_notebook(data: bytes, rel: str, local_dirs: tuple[Path, ...] = ()) -> Collected:
    collected = Collected()
    where = Location(rel)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        collected.errors.append(ScanError(where, f"notebook is not UTF-8 ({exc.reason})"))
        return collected
    except json.JSONDecodeError as exc:
        collected.errors.append(
            ScanError(Location(rel, exc.lineno), f"notebook is not valid JSON: {exc.msg}")
        )
        return collected
    except RecursionError:
        collected.errors.append(ScanError(where, "notebook JSON nested too deeply to read"))
        return collected
    cells = _notebook_cells(doc)
    if cells is None:
        collected.errors.append(
            ScanError(where, "not a Jupyter notebook (no `cells` list of cell objects)")
        )
        return collected
    if len(cells) > MAX_CELLS:
        collected.errors.append(
            ScanError(where, f"notebook has {len(cells)} cells (limit {MAX_CELLS})")
        )
        return collected
    sources: list[tuple[str, str]] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        member = f"cell {number}"
        source = cell.get("source", cell.get("input", ""))
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            text = "".join(source)
        elif isinstance(source, str):
            text = source
        else:
            collected.errors.append(
                ScanError(Location(rel, None, member), "cell source is not text")
            )
            continue
        python = strip_magics(text)
        if python is not None:
            sources.append((member, python))
    # One prefilter for the whole notebook: a cell may use a name imported in another.
    if not _worth_parsing("\n".join(text for _, text in sources).encode("utf-8")):
        return collected
    cells_parsed: list[tuple[str, _Index]] = []
    for member, python in sources:
        tree = _parse(python.encode("utf-8"), rel, member, collected, cell=True)
        if tree is not None:
            cells_parsed.append((member, _index(tree)))
    names = _Names(local_dirs=local_dirs)
    for _, index in cells_parsed:
        _bind_names(index.tree, index, names)
    for member, index in cells_parsed:
        collected.code_refs.extend(_references(index, names, rel, member))
    return collected


def _notebook_cells(doc: object) -> list[object] | None:
    if not isinstance(doc, dict):
        return None
    cells = doc.get("cells")
    if cells is None and isinstance(doc.get("worksheets"), list):  # nbformat 3
        cells = [
            c
            for ws in doc["worksheets"]
            if isinstance(ws, dict) and isinstance(ws.get("cells"), list)
            for c in ws["cells"]
        ]
    return cells if isinstance(cells, list) else None


def strip_magics(text: str) -> str | None:
    """The cell's Python with IPython syntax turned into plain Python the way IPython's input
    transformer does it (line numbers kept), or None when a cell magic makes the whole cell
    another language (`%%bash`, `%%writefile`, ...). See `ipython_syntax`."""
    python = transform_cell(text).python
    if python is not None and not text.endswith("\n") and python.endswith("\n"):
        python = python[:-1]
    return python


# --------------------------------------------------------------------------- parsing


def _worth_parsing(data: bytes) -> bool:
    return bool(
        _SPECIFIC.search(data)
        or (_LOAD.search(data) and _LOADER_MODULES.search(data))
        or _NON_ASCII.search(data)
    )


def _parse(
    data: bytes, rel: str, member: str | None, collected: Collected, *, cell: bool = False
) -> ast.Module | None:
    """`cell`: a notebook cell. One that does not compile is a gap, not an error: Python
    refuses to run such a cell, so nothing in it can load anything."""
    try:
        return ast.parse(data, filename=rel)
    except SyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
        message = exc.msg or "invalid syntax"
        if cell:
            collected.gaps.append(
                Gap(
                    Location(rel, line, member),
                    f"this cell is not valid Python even with IPython syntax transformed "
                    f"(syntax error: {message}); Python would refuse to run it, so it was "
                    "not analysed",
                )
            )
        else:
            collected.errors.append(
                ScanError(Location(rel, line, member), f"syntax error: {message}")
            )
    except (RecursionError, MemoryError):
        collected.errors.append(
            ScanError(Location(rel, None, member), "source nested too deeply to parse")
        )
    except ValueError as exc:  # e.g. "source code string cannot contain null bytes"
        collected.errors.append(ScanError(Location(rel, None, member), f"cannot parse: {exc}"))
    return None


def _decode(data: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def _suppressions(text: str, rel: str) -> Iterator[Suppression]:
    if "aibom" not in text:
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if "aibom" not in line:
            continue
        match = _SUPPRESS.search(line)
        if match is None:
            continue
        ids = tuple(p.strip() for p in (match.group(1) or "").split(",") if p.strip())
        yield Suppression(Location(rel, number), ids, match.group(2).strip())


# --------------------------------------------------------------------------- names


@dataclass
class _Index:
    """One walk over a module: what the later passes need, so the tree is walked once."""

    tree: ast.Module
    imports: list[ast.Import | ast.ImportFrom] = field(default_factory=list)
    stores: list[ast.Name] = field(default_factory=list)  # every assignment target name
    calls: list[tuple[ast.Call, tuple[int, ...]]] = field(default_factory=list)  # + scopes
    scope_locals: list[set[str]] = field(default_factory=list)  # per function scope
    scope_globals: list[set[str]] = field(default_factory=list)


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _index(tree: ast.Module) -> _Index:
    index = _Index(tree)
    stack: list[tuple[ast.AST, tuple[int, ...]]] = [(tree, ())]
    while stack:
        node, chain = stack.pop()
        if isinstance(node, _SCOPES):
            spec = node.args
            bound = {a.arg for a in (*spec.posonlyargs, *spec.args, *spec.kwonlyargs)}
            bound.update(a.arg for a in (spec.vararg, spec.kwarg) if a is not None)
            index.scope_locals.append(bound)
            index.scope_globals.append(set())
            chain = (*chain, len(index.scope_locals) - 1)
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                index.stores.append(node)
                if chain:
                    index.scope_locals[chain[-1]].add(node.id)
            continue  # a Name has no children worth visiting
        elif isinstance(node, ast.Call):
            index.calls.append((node, chain))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            index.imports.append(node)
        elif isinstance(node, ast.Global | ast.Nonlocal) and chain:
            index.scope_globals[chain[-1]].update(node.names)
        elif isinstance(node, ast.Constant):
            continue
        for child in ast.iter_child_nodes(node):
            stack.append((child, chain))
    return index


def _bind_names(tree: ast.Module, index: _Index, names: _Names) -> None:
    """Imports anywhere in the module (flow-insensitive), module-level constants and aliases."""
    for node in index.imports:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names.aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".", 1)[0]
                    names.aliases.setdefault(top, top)
        elif node.module and node.level == 0:
            for alias in node.names:
                if alias.name == "*":
                    names.star_modules.append(node.module)
                else:
                    names.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    assigned: dict[str, int] = {}
    top_targets: set[int] = set()
    for stmt in tree.body:
        for target, value in _assignments(stmt):
            top_targets.add(id(target))
            name = target.id
            assigned[name] = assigned.get(name, 0) + 1
            if assigned[name] > 1:
                names.ambiguous.add(name)
                names.constants.pop(name, None)
                continue
            resolved = _resolve(value, names, 0)
            if resolved.literal:
                names.constants[name] = resolved.value
                continue
            dotted = _dotted(value, names)
            if dotted is not None and dotted.split(".", 1)[0] in _imported_roots(names):
                names.aliases[name] = dotted
            else:
                names.ambiguous.add(name)
    # A name rebound anywhere else (in a function with `global`, a loop, `+=`) is not a
    # constant: we do not follow control flow, so we do not guess which value applies.
    for store in index.stores:
        if store.id in names.constants and id(store) not in top_targets:
            names.constants.pop(store.id, None)
            names.ambiguous.add(store.id)


def _imported_roots(names: _Names) -> set[str]:
    return {v.split(".", 1)[0] for v in names.aliases.values()}


def _assignments(stmt: ast.stmt) -> Iterator[tuple[ast.Name, ast.expr]]:
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            if isinstance(target, ast.Name):
                yield target, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
        yield stmt.target, stmt.value


def _resolve(
    node: ast.expr, names: _Names, depth: int, shadow: frozenset[str] = frozenset()
) -> _Value:
    """A literal value for an expression, or why it is dynamic. `shadow` holds the names
    bound locally in the enclosing functions (they hide module constants)."""
    if depth > MAX_RESOLVE_DEPTH:
        return _Value("dynamic", reason="expression too deep")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str | bool | int | float) or node.value is None:
            return _Value("literal", node.value)
        return _Value("dynamic", reason="unsupported constant")
    if isinstance(node, ast.Name):
        if node.id in names.constants and node.id not in shadow:
            return _Value("literal", names.constants[node.id])
        return _Value("dynamic", reason=f"variable {node.id}")
    if isinstance(node, ast.JoinedStr):
        if all(isinstance(v, ast.Constant) for v in node.values):
            return _Value("literal", "".join(str(v.value) for v in node.values))  # type: ignore[attr-defined]
        return _Value("dynamic", reason="f-string")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _resolve(node.left, names, depth + 1, shadow)
        right = _resolve(node.right, names, depth + 1, shadow)
        if (
            left.literal
            and right.literal
            and isinstance(left.value, str)
            and isinstance(right.value, str)
        ):
            return _Value("literal", left.value + right.value)
        return _Value("dynamic", reason="concatenation of non-constants")
    return _Value("dynamic", reason=type(node).__name__.lower())


def _dotted(node: ast.expr, names: _Names) -> str | None:
    """The dotted name an expression refers to, through imports and aliases
    (`t.hub.load` -> "torch.hub.load"), or None when it is not a plain name chain."""
    parts: list[str] = []
    current: ast.expr = node
    for _ in range(MAX_RESOLVE_DEPTH):
        if isinstance(current, ast.Attribute):
            parts.append(current.attr)
            current = current.value
        elif (
            isinstance(current, ast.Call)
            and isinstance(current.func, ast.Name)
            and current.func.id == "getattr"
            and len(current.args) == 2
            and not current.keywords
        ):
            attr = _resolve(current.args[1], names, 0)
            if not (attr.literal and isinstance(attr.value, str)):
                return None
            parts.append(attr.value)
            current = current.args[0]
        elif isinstance(current, ast.Name):
            base = names.aliases.get(current.id)
            if base is None:
                base = current.id
            parts.append(base)
            return ".".join(reversed(parts))
        elif isinstance(current, ast.Call) and len(current.args) == 1:
            # `__import__("pickle")` is the top-level module, `importlib.import_module("a.b")`
            # is the module itself.
            func = _dotted(current.func, names) if depth_ok(parts) else None
            module = _resolve(current.args[0], names, 0)
            if not (module.literal and isinstance(module.value, str)):
                return None
            if func == "__import__":
                parts.append(module.value.split(".", 1)[0])
            elif func == "importlib.import_module":
                parts.append(module.value)
            else:
                return None
            return ".".join(reversed(parts))
        else:
            return None
    return None


def depth_ok(parts: list[str]) -> bool:
    return len(parts) < MAX_RESOLVE_DEPTH


# --------------------------------------------------------------------------- calls


@dataclass
class _Call:
    node: ast.Call
    dotted: str  # resolved dotted name of the callee
    written: str  # the callee as written (for messages)
    names: _Names
    location: Location
    shadow: frozenset[str] = frozenset()

    def arg(self, position: int | None, *keywords: str) -> _Value:
        """A positional-or-keyword argument. A `*args`/`**kwargs` that could hold it makes it
        dynamic; a `**{...}` dict literal is looked into."""
        for kw in self.node.keywords:
            if kw.arg is not None and kw.arg in keywords:
                return self.value(kw.value)
        if position is not None:
            for index, node in enumerate(self.node.args):
                if isinstance(node, ast.Starred):
                    return _Value("dynamic", reason="*args")
                if index == position:
                    return self.value(node)
        for kw in self.node.keywords:
            if kw.arg is not None:
                continue
            if isinstance(kw.value, ast.Dict) and all(
                isinstance(k, ast.Constant) for k in kw.value.keys
            ):
                for key, value in zip(kw.value.keys, kw.value.values, strict=False):
                    if isinstance(key, ast.Constant) and key.value in keywords:
                        return self.value(value)
                continue
            return _Value("dynamic", reason="**kwargs")
        return MISSING

    def value(self, node: ast.expr) -> _Value:
        return _resolve(node, self.names, 0, self.shadow)


def _references(index: _Index, names: _Names, rel: str, member: str | None) -> list[CodeReference]:
    found: list[tuple[int, int, int, CodeReference]] = []
    shadows: dict[tuple[int, ...], frozenset[str]] = {(): frozenset()}
    for node, chain in index.calls:
        dotted = _callee(node.func, names)
        if dotted is None:
            continue
        shadow = shadows.get(chain)
        if shadow is None:
            # names a function binds (parameters, assignments; not `global` ones) hide
            # module constants inside it and its nested functions
            bound: set[str] = set()
            for scope in chain:
                bound |= index.scope_locals[scope] - index.scope_globals[scope]
            shadow = shadows[chain] = frozenset(bound)
        location = Location(rel, node.lineno, member)
        call = _Call(node, dotted, _written(node.func), names, location, shadow)
        refs = list(_classify(call))
        remote = call.arg(None, "trust_remote_code")
        if remote.literal and remote.value is True:
            refs.append(_trust_remote_code(call, "True", refs))
        elif remote.state == "dynamic" and remote.reason != "**kwargs":
            refs.append(_trust_remote_code(call, "dynamic", refs))
        if not any(r.kind in _HUB_KINDS for r in refs):
            refs[:0] = list(_hf_urls(call))
        for order, ref in enumerate(refs):
            found.append((node.lineno, node.col_offset, order, ref))
    found.sort(key=lambda item: item[:3])
    return [ref for *_, ref in found]


def _callee(func: ast.expr, names: _Names) -> str | None:
    dotted = _dotted(func, names)
    if dotted is None:
        # `HfApi().snapshot_download(...)`, `get_class().from_pretrained(...)`: the method
        # name is still known
        return f"<expr>.{func.attr}" if isinstance(func, ast.Attribute) else "<expr>"
    if "." not in dotted and dotted not in names.aliases and names.star_modules:
        for module in names.star_modules:  # `from transformers import *`
            candidate = f"{module}.{dotted}"
            if _known(candidate):
                return candidate
    return dotted


def _written(func: ast.expr) -> str:
    """The callee as written: `t.hub.load`, `getattr(pk, 'load')`, ..."""
    current: ast.expr = func
    for _ in range(MAX_RESOLVE_DEPTH):
        if isinstance(current, ast.Attribute):
            current = current.value
        else:
            break
    if isinstance(current, ast.Name):
        parts: list[str] = []
        node: ast.expr = func
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            parts.append(node.id)
            return ".".join(reversed(parts))
    try:
        text = ast.unparse(func)
    except (RecursionError, ValueError):
        text = "(...)"
    return text if len(text) <= 120 else text[:117] + "..."


def _known(dotted: str) -> bool:
    return dotted in _HANDLERS or _unsafe_kind(dotted) is not None


_HUB_KINDS = frozenset({"hub-model", "hub-dataset", "hub-space", "timm-model", "torch-hub"})


def _trust_remote_code(call: _Call, value: str, refs: list[CodeReference]) -> CodeReference:
    """The repo (and its revision state) whose code runs, taken from the call's hub ref."""
    hub = next((r for r in refs if r.kind in _HUB_KINDS), None)
    state = dict(hub.args).get("revision", "missing") if hub is not None else "missing"
    return CodeReference(
        "trust-remote-code",
        call.written,
        call.location,
        target=hub.target if hub is not None else None,
        revision=hub.revision if hub is not None else None,
        args=(("value", value), ("revision", state)),
    )


def _classify(call: _Call) -> Iterator[CodeReference]:
    dotted = call.dotted
    handler = _HANDLERS.get(dotted)
    if handler is not None:
        yield from handler(call)
        return
    last = dotted.rsplit(".", 1)[-1]
    if last == "from_pretrained":
        yield from _from_pretrained(call)
        return
    if last in {"hf_hub_download", "snapshot_download"}:  # also HfApi().snapshot_download
        yield from _hub_download(call)
        return
    kind = _unsafe_kind(dotted)
    if kind is not None:
        yield _simple_load(call, kind)


def _unsafe_kind(dotted: str) -> str | None:
    module, _, name = dotted.rpartition(".")
    if module in _PICKLE_MODULES and name in _PICKLE_FUNCS:
        return _PICKLE_MODULES[module]
    return {
        "shelve.open": "shelve-open",
        "joblib.load": "joblib-load",
        "sklearn.externals.joblib.load": "joblib-load",
        "pandas.read_pickle": "pandas-read-pickle",
    }.get(dotted)


# --- hub references


def _revision_state(value: _Value) -> tuple[str, str | None]:
    if value.state == "missing" or (value.literal and value.value is None):
        return "missing", None
    if not value.literal or not isinstance(value.value, str):
        return ("dynamic", None) if not value.literal else ("branch", str(value.value))
    text = value.value
    return ("commit" if FULL_COMMIT.match(text) else "branch"), text


def _hub_ref(
    call: _Call,
    kind: str,
    target: _Value,
    revision: _Value,
    extra: tuple[tuple[str, str], ...] = (),
) -> Iterator[CodeReference]:
    state, written_revision = _revision_state(revision)
    args: list[tuple[str, str]] = [("revision", state), *extra]
    if target.literal and isinstance(target.value, str):
        text = target.value
        if not HUB_ID.match(text) or _exists_locally(text, call.names.local_dirs):
            yield CodeReference(
                "local-model" if kind != "hub-dataset" else "local-dataset",
                call.written,
                call.location,
                target=text,
                args=tuple(extra),
            )
            return
        if kind == "hub-dataset" and text in _DATASET_BUILDERS:
            return  # a packaged builder reading local files ("csv", "json", ...)
        yield CodeReference(
            kind,
            call.written,
            call.location,
            target=text,
            revision=written_revision,
            args=tuple(args),
        )
        return
    if target.state == "missing":
        return
    args.append(("unresolved", "target"))
    if target.reason:
        args.append(("reason", target.reason))
    yield CodeReference(
        kind, call.written, call.location, revision=written_revision, args=tuple(args)
    )


def _exists_locally(text: str, folders: tuple[Path, ...]) -> bool:
    for folder in folders:
        try:
            if (folder / text).exists():
                return True
        except OSError:
            continue
    return False


_PEFT_PREFIXES = ("peft.",)


def _from_pretrained(call: _Call) -> Iterator[CodeReference]:
    if call.dotted.startswith(_PEFT_PREFIXES):  # PeftModel.from_pretrained(model, model_id)
        target = call.arg(1, "model_id")
    else:
        target = call.arg(
            0,
            "pretrained_model_name_or_path",
            "model_name_or_path",
            "repo_id",
            "model_id",
        )
    yield from _hub_ref(call, "hub-model", target, call.arg(None, "revision"))


def _pipeline(call: _Call) -> Iterator[CodeReference]:
    model = call.arg(1, "model")
    if model.state == "missing":
        task = call.arg(0, "task")
        task_name = str(task.value) if task.literal else "dynamic"
        yield CodeReference(
            "hub-model",
            call.written,
            call.location,
            args=(("revision", "missing"), ("default_for_task", task_name)),
        )
        return
    # A dynamic `model=` is most often a model object loaded a few lines above (and recorded
    # there), so only literal repo ids are references here.
    if model.literal and isinstance(model.value, str):
        yield from _hub_ref(call, "hub-model", model, call.arg(None, "revision"))


def _hub_download(call: _Call) -> Iterator[CodeReference]:
    repo_type = call.arg(None, "repo_type")
    kind = "hub-model"
    if repo_type.literal and repo_type.value == "dataset":
        kind = "hub-dataset"
    elif repo_type.literal and repo_type.value == "space":
        kind = "hub-space"
    extra: tuple[tuple[str, str], ...] = ()
    filename = call.arg(1, "filename")
    if filename.literal and isinstance(filename.value, str):
        extra = (("filename", filename.value),)
    yield from _hub_ref(call, kind, call.arg(0, "repo_id"), call.arg(None, "revision"), extra)


def _load_dataset(call: _Call) -> Iterator[CodeReference]:
    yield from _hub_ref(call, "hub-dataset", call.arg(0, "path"), call.arg(None, "revision"))


def _sentence_transformer(call: _Call) -> Iterator[CodeReference]:
    target = call.arg(0, "model_name_or_path", "model_name")
    yield from _hub_ref(call, "hub-model", target, call.arg(None, "revision"))


def _vllm(call: _Call) -> Iterator[CodeReference]:
    yield from _hub_ref(call, "hub-model", call.arg(0, "model"), call.arg(None, "revision"))


def _timm(call: _Call) -> Iterator[CodeReference]:
    pretrained = call.arg(1, "pretrained")
    if pretrained.state == "missing" or (pretrained.literal and not pretrained.value):
        return  # no weights are downloaded
    flag = "True" if pretrained.literal else "dynamic"
    name = call.arg(0, "model_name")
    if name.literal and isinstance(name.value, str):
        text = name.value
        for prefix in ("hf-hub:", "hf_hub:"):
            if text.startswith(prefix):
                repo, _, rev = text[len(prefix) :].partition("@")
                revision = _Value("literal", rev) if rev else MISSING
                yield from _hub_ref(
                    call,
                    "hub-model",
                    _Value("literal", repo),
                    revision,
                    (("pretrained", flag),),
                )
                return
        yield CodeReference(
            "timm-model",
            call.written,
            call.location,
            target=text,
            args=(("revision", "missing"), ("pretrained", flag)),
        )
        return
    yield from _hub_ref(call, "timm-model", name, MISSING, (("pretrained", flag),))


def _torch_hub(call: _Call) -> Iterator[CodeReference]:
    source = call.arg(None, "source")
    if source.literal and source.value == "local":
        return
    repo = call.arg(0, "repo_or_dir")
    if repo.literal and isinstance(repo.value, str):
        owner_repo, _, ref = repo.value.partition(":")
        state = "missing" if not ref else ("commit" if FULL_COMMIT.match(ref) else "branch")
        entry = call.arg(1, "model")
        extra = [("revision", state)]
        if entry.literal and isinstance(entry.value, str):
            extra.append(("entrypoint", entry.value))
        yield CodeReference(
            "torch-hub",
            call.written,
            call.location,
            target=owner_repo,
            revision=ref or None,
            args=tuple(extra),
        )
        return
    if repo.state == "dynamic":
        args = [("revision", "dynamic"), ("unresolved", "target")]
        if repo.reason:
            args.append(("reason", repo.reason))
        yield CodeReference("torch-hub", call.written, call.location, args=tuple(args))


_HF_URL = re.compile(
    r"^hf://(?:(?P<type>datasets|spaces)/)?(?P<repo>[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)"
    r"(?:@(?P<rev>[^/]+))?(?:/|$)"
)
# https://huggingface.co/[datasets/|spaces/]org/name/(resolve|blob|tree)/<rev>/<path>
_HF_HTTP = re.compile(
    r"^https?://(?:www\.)?(?:huggingface\.co|hf\.co)/(?:(?P<type>datasets|spaces)/)?"
    r"(?P<repo>[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*)/(?:resolve|blob|tree|raw)/(?P<rev>[^/]+)"
)


def _hf_urls(call: _Call) -> Iterator[CodeReference]:
    """Hub files named by URL in any call, as literal strings or lists of them:
    `hf://datasets/org/name@rev/file` (fsspec, pandas, polars, duckdb, load_dataset data
    files) and `https://huggingface.co/org/name/resolve/<rev>/file` (diffusers
    `from_single_file`, `torch.hub.load_state_dict_from_url`, plain downloads)."""
    values: list[ast.expr] = [*call.node.args, *(kw.value for kw in call.node.keywords)]
    for node in values:
        items = node.elts if isinstance(node, ast.List | ast.Tuple) else [node]
        for item in items:
            if isinstance(item, ast.Starred):
                continue
            value = call.value(item)
            if not (value.literal and isinstance(value.value, str)):
                continue
            match = _HF_URL.match(value.value) or _HF_HTTP.match(value.value)
            if match is None:
                continue
            kind = {"datasets": "hub-dataset", "spaces": "hub-space"}.get(
                match.group("type") or "", "hub-model"
            )
            rev = match.group("rev")
            revision = _Value("literal", rev.replace("%2F", "/")) if rev else MISSING
            yield from _hub_ref(
                call,
                kind,
                _Value("literal", match.group("repo")),
                revision,
                (("url", value.value),),
            )


# --- unsafe loaders


def _path_target(call: _Call) -> str | None:
    value = call.arg(0, "f", "file", "filename", "filepath", "filepath_or_buffer", "path")
    if value.literal and isinstance(value.value, str):
        return value.value
    return None


def _simple_load(call: _Call, kind: str) -> CodeReference:
    # `loads` takes bytes, not a path: there is no file to name.
    target = None if call.dotted.endswith(".loads") else _path_target(call)
    return CodeReference(kind, call.written, call.location, target=target)


def _flag(value: _Value) -> str:
    if value.state == "missing":
        return "missing"
    if value.literal:
        return str(bool(value.value))
    return "dynamic"


def _torch_load(call: _Call) -> Iterator[CodeReference]:
    weights_only = _flag(call.arg(None, "weights_only"))
    yield CodeReference(
        "torch-load",
        call.written,
        call.location,
        target=_path_target(call),
        args=(("weights_only", weights_only),),
    )


def _numpy_load(call: _Call) -> Iterator[CodeReference]:
    allow = _flag(call.arg(2, "allow_pickle"))
    if allow in {"True", "dynamic"}:
        yield CodeReference(
            "numpy-load-pickle",
            call.written,
            call.location,
            target=_path_target(call),
            args=(("allow_pickle", allow),),
        )


def _keras_load(call: _Call) -> Iterator[CodeReference]:
    safe_mode = _flag(call.arg(3, "safe_mode"))
    if safe_mode in {"False", "dynamic"}:
        yield CodeReference(
            "keras-unsafe-load",
            call.written,
            call.location,
            target=_path_target(call),
            args=(("safe_mode", safe_mode),),
        )


# data read straight from a URL or a bucket: the content is whatever is there at run time
# (Hub URLs, hf:// included, are hub references with their own revision rule, AIB601)
REMOTE_DATA = re.compile(r"^(https?|s3|s3a|gs|gcs|az|abfs|abfss)://", re.IGNORECASE)
HUB_URL = re.compile(r"^https?://(www\.)?(huggingface\.co|hf\.co)/", re.IGNORECASE)
PINNED_URL = re.compile(r"[0-9a-f]{40}|[?&#](sha256|md5|checksum|versionId|generation)=", re.I)


def _remote_data(call: _Call) -> Iterator[CodeReference]:
    source = call.arg(0, "filepath_or_buffer", "path", "source", "url", "uri", "path_or_buf", "io")
    if not (source.literal and isinstance(source.value, str) and REMOTE_DATA.match(source.value)):
        return
    if HUB_URL.match(source.value):
        return
    from ..redact import redact_url

    url = redact_url(source.value.strip())[0]
    pinned = "yes" if PINNED_URL.search(url) else "no"
    yield CodeReference(
        "remote-data", call.written, call.location, target=url, args=(("pinned", pinned),)
    )


# (pandas.read_pickle is an unsafe loader, judged by AIB607)
_READERS = ("read_csv", "read_parquet", "read_json", "read_feather", "read_table", "read_excel",
            "read_orc")  # fmt: skip
_REMOTE_DATA_CALLS = {
    **{f"pandas.{name}": _remote_data for name in _READERS},
    **{f"polars.{name}": _remote_data for name in ("read_csv", "read_parquet", "read_json",
                                                    "scan_csv", "scan_parquet", "read_ipc")},
    "pyarrow.parquet.read_table": _remote_data,
    "pyarrow.csv.read_csv": _remote_data,
    "urllib.request.urlretrieve": _remote_data,
    "wget.download": _remote_data,
}  # fmt: skip

_HANDLERS = {
    **_REMOTE_DATA_CALLS,
    "transformers.pipeline": _pipeline,
    "transformers.pipelines.pipeline": _pipeline,
    "huggingface_hub.hf_hub_download": _hub_download,
    "huggingface_hub.file_download.hf_hub_download": _hub_download,
    "huggingface_hub.snapshot_download": _hub_download,
    "huggingface_hub._snapshot_download.snapshot_download": _hub_download,
    "datasets.load_dataset": _load_dataset,
    "sentence_transformers.SentenceTransformer": _sentence_transformer,
    "sentence_transformers.CrossEncoder": _sentence_transformer,
    "sentence_transformers.cross_encoder.CrossEncoder": _sentence_transformer,
    "timm.create_model": _timm,
    "vllm.LLM": _vllm,
    "torch.hub.load": _torch_hub,
    "torch.load": _torch_load,
    "torch.serialization.load": _torch_load,
    "torch.hub.load_state_dict_from_url": _torch_load,
    "numpy.load": _numpy_load,
    "keras.models.load_model": _keras_load,
    "keras.saving.load_model": _keras_load,
    "keras.load_model": _keras_load,
    "tensorflow.keras.models.load_model": _keras_load,
    "tensorflow.keras.saving.load_model": _keras_load,
    "tf_keras.models.load_model": _keras_load,
}
