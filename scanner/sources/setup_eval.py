"""Static evaluation of a `setup.py`: the subset of Python that builds `setup()` arguments
out of literals, evaluated without running the file.

Evaluated: literals and f-strings; module-level assignments (also to `d[key]`, `+=`, tuple
unpacking), in order; `list.append/extend/insert`, `dict.update/setdefault`, `set.add`;
`if` whose test is known (`if __name__ == "__main__":`, constants), `try:` bodies, `for` over
known values; comprehensions; `+`, `|`, subscripts and slices; a whitelist of pure builtins
and `str`/`list`/`dict` methods; calls of the file's own functions (parameters bound,
`return` honoured, recursion and work bounded); `re.findall` / `re.sub` / `re.match` with a
pattern free of nested quantifiers; reads of a named text file next to `setup.py`
(`open("requirements.txt").read().splitlines()`, `Path(__file__).parent / "x"`,
`os.path.join(os.path.dirname(__file__), "x")`, `with open(p) as f: f.readlines()`).

Anything else evaluates to `Unknown`, which carries the exact expression and why: the caller
reports it as "partially inventoried" instead of guessing. Names changed under a condition
that cannot be decided (`if torch.cuda.is_available(): reqs.append(...)`) keep the value
built so far and carry a note naming that condition. Nothing here imports, executes or
opens anything but the named text files, which are read with a size limit.
"""

from __future__ import annotations

import ast
import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

MAX_STEPS = 200_000
MAX_CALL_DEPTH = 16
MAX_ITEMS = 10_000
MAX_READ_BYTES = 1024 * 1024
MAX_REGEX_INPUT = 1000


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be known without running the file."""

    node: ast.AST
    reason: str

    @property
    def line(self) -> int | None:
        return getattr(self.node, "lineno", None)

    @property
    def expression(self) -> str:
        try:
            text = ast.unparse(self.node)
        except Exception:  # unparse of a malformed tree: show the node type
            text = type(self.node).__name__
        return text if len(text) <= 120 else text[:117] + "..."


@dataclass(frozen=True)
class Condition:
    """A name changed under a test that cannot be decided statically."""

    line: int
    test: str


@dataclass(frozen=True)
class FilePath:
    parts: tuple[str, ...]  # relative to the folder of setup.py, normalised


@dataclass(frozen=True)
class FileText:
    path: FilePath
    text: str


@dataclass(frozen=True)
class _Module:
    name: str  # dotted: "os", "os.path", "pathlib.Path", "re"


@dataclass(frozen=True)
class _Function:
    node: ast.FunctionDef


@dataclass(frozen=True)
class _Bound:
    """A method looked up on a known value, waiting to be called."""

    owner: object
    name: str


@dataclass
class SetupCall:
    node: ast.Call
    keywords: dict[str, object]  # values are plain Python data, Unknown inside where dynamic
    unknown_kwargs: list[Unknown] = field(default_factory=list)  # setup(**dynamic)

    def keyword_node(self, name: str) -> ast.expr | None:
        return next((kw.value for kw in self.node.keywords if kw.arg == name), None)


@dataclass
class SetupEvaluation:
    calls: list[SetupCall] = field(default_factory=list)
    conditions: dict[str, list[Condition]] = field(default_factory=dict)  # name -> notes
    reads: list[str] = field(default_factory=list)  # files read, relative to setup.py


class _Return(Exception):
    def __init__(self, value: object) -> None:
        super().__init__()
        self.value = value


class _Budget(Exception):
    pass


_PURE_BUILTINS: dict[str, Callable[..., object]] = {
    "list": list,
    "tuple": tuple,
    "set": set,
    "frozenset": frozenset,
    "sorted": sorted,
    "dict": dict,
    "str": str,
    "len": len,
    "reversed": lambda x: list(reversed(x)),
    "enumerate": lambda x, start=0: list(enumerate(x, start)),
    "zip": lambda *xs: list(zip(*xs, strict=False)),
    "int": int,
    "bool": bool,
    "max": max,
    "min": min,
    "any": any,
    "all": all,
}
_STR_METHODS = frozenset(
    {
        "split", "splitlines", "strip", "lstrip", "rstrip", "startswith", "endswith", "replace",
        "lower", "upper", "join", "format", "partition", "rpartition", "rsplit", "removeprefix",
        "removesuffix", "find", "isspace", "isidentifier", "count",
    }
)  # fmt: skip
_DICT_METHODS = frozenset({"items", "keys", "values", "get", "copy"})
_LIST_METHODS = frozenset({"copy", "index", "count"})
_MUTATORS = frozenset({"append", "extend", "insert", "update", "setdefault", "add", "remove", "pop", "discard"})  # fmt: skip
_NESTED_QUANTIFIER = re.compile(r"\)[*+]|\)\{\d*,|\\\d")


def evaluate_setup_py(tree: ast.Module, read: Callable[[FilePath], str | None]) -> SetupEvaluation:
    """Evaluate `tree` (a parsed setup.py); `read` returns a file's text (None: unreadable)."""
    ev = _Evaluator(read)
    with contextlib.suppress(_Budget, RecursionError, _Return):
        ev.exec_block(tree.body, ev.globals)  # on a limit, whatever is bound so far stands
    # setup() calls the evaluation did not reach (inside a function, or under a condition it
    # could not decide): read with the module's names as they stand at the end
    reached = {id(call.node) for call in ev.result.calls}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _names_setup(node.func) and id(node) not in reached:
            ev.steps = min(ev.steps, MAX_STEPS // 2)
            try:
                ev.late_setup(node)
            except (_Budget, RecursionError, _Return):
                ev.result.calls.append(
                    SetupCall(node, {}, [Unknown(node, "too complex to evaluate")])
                )
    ev.result.calls.sort(key=lambda c: c.node.lineno)
    return ev.result


def _names_setup(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "setup"
    return isinstance(func, ast.Attribute) and func.attr == "setup"


class _Evaluator:
    def __init__(self, read: Callable[[FilePath], str | None]) -> None:
        self.read = read
        self.result = SetupEvaluation()
        self.globals: dict[str, object] = {
            "__name__": "__main__",
            "__file__": FilePath(("setup.py",)),
        }
        self.steps = 0
        self.depth = 0
        self.condition: Condition | None = None  # set while inside an undecidable branch

    # ------------------------------------------------------------------ statements

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _Budget

    def exec_block(self, body: list[ast.stmt], env: dict[str, object]) -> None:
        for stmt in body:
            self.exec_stmt(stmt, env)

    def exec_stmt(self, stmt: ast.stmt, env: dict[str, object]) -> None:
        self.tick()
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    env[alias.asname] = _Module(alias.name)
                else:
                    env[alias.name.split(".")[0]] = _Module(alias.name.split(".")[0])
        elif isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                env[alias.asname or alias.name] = _Module(f"{stmt.module or ''}.{alias.name}")
        elif isinstance(stmt, ast.FunctionDef):
            env[stmt.name] = _Function(stmt)
        elif isinstance(stmt, ast.Assign):
            value = self.eval(stmt.value, env)
            for target in stmt.targets:
                self.assign(target, value, env, stmt)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self.assign(stmt.target, self.eval(stmt.value, env), env, stmt)
        elif isinstance(stmt, ast.AugAssign):
            current = self.eval(stmt.target, env)
            value = self.binop(stmt.op, current, self.eval(stmt.value, env), stmt)
            self.assign(stmt.target, value, env, stmt)
        elif isinstance(stmt, ast.Expr):
            if isinstance(stmt.value, ast.Call):
                self.eval(stmt.value, env)
        elif isinstance(stmt, ast.If):
            test = self.eval(stmt.test, env)
            if isinstance(test, Unknown):
                self.undecided(stmt, stmt.body + stmt.orelse, env)
            else:
                self.exec_block(stmt.body if test else stmt.orelse, env)
        elif isinstance(stmt, ast.Try):
            self.exec_block(stmt.body, env)
            self.exec_block(stmt.orelse, env)
            self.exec_block(stmt.finalbody, env)
        elif isinstance(stmt, ast.With):
            for with_item in stmt.items:
                entered = self.eval(with_item.context_expr, env)
                if with_item.optional_vars is not None:
                    self.assign(with_item.optional_vars, entered, env, stmt)
            self.exec_block(stmt.body, env)
        elif isinstance(stmt, ast.For):
            iterable = self.eval(stmt.iter, env)
            items = self.iterate(iterable, stmt.iter)
            if isinstance(items, Unknown):
                self.undecided(stmt, stmt.body + stmt.orelse, env)
                return
            for element in items:
                self.assign(stmt.target, element, env, stmt)
                self.exec_block(stmt.body, env)
        elif isinstance(stmt, ast.Return):
            raise _Return(self.eval(stmt.value, env) if stmt.value is not None else None)
        elif isinstance(stmt, (ast.While, ast.AsyncWith, ast.AsyncFor, ast.Match)):
            self.undecided(stmt, list(getattr(stmt, "body", [])), env)
        # class definitions, pass, raise, assert, del, global: nothing setup() reads

    def undecided(self, stmt: ast.stmt, body: list[ast.stmt], env: dict[str, object]) -> None:
        """Names changed inside a branch or loop whose course cannot be known: the value built
        so far stands, with a note naming the condition."""
        test = stmt.test if isinstance(stmt, (ast.If, ast.While)) else stmt
        text = _expression(test if isinstance(test, ast.expr) else stmt)
        kind = "if" if isinstance(stmt, ast.If) else type(stmt).__name__.lower()
        if isinstance(stmt, ast.For):
            text = f"for {_expression(stmt.target)} in {_expression(stmt.iter)}"
            kind = ""
        note = Condition(stmt.lineno, f"{kind} {text}".strip())
        for name in sorted(_changed_names(body)):
            self.result.conditions.setdefault(name, []).append(note)
            if name not in env:
                env[name] = Unknown(stmt, f"bound only when `{note.test}`")

    def assign(
        self, target: ast.expr, value: object, env: dict[str, object], stmt: ast.stmt
    ) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = self.iterate(value, target)
            if isinstance(items, Unknown) or len(items) != len(target.elts):
                for element in target.elts:
                    self.assign(
                        element, Unknown(stmt, "unpacked from a value that is not known"), env, stmt
                    )
                return
            for element, item in zip(target.elts, items, strict=True):
                self.assign(element, item, env, stmt)
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value, env)
            key = self.eval(target.slice, env)
            if isinstance(container, (dict, list)) and not isinstance(key, Unknown):
                with contextlib.suppress(TypeError, IndexError, KeyError):
                    container[key] = value  # type: ignore[call-overload]
        # attribute targets (obj.x = ...) change nothing setup() reads here

    # ------------------------------------------------------------------ expressions

    def eval(self, node: ast.expr, env: dict[str, object]) -> object:
        self.tick()
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            if node.id in self.globals:
                return self.globals[node.id]
            if node.id in _PURE_BUILTINS or node.id in ("open", "print"):
                return _Module(f"builtins.{node.id}")
            return Unknown(node, f"`{node.id}` has no value known without running the file")
        if isinstance(node, ast.JoinedStr):
            parts: list[str] = []
            for value in node.values:
                part = self.eval(
                    value.value if isinstance(value, ast.FormattedValue) else value, env
                )
                if isinstance(part, Unknown):
                    return Unknown(node, part.reason)
                parts.append(str(part))
            return "".join(parts)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items: list[object] = []
            for element in node.elts:
                if isinstance(element, ast.Starred):
                    inner = self.iterate(self.eval(element.value, env), element.value)
                    if isinstance(inner, Unknown):
                        items.append(inner)
                    else:
                        items.extend(inner)
                else:
                    items.append(self.eval(element, env))
            if isinstance(node, ast.Tuple):
                return tuple(items)
            if isinstance(node, ast.Set):
                try:
                    return set(items)
                except TypeError:
                    return Unknown(node, "set of unhashable values")
            return items
        if isinstance(node, ast.Dict):
            out: dict[object, object] = {}
            for key_node, value_node in zip(node.keys, node.values, strict=True):
                if key_node is None:
                    unpacked = self.eval(value_node, env)
                    if not isinstance(unpacked, dict):
                        return Unknown(value_node, "`**` of a value that is not a known dict")
                    out.update(unpacked)
                    continue
                key = self.eval(key_node, env)
                if isinstance(key, Unknown):
                    return Unknown(key_node, key.reason)
                try:
                    out[key] = self.eval(value_node, env)
                except TypeError:
                    return Unknown(key_node, "unhashable key")
            return out
        if isinstance(node, ast.BinOp):
            return self.binop(node.op, self.eval(node.left, env), self.eval(node.right, env), node)
        if isinstance(node, ast.BoolOp):
            result: object = None
            for operand_node in node.values:
                result = self.eval(operand_node, env)
                if isinstance(result, Unknown):
                    return result
                if isinstance(node.op, ast.And) and not result:
                    return result
                if isinstance(node.op, ast.Or) and result:
                    return result
            return result
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            negated = self.eval(node.operand, env)
            return negated if isinstance(negated, Unknown) else not negated
        if isinstance(node, ast.Compare):
            return self.compare(node, env)
        if isinstance(node, ast.IfExp):
            test = self.eval(node.test, env)
            if isinstance(test, Unknown):
                return Unknown(node, f"depends on `{_expression(node.test)}`")
            return self.eval(node.body if test else node.orelse, env)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, env)
        if isinstance(node, ast.Attribute):
            return self.attribute(node, env)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            return self.comprehension(node, env)
        if isinstance(node, ast.Call):
            return self.call(node, env)
        return Unknown(node, "an expression aibom does not evaluate")

    def binop(self, op: ast.operator, left: object, right: object, node: ast.AST) -> object:
        if isinstance(left, Unknown):
            return left
        if isinstance(right, Unknown):
            return right
        try:
            if (
                isinstance(op, ast.Add)
                and type(left) is type(right)
                and isinstance(left, (list, str, tuple))
            ):
                result = left + right  # type: ignore[operator]
            elif (
                isinstance(op, ast.BitOr)
                and isinstance(left, (dict, set))
                and isinstance(right, (dict, set))
            ):
                result = left | right  # type: ignore[operator]
            elif isinstance(op, ast.Div) and isinstance(left, FilePath) and isinstance(right, str):
                result = _join(left, right, parent=False)
            elif (
                isinstance(op, (ast.Add, ast.Sub))
                and isinstance(left, int)
                and isinstance(right, int)
            ):
                result = left + right if isinstance(op, ast.Add) else left - right
            else:
                return Unknown(node, "an operation aibom does not evaluate")
        except TypeError:
            return Unknown(node, "an operation on values of the wrong type")
        if isinstance(result, (list, str, tuple)) and len(result) > MAX_ITEMS * 100:
            return Unknown(node, "a value too large to evaluate")
        return result

    def compare(self, node: ast.Compare, env: dict[str, object]) -> object:
        left = self.eval(node.left, env)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.eval(right_node, env)
            if isinstance(left, Unknown) or isinstance(right, Unknown):
                return Unknown(node, f"depends on `{_expression(node)}`")
            try:
                if isinstance(op, ast.Eq):
                    ok = left == right
                elif isinstance(op, ast.NotEq):
                    ok = left != right
                elif isinstance(op, ast.In):
                    ok = left in right  # type: ignore[operator]
                elif isinstance(op, ast.NotIn):
                    ok = left not in right  # type: ignore[operator]
                elif isinstance(op, ast.Is):
                    ok = left is right
                elif isinstance(op, ast.IsNot):
                    ok = left is not right
                else:
                    return Unknown(node, f"depends on `{_expression(node)}`")
            except TypeError:
                return Unknown(node, f"depends on `{_expression(node)}`")
            if not ok:
                return False
            left = right
        return True

    def subscript(self, node: ast.Subscript, env: dict[str, object]) -> object:
        container = self.eval(node.value, env)
        if isinstance(container, Unknown):
            return container
        if isinstance(node.slice, ast.Slice):
            bounds = [
                self.eval(b, env) if b is not None else None
                for b in (node.slice.lower, node.slice.upper, node.slice.step)
            ]
            if any(isinstance(b, Unknown) for b in bounds) or not isinstance(
                container, (list, tuple, str)
            ):
                return Unknown(node, "a slice aibom does not evaluate")
            try:
                return container[slice(*bounds)]  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return Unknown(node, "a slice of the wrong type")
        key = self.eval(node.slice, env)
        if isinstance(key, Unknown):
            return key
        try:
            return container[key]  # type: ignore[index]
        except (TypeError, KeyError, IndexError):
            return Unknown(node, f"`{_expression(node)}` has no known value")

    def attribute(self, node: ast.Attribute, env: dict[str, object]) -> object:
        owner = self.eval(node.value, env)
        if isinstance(owner, Unknown):
            return owner
        if isinstance(owner, _Module):
            return _Module(f"{owner.name}.{node.attr}")
        if isinstance(owner, FilePath) and node.attr == "parent":
            return _join(owner, "..", parent=True)
        return _Bound(owner, node.attr)

    def iterate(self, value: object, node: ast.AST) -> list[object] | Unknown:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, dict):
            return list(value)
        if isinstance(value, (list, tuple, set, frozenset, str)):
            if len(value) > MAX_ITEMS:
                return Unknown(node, "too many items to evaluate")
            return sorted(value, key=repr) if isinstance(value, (set, frozenset)) else list(value)
        if isinstance(value, FileText):
            return list(value.text.splitlines(keepends=True))
        return Unknown(node, f"`{_expression(node)}` is not a known sequence")

    def comprehension(self, node: ast.expr, env: dict[str, object]) -> object:
        assert isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp))
        local = dict(env)
        results: list[object] = []

        def run(index: int) -> Unknown | None:
            if index == len(node.generators):
                if isinstance(node, ast.DictComp):
                    results.append((self.eval(node.key, local), self.eval(node.value, local)))
                else:
                    results.append(self.eval(node.elt, local))
                return None
            gen = node.generators[index]
            items = self.iterate(self.eval(gen.iter, local), gen.iter)
            if isinstance(items, Unknown):
                return items
            for item in items:
                self.assign(gen.target, item, local, ast.Pass())
                conditions = [self.eval(c, local) for c in gen.ifs]
                if any(isinstance(c, Unknown) for c in conditions):
                    return next(c for c in conditions if isinstance(c, Unknown))
                if all(conditions):
                    failed = run(index + 1)
                    if failed is not None:
                        return failed
            return None

        failed = run(0)
        if failed is not None:
            return failed  # the innermost unknown: the expression that needs running
        if isinstance(node, ast.DictComp):
            out: dict[object, object] = {}
            for pair in results:
                assert isinstance(pair, tuple)
                key, value = pair
                if isinstance(key, Unknown):
                    return Unknown(node, key.reason)
                out[key] = value
            return out
        if isinstance(node, ast.SetComp):
            try:
                return set(results)
            except TypeError:
                return Unknown(node, "set of unhashable values")
        return results

    # ------------------------------------------------------------------ calls

    def call(self, node: ast.Call, env: dict[str, object]) -> object:
        func = self.eval(node.func, env)
        if isinstance(func, Unknown):
            return Unknown(node, "a call aibom does not evaluate")
        args: list[object] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                inner = self.iterate(self.eval(arg.value, env), arg.value)
                if isinstance(inner, Unknown):
                    return Unknown(node, inner.reason)
                args.extend(inner)
            else:
                args.append(self.eval(arg, env))
        kwargs: dict[str, object] = {}
        for kw in node.keywords:
            value = self.eval(kw.value, env)
            if kw.arg is None:
                if not isinstance(value, dict):
                    if _is_setup(func):
                        kwargs["**"] = _origin(value, kw.value)
                        continue
                    return Unknown(node, "`**` of a value that is not known")
                kwargs.update({str(k): v for k, v in value.items()})
            else:
                kwargs[kw.arg] = value
        if _is_setup(func):
            self.record_setup(node, kwargs)
            return None
        if isinstance(func, _Function):
            return self.call_function(func.node, args, kwargs, node)
        if isinstance(func, _Module):
            return self.call_module(func.name, args, kwargs, node)
        if isinstance(func, _Bound):
            return self.call_method(func, args, kwargs, node, env)
        return Unknown(node, "a call aibom does not evaluate")

    def late_setup(self, node: ast.Call) -> None:
        kwargs: dict[str, object] = {}
        for kw in node.keywords:
            value = self.eval(kw.value, self.globals)
            if kw.arg is not None:
                kwargs[kw.arg] = value
            elif isinstance(value, dict):
                kwargs.update({str(k): v for k, v in value.items()})
            else:
                kwargs["**"] = _origin(value, kw.value)
        self.record_setup(node, kwargs)

    def record_setup(self, node: ast.Call, kwargs: dict[str, object]) -> None:
        unknown = kwargs.pop("**", None)
        call = SetupCall(node, kwargs)
        if isinstance(unknown, Unknown):
            call.unknown_kwargs.append(unknown)
        self.result.calls.append(call)

    def call_function(
        self, fn: ast.FunctionDef, args: list[object], kwargs: dict[str, object], node: ast.Call
    ) -> object:
        if self.depth >= MAX_CALL_DEPTH:
            return Unknown(node, "calls nested too deeply to evaluate")
        local: dict[str, object] = {}
        params = fn.args
        positional = [*params.posonlyargs, *params.args]
        defaults = dict(
            zip(
                [p.arg for p in positional][len(positional) - len(params.defaults) :],
                params.defaults,
                strict=True,
            )
        )
        for i, param in enumerate(positional):
            if i < len(args):
                local[param.arg] = args[i]
            elif param.arg in kwargs:
                local[param.arg] = kwargs.pop(param.arg)
            elif param.arg in defaults:
                local[param.arg] = self.eval(defaults[param.arg], self.globals)
            else:
                return Unknown(node, f"missing argument {param.arg!r}")
        if params.vararg is not None:
            local[params.vararg.arg] = tuple(args[len(positional) :])
        elif len(args) > len(positional):
            return Unknown(node, "too many arguments")
        for param, default in zip(params.kwonlyargs, params.kw_defaults, strict=True):
            if param.arg in kwargs:
                local[param.arg] = kwargs.pop(param.arg)
            elif default is not None:
                local[param.arg] = self.eval(default, self.globals)
        if params.kwarg is not None:
            local[params.kwarg.arg] = kwargs
        chain = _Chain(local, self.globals)
        self.depth += 1
        try:
            self.exec_block(fn.body, chain)
        except _Return as ret:
            return ret.value
        finally:
            self.depth -= 1
        return None

    def call_module(
        self, name: str, args: list[object], kwargs: dict[str, object], node: ast.Call
    ) -> object:
        if any(isinstance(a, Unknown) for a in [*args, *kwargs.values()]):
            return next(a for a in [*args, *kwargs.values()] if isinstance(a, Unknown))
        short = name.removeprefix("builtins.")
        if name.startswith("builtins.") and short in _PURE_BUILTINS:
            try:
                return _PURE_BUILTINS[short](*args, **kwargs)
            except (TypeError, ValueError):
                return Unknown(node, f"`{_expression(node)}` fails")
        if name in ("builtins.open", "io.open", "codecs.open"):
            mode = args[1] if len(args) > 1 else kwargs.get("mode", "r")
            return self.open(args[0] if args else kwargs.get("file"), mode, node)
        if name in ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath") and len(args) == 1:
            return self.path(args[0], node)
        if name in ("os.path.dirname",) and len(args) == 1 and isinstance(args[0], FilePath):
            return _join(args[0], "..", parent=True)
        if name in ("os.path.abspath", "os.path.realpath", "os.path.normpath") and len(args) == 1:
            return self.path(args[0], node)
        if name == "os.path.join" and args:
            base = self.path(args[0], node)
            for part in args[1:]:
                if not isinstance(base, FilePath) or not isinstance(part, str):
                    return Unknown(node, "a path aibom does not evaluate")
                base = _join(base, part, parent=False)
            return base
        if name in ("os.path.exists", "os.path.isfile"):
            path = self.path(args[0], node) if args else None
            return isinstance(path, FilePath) and self.read(path) is not None
        if name in ("re.findall", "re.sub", "re.match", "re.split", "re.fullmatch", "re.search"):
            return self.regex(name, args, node)
        return Unknown(node, "a call aibom does not evaluate")

    def call_method(
        self,
        bound: _Bound,
        args: list[object],
        kwargs: dict[str, object],
        node: ast.Call,
        env: dict[str, object],
    ) -> object:
        owner, name = bound.owner, bound.name
        if any(isinstance(a, Unknown) for a in args):
            if name in _MUTATORS and isinstance(node.func, ast.Attribute):
                self.mark(node.func.value, node, env)
            return next(a for a in args if isinstance(a, Unknown))
        try:
            if isinstance(owner, str) and name in _STR_METHODS:
                if name == "format" and any(isinstance(v, Unknown) for v in kwargs.values()):
                    return Unknown(node, "format of unknown values")
                return getattr(owner, name)(*args, **kwargs)
            if isinstance(owner, dict) and (name in _DICT_METHODS or name in _MUTATORS):
                result = getattr(owner, name)(*args, **kwargs)
                return list(result) if name in ("items", "keys", "values") else result
            if isinstance(owner, list) and (name in _LIST_METHODS or name in _MUTATORS):
                return getattr(owner, name)(*args, **kwargs)
            if isinstance(owner, set) and name in _MUTATORS | {"union", "copy"}:
                return getattr(owner, name)(*args, **kwargs)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError):
            return Unknown(node, f"`{_expression(node)}` fails")
        if isinstance(owner, FileText):
            if name == "read":
                return owner.text
            if name == "readlines":
                return owner.text.splitlines(keepends=True)
            if name in ("__enter__",):
                return owner
        if isinstance(owner, FilePath):
            if name in ("read_text", "open"):
                opened = self.open(owner, "r", node)
                return (
                    opened.text if name == "read_text" and isinstance(opened, FileText) else opened
                )
            if name in ("resolve", "absolute"):
                return owner
            if name == "joinpath" and all(isinstance(a, str) for a in args):
                joined: FilePath | Unknown = owner
                for part in args:
                    if isinstance(joined, FilePath):
                        joined = _join(joined, str(part), parent=False)
                return joined
        if name in _MUTATORS and isinstance(node.func, ast.Attribute):
            self.mark(node.func.value, node, env)
        return Unknown(node, "a call aibom does not evaluate")

    def mark(self, target: ast.expr, node: ast.AST, env: dict[str, object]) -> None:
        """A name changed by something not evaluated: note it so the value is not final."""
        if isinstance(target, ast.Name):
            self.result.conditions.setdefault(target.id, []).append(
                Condition(getattr(node, "lineno", 0), _expression(node))
            )

    def open(self, path: object, mode: object, node: ast.AST) -> object:
        if not isinstance(mode, str) or any(c in mode for c in "wax+b"):
            return Unknown(node, "a file opened for writing or as bytes")
        resolved = self.path(path, node)
        if not isinstance(resolved, FilePath):
            return resolved
        text = self.read(resolved)
        if text is None:
            return Unknown(
                node,
                f"reads {'/'.join(resolved.parts)}, which is not a readable file next to setup.py",
            )
        rel = "/".join(resolved.parts)
        if rel not in self.result.reads:
            self.result.reads.append(rel)
        return FileText(resolved, text)

    def path(self, value: object, node: ast.AST) -> FilePath | Unknown:
        if isinstance(value, FilePath):
            return value
        if isinstance(value, str):
            if value.startswith("/") or "\\" in value or "\x00" in value:
                return Unknown(node, "an absolute or unusual path")
            return _join(FilePath(()), value, parent=False)
        if isinstance(value, FileText):
            return value.path
        return Unknown(node, "a path that is not known")

    def regex(self, name: str, args: list[object], node: ast.AST) -> object:
        if len(args) < 2 or not all(isinstance(a, str) for a in args[:3]):
            return Unknown(node, "a regular expression call aibom does not evaluate")
        pattern = str(args[0])
        subject = str(args[-1])
        if (
            _NESTED_QUANTIFIER.search(re.sub(r"\[[^\]]*\]", "", pattern))
            or len(subject) > MAX_REGEX_INPUT
        ):
            return Unknown(node, "a regular expression aibom does not run (nested repetition)")
        try:
            compiled = re.compile(pattern)
        except re.error:
            return Unknown(node, "an invalid regular expression")
        if name == "re.findall":
            return compiled.findall(subject)
        if name == "re.split":
            return compiled.split(subject)
        if name == "re.sub" and len(args) == 3 and isinstance(args[1], str):
            return compiled.sub(
                args[1].replace("\\", "\\\\") if "\\g" not in args[1] else args[1], subject
            )
        return Unknown(node, "a regular expression match object")


class _Chain(dict[str, object]):
    """Locals of a function call, falling back to the module's globals for reads."""

    def __init__(self, local: dict[str, object], outer: dict[str, object]) -> None:
        super().__init__(local)
        self.outer = outer

    def __missing__(self, key: str) -> object:
        return self.outer[key]

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self.outer


def _join(base: FilePath, part: str, *, parent: bool) -> FilePath:
    if parent:
        parts = base.parts[:-1] if base.parts else ("..",)
        return FilePath(parts)
    combined = PurePosixPath(*base.parts, part) if base.parts else PurePosixPath(part)
    out: list[str] = []
    for piece in combined.parts:
        if piece in ("", "."):
            continue
        if piece == "..":
            if out and out[-1] != "..":
                out.pop()
            else:
                out.append("..")
            continue
        out.append(piece)
    return FilePath(tuple(out))


def _is_setup(func: object) -> bool:
    return isinstance(func, _Module) and func.name.rsplit(".", 1)[-1] == "setup"


def _origin(value: object, node: ast.expr) -> Unknown:
    """The unknown a `**value` comes from (the expression that built it), or one for `node`."""
    return value if isinstance(value, Unknown) else Unknown(node, "not a dict")


def _expression(node: ast.AST) -> str:
    return Unknown(node, "").expression


def _changed_names(body: list[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    base = target
                    while isinstance(base, (ast.Subscript, ast.Attribute)):
                        base = base.value
                    for name in ast.walk(base):
                        if isinstance(name, ast.Name):
                            names.add(name.id)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _MUTATORS
                and isinstance(node.func.value, ast.Name)
            ):
                names.add(node.func.value.id)
    return names
