"""The Python files a model folder ships: what `trust_remote_code=True` would import and run.

Read with `ast`, never imported. Every call is resolved through the file's imports
(`import subprocess as sp` -> `sp.run` is `subprocess.run`; `getattr(os, "system")` is
`os.system`) and judged against a small table of behaviours no modelling code needs: running
commands, evaluating strings, importing modules named at run time, opening network
connections, touching files outside the model folder, deleting trees, unpickling, loading
native code.

Where a call sits decides how sure we are that it runs when the model is loaded:
- load time: module level (including decorators, default values and base classes), class
  bodies, constructors (`__init__`, `__new__`, `post_init`, `from_pretrained`, ... see
  `CONSTRUCTION`), and every function those call by name (`helper()`, `self.method()`,
  `Class.method()`), transitively: issue kind `remote-code:<what>`;
- elsewhere (a method that runs only if something calls it): `remote-code-later:<what>`.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from dataclasses import dataclass, field

from ..model import ArtifactIssue, Location, ScanError

MAX_SOURCE = 5 * 1024 * 1024
MAX_SNIPPET = 160

# methods that run when a model, config or tokenizer is constructed or loaded
CONSTRUCTION = frozenset(
    {
        "__init__",
        "__new__",
        "__post_init__",
        "__init_subclass__",
        "__set_name__",
        "__class_getitem__",
        "post_init",
        "from_pretrained",
        "from_config",
        "_from_config",
        "_init_weights",
        "init_weights",
        "_initialize_weights",
        "tie_weights",
        "_load_pretrained_model",
        "register_for_auto_class",
    }
)

WHAT_TEXT = {
    "command": "runs a command",
    "eval": "evaluates a string as code",
    "dynamic-import": "imports a module chosen at run time",
    "code-loading": "loads Python code from a file",
    "network": "opens a network connection",
    "file-outside": "touches a file outside the model folder",
    "delete": "deletes a folder tree",
    "deserialize": "deserialises pickle or marshal data",
    "native-code": "loads native code",
    "package-install": "installs packages",
    "dynamic-attribute": "looks up a function of a system module by a computed name",
}
# modules whose functions must not be picked by a computed name (getattr(os, name))
SYSTEM_MODULES = frozenset(
    {"os", "posix", "nt", "subprocess", "builtins", "sys", "socket", "ctypes", "pickle"}
    | {"marshal", "importlib", "shutil", "pty", "runpy"}
)

# fully qualified callable -> behaviour; a key ending in ".*" covers the whole module
CALLS: dict[str, str] = {
    "os.system": "command",
    "os.popen": "command",
    "os.execl": "command",
    "os.execle": "command",
    "os.execlp": "command",
    "os.execlpe": "command",
    "os.execv": "command",
    "os.execve": "command",
    "os.execvp": "command",
    "os.execvpe": "command",
    "os.spawnl": "command",
    "os.spawnle": "command",
    "os.spawnlp": "command",
    "os.spawnv": "command",
    "os.spawnve": "command",
    "os.spawnvp": "command",
    "os.posix_spawn": "command",
    "os.posix_spawnp": "command",
    "os.startfile": "command",
    "posix.system": "command",
    "nt.system": "command",
    "subprocess.*": "command",
    "pty.spawn": "command",
    "commands.getoutput": "command",
    "asyncio.create_subprocess_exec": "command",
    "asyncio.create_subprocess_shell": "command",
    "pip.main": "package-install",
    "pip._internal.main": "package-install",
    "pip._internal.cli.main.main": "package-install",
    "builtins.eval": "eval",
    "builtins.exec": "eval",
    "builtins.compile": "eval",
    "code.interact": "eval",
    "runpy.run_path": "code-loading",
    "runpy.run_module": "code-loading",
    "importlib.util.spec_from_file_location": "code-loading",
    "importlib.machinery.SourceFileLoader": "code-loading",
    "imp.load_source": "code-loading",
    "socket.*": "network",
    "urllib.request.urlopen": "network",
    "urllib.request.urlretrieve": "network",
    "urllib.request.Request": "network",
    "urllib.request.build_opener": "network",
    "urllib.urlopen": "network",
    "urllib2.urlopen": "network",
    "requests.*": "network",
    "httpx.*": "network",
    "aiohttp.*": "network",
    "http.client.HTTPConnection": "network",
    "http.client.HTTPSConnection": "network",
    "ftplib.FTP": "network",
    "smtplib.SMTP": "network",
    "smtplib.SMTP_SSL": "network",
    "telnetlib.Telnet": "network",
    "paramiko.*": "network",
    "websocket.*": "network",
    "shutil.rmtree": "delete",
    "pickle.load": "deserialize",
    "pickle.loads": "deserialize",
    "pickle.Unpickler": "deserialize",
    "_pickle.load": "deserialize",
    "_pickle.loads": "deserialize",
    "cPickle.load": "deserialize",
    "cPickle.loads": "deserialize",
    "dill.load": "deserialize",
    "dill.loads": "deserialize",
    "cloudpickle.load": "deserialize",
    "cloudpickle.loads": "deserialize",
    "joblib.load": "deserialize",
    "marshal.load": "deserialize",
    "marshal.loads": "deserialize",
    "shelve.open": "deserialize",
    "ctypes.CDLL": "native-code",
    "ctypes.PyDLL": "native-code",
    "ctypes.WinDLL": "native-code",
    "ctypes.OleDLL": "native-code",
    "ctypes.cdll.LoadLibrary": "native-code",
    "ctypes.windll.LoadLibrary": "native-code",
    "ctypes.pydll.LoadLibrary": "native-code",
    "ctypes.util.find_library": "native-code",
    "cffi.FFI": "native-code",
}
# functions that are dangerous when handed to another call to run later
PASSABLE: dict[str, str] = {
    **{k: v for k, v in CALLS.items() if not k.endswith(".*") and v != "network"},
    **{
        f"subprocess.{n}": "command"
        for n in ("run", "call", "Popen", "check_call", "check_output", "getoutput")
    },
}
DYNAMIC_IMPORTS = frozenset(
    {"builtins.__import__", "importlib.import_module", "importlib.__import__"}
)
PATH_CALLS = frozenset(
    {
        "builtins.open",
        "io.open",
        "os.open",
        "codecs.open",
        "os.remove",
        "os.unlink",
        "os.rmdir",
        "os.removedirs",
        "os.rename",
        "os.replace",
        "os.chmod",
        "os.chown",
        "os.symlink",
        "os.link",
        "os.listdir",
        "os.scandir",
        "os.walk",
        "os.makedirs",
        "os.mkdir",
        "shutil.copy",
        "shutil.copy2",
        "shutil.copyfile",
        "shutil.copytree",
        "shutil.move",
        "glob.glob",
        "glob.iglob",
    }
)
PATH_METHODS = frozenset(
    {
        "open",
        "read_text",
        "read_bytes",
        "write_text",
        "write_bytes",
        "unlink",
        "rmdir",
        "touch",
        "mkdir",
        "chmod",
        "rename",
        "replace",
        "symlink_to",
        "iterdir",
        "glob",
        "rglob",
    }
)
DECODERS = (
    "b64decode",
    "b32decode",
    "b16decode",
    "a85decode",
    "b85decode",
    "decodebytes",
    "decompress",
    "fromhex",
    "unhexlify",
    "codecs.decode",
)
BUILTIN_NAMES = frozenset({"eval", "exec", "compile", "open", "__import__", "getattr"})


@dataclass
class _Scope:
    qualname: str
    kind: str  # "module", "class", "function", "script" (the __main__ block)
    class_name: str | None = None  # enclosing class of a method (or the class itself)
    calls: list[ast.Call] = field(default_factory=list)
    children: dict[str, str] = field(default_factory=dict)  # local def name -> qualname
    edges: set[str] = field(default_factory=set)


@dataclass
class RemoteCodeResult:
    issues: list[ArtifactIssue] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)  # top-level modules imported
    incomplete: list[str] = field(default_factory=list)
    # (sibling module, function or Class.method) this file calls when the model is loaded,
    # through a relative import (`from .helpers import setup`; `setup()` in `__init__`)
    load_calls: set[tuple[str, str]] = field(default_factory=set)
    relative_modules: set[str] = field(default_factory=set)  # `from .x import`, `from . import x`


def analyze_source(
    source: bytes,
    rel: str,
    extra_roots: frozenset[str] = frozenset(),
    imported: bool = True,
) -> RemoteCodeResult:
    """Issues found in one Python file shipped with a model (`rel` is its scan path).
    `extra_roots`: functions (`name` or `Class.method`) other files of the folder call at
    load time, so they run at load time too. `imported=False`: no `auto_map` leads to this
    file, so loading the model does not import it and nothing in it runs at load time."""
    result = RemoteCodeResult()
    if len(source) > MAX_SOURCE:
        reason = f"Python file larger than {MAX_SOURCE} bytes: not analysed"
        result.errors.append(ScanError(Location(rel), reason))
        result.incomplete.append(f"{rel}: {reason}")
        return result
    try:
        tree = ast.parse(source, filename=rel)
    except SyntaxError as exc:
        reason = f"Python syntax error: {exc.msg}"
        result.errors.append(ScanError(Location(rel, exc.lineno), reason))
        result.incomplete.append(f"{rel}: {reason}")
        return result
    except (ValueError, RecursionError, MemoryError) as exc:
        reason = f"cannot parse Python: {type(exc).__name__}: {exc}"
        result.errors.append(ScanError(Location(rel), reason))
        result.incomplete.append(f"{rel}: {reason}")
        return result
    try:
        _Analysis(tree, source, rel, result, extra_roots, imported).run()
        result.issues.sort(key=lambda i: (i.location.line or 0, i.kind))
    except RecursionError:
        reason = "Python file nested too deeply to analyse"
        result.errors.append(ScanError(Location(rel), reason))
        result.incomplete.append(f"{rel}: {reason}")
    return result


class _Analysis:
    def __init__(
        self,
        tree: ast.Module,
        source: bytes,
        rel: str,
        result: RemoteCodeResult,
        extra_roots: frozenset[str] = frozenset(),
        imported: bool = True,
    ):
        self.extra_roots = extra_roots
        self.imported = imported
        self.relative: dict[str, tuple[str, str | None]] = {}  # name -> (module, attribute)
        self.tree = tree
        self.text = source.decode("utf-8", "replace")
        self.rel = rel
        self.result = result
        self.aliases: dict[str, str] = {}
        self.defined: set[str] = set()  # module-level names that shadow builtins
        self.scopes: dict[str, _Scope] = {}
        self.variants: dict[str, list[str]] = {}  # qualname -> every definition of it
        self.classes: set[str] = set()

    def run(self) -> None:
        self._collect_imports()
        module = _Scope("<module>", "module")
        self.scopes[module.qualname] = module
        self._visit_body(self.tree.body, module)
        reachable = self._reachable()
        for scope in self.scopes.values():
            at_load = scope.qualname in reachable
            for call in scope.calls:
                self._judge(call, scope, at_load)
                if at_load:
                    self._note_sibling_call(call)

    def _note_sibling_call(self, call: ast.Call) -> None:
        func = call.func
        if isinstance(func, ast.Name) and func.id in self.relative:
            module, attr = self.relative[func.id]
            if attr is not None:
                self.result.load_calls.add((module, attr))
                self.result.load_calls.add((module, f"{attr}.__init__"))
        elif (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in self.relative
        ):
            module, attr = self.relative[func.value.id]
            if attr is None:  # `from . import helpers`; helpers.setup()
                self.result.load_calls.add((module, func.attr))
                self.result.load_calls.add((module, f"{func.attr}.__init__"))
            else:  # `from .helpers import Setup`; Setup.run()
                self.result.load_calls.add((module, f"{attr}.{func.attr}"))

    # --- names ----------------------------------------------------------------------
    def _collect_imports(self) -> None:
        modules: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    modules.add(alias.name.split(".")[0])
                    if alias.asname:
                        self.aliases[alias.asname] = alias.name
                    else:
                        root = alias.name.split(".")[0]
                        self.aliases.setdefault(root, root)
            elif isinstance(node, ast.ImportFrom):
                if node.level == 1:
                    for alias in node.names:
                        if node.module:
                            self.relative[alias.asname or alias.name] = (node.module, alias.name)
                            self.result.relative_modules.add(node.module)
                        else:
                            self.relative[alias.asname or alias.name] = (alias.name, None)
                            self.result.relative_modules.add(alias.name)
                if node.level or not node.module:
                    continue
                modules.add(node.module.split(".")[0])
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        for node in self.tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.defined.add(node.name)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.defined.add(target.id)
        self.result.imports = sorted(modules)
        # `run = subprocess.run` / `o = os`: a plain name bound to a callable or module we
        # judge becomes an alias too (file-wide, like the imports)
        for node in ast.walk(self.tree):
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Name | ast.Attribute | ast.Call)
            ):
                bound = self.resolve(node.value)
                if bound and self._judged(bound):
                    self.aliases[node.targets[0].id] = bound

    @staticmethod
    def _judged(name: str) -> bool:
        root = name.split(".", 1)[0]
        return (
            name in CALLS
            or f"{root}.*" in CALLS
            or name in DYNAMIC_IMPORTS
            or name in PATH_CALLS
            or root in SYSTEM_MODULES
        )

    def resolve(self, node: ast.expr) -> str | None:
        """The dotted name a callable expression refers to, through imports."""
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            if node.id in BUILTIN_NAMES and node.id not in self.defined:
                return f"builtins.{node.id}"
            return node.id
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Call):
            func = self.resolve(node.func)
            if func == "builtins.getattr" and len(node.args) >= 2:
                base = self.resolve(node.args[0])
                attr = node.args[1]
                if base and isinstance(attr, ast.Constant) and isinstance(attr.value, str):
                    return f"{base}.{attr.value}"
            if func in DYNAMIC_IMPORTS and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    return first.value
        return None

    # --- scopes ---------------------------------------------------------------------
    def _new_qualname(self, base: str) -> str:
        """A name defined twice (`try: def f(): ... except: def f(): ...`) keeps both
        bodies: a call to it may reach either."""
        variants = self.variants.setdefault(base, [])
        qualname = base if not variants else f"{base}#{len(variants) + 1}"
        variants.append(qualname)
        return qualname

    def _visit_body(self, stmts: list[ast.stmt], scope: _Scope) -> None:
        for stmt in stmts:
            self._visit(stmt, scope)

    def _visit(self, node: ast.AST, scope: _Scope) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for expr in [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]:
                if expr is not None:
                    self._visit(expr, scope)
            prefix = "" if scope.kind == "module" else f"{scope.qualname}."
            qualname = self._new_qualname(f"{prefix}{node.name}")
            class_name = scope.qualname if scope.kind == "class" else None
            child = _Scope(qualname, "function", class_name)
            self.scopes[qualname] = child
            scope.children[node.name] = f"{prefix}{node.name}"  # every variant, via variants
            if class_name is not None and node.name in CONSTRUCTION:
                child.edges.add("<root>")
            self._visit_body(node.body, child)
            return
        if isinstance(node, ast.ClassDef):
            for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
                self._visit(expr, scope)
            prefix = "" if scope.kind == "module" else f"{scope.qualname}."
            qualname = self._new_qualname(f"{prefix}{node.name}")
            child = _Scope(qualname, "class", qualname)
            self.scopes[qualname] = child
            self.classes.add(qualname)
            scope.edges.add(qualname)  # a class body runs when its definition does
            scope.children[node.name] = f"{prefix}{node.name}"
            self._visit_body(node.body, child)
            return
        if scope.kind == "module" and isinstance(node, ast.If) and _is_main_guard(node.test):
            # `if __name__ == "__main__":` runs only when the file is executed as a script
            main = self.scopes.setdefault("<main>", _Scope("<main>", "script"))
            self._visit_body(node.body, main)
            self._visit_body(node.orelse, scope)
            return
        if isinstance(node, ast.Call):
            scope.calls.append(node)
        for child_node in ast.iter_child_nodes(node):
            self._visit(child_node, scope)

    def _callee(self, call: ast.Call, scope: _Scope) -> str | None:
        """The scope a call enters, when it is a function or method of this file."""
        func = call.func
        if isinstance(func, ast.Name):
            walk: _Scope | None = scope
            while walk is not None:
                if func.id in walk.children:
                    return walk.children[func.id]
                parent = walk.qualname.rsplit(".", 1)[0] if "." in walk.qualname else None
                walk = self.scopes.get(parent) if parent else None
            module = self.scopes["<module>"]
            return module.children.get(func.id)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner = func.value.id
            if owner in {"self", "cls"} and scope.class_name:
                return f"{scope.class_name}.{func.attr}"
            if owner in self.scopes["<module>"].children:
                return f"{self.scopes['<module>'].children[owner]}.{func.attr}"
        return None

    def _reachable(self) -> set[str]:
        roots = ["<module>"] + [
            q
            for q, s in self.scopes.items()
            if "<root>" in s.edges or re.sub(r"#\d+", "", q) in self.extra_roots
        ]
        seen: set[str] = set()
        queue = deque(roots)
        while queue:
            name = queue.popleft()
            if name in seen or name not in self.scopes:
                continue
            seen.add(name)
            scope = self.scopes[name]
            queue.extend(e for e in scope.edges if e != "<root>")
            for call in scope.calls:
                callee = self._callee(call, scope)
                if callee is not None:
                    for variant in self.variants.get(callee, []):
                        queue.append(variant)
                        if self.scopes[variant].kind == "class":
                            queue.extend(self.variants.get(f"{variant}.__init__", []))
        return seen

    # --- judging --------------------------------------------------------------------
    def _passed_callable(self, call: ast.Call) -> tuple[str, str] | None:
        """A dangerous function handed to another call (`atexit.register(os.system, cmd)`,
        `Thread(target=os.system)`, `map(eval, ...)`): (behaviour, its name)."""
        for value in [*call.args, *(k.value for k in call.keywords)]:
            if isinstance(value, ast.Name | ast.Attribute):
                name = self.resolve(value)
                if name is not None and name in PASSABLE:
                    return PASSABLE[name], name
        return None

    def _judge(self, call: ast.Call, scope: _Scope, at_load: bool) -> None:
        name = self.resolve(call.func)
        what: str | None = None
        extra = ""
        passed = self._passed_callable(call)
        if passed is not None:
            what, extra = passed[0], f" (hands over {passed[1]})"
        if name is not None and what is None:
            what = CALLS.get(name)
            if what is None and "." in name:
                what = CALLS.get(name.split(".", 1)[0] + ".*")
                if what is None and name.count(".") > 1:
                    what = CALLS.get(".".join(name.split(".")[:2]) + ".*")
            if what == "eval" and call.args and self._has_decoder(call.args[0]):
                extra = " (of decoded data)"
            if (
                name in DYNAMIC_IMPORTS
                and not self._literal_first_arg(call)
                and not _relative_to_literal_package(call)
            ):
                what = "dynamic-import"
            if name == "torch.load" and self._weights_only_false(call):
                what = "deserialize"
                extra = " (weights_only=False)"
            if what is None and name in PATH_CALLS and self._outside_path(call):
                what = "file-outside"
            if name == "builtins.getattr" and len(call.args) >= 2:
                target = self.resolve(call.args[0])
                attr = call.args[1]
                literal = isinstance(attr, ast.Constant) and isinstance(attr.value, str)
                if target in SYSTEM_MODULES and not literal:
                    what = "dynamic-attribute"
        func = call.func
        if (
            what is None
            and isinstance(func, ast.Attribute)
            and func.attr in PATH_METHODS
            and isinstance(func.value, ast.Call)
        ):
            inner = self.resolve(func.value.func)
            if inner in {"pathlib.Path", "pathlib.PosixPath", "Path"} and self._outside_path(
                func.value
            ):
                what = "file-outside"
        if what is None:
            return
        where = _where(scope)
        if not self.imported:
            at_load = False
            where += ", in a file no auto_map imports"
        snippet = self._snippet(call)
        kind = f"remote-code:{what}" if at_load else f"remote-code-later:{what}"
        self.result.issues.append(
            ArtifactIssue(
                kind,
                f"{snippet}{extra}",
                Location(self.rel, call.lineno),
                (
                    ("what", WHAT_TEXT[what]),
                    ("where", where),
                    ("detail", f"{snippet}{extra}"),
                ),
            )
        )

    def _snippet(self, call: ast.Call) -> str:
        text = ast.get_source_segment(self.text, call) or ast.unparse(call)
        text = " ".join(text.split())
        return text if len(text) <= MAX_SNIPPET else text[: MAX_SNIPPET - 1] + "…"

    def _has_decoder(self, node: ast.expr) -> bool:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                name = self.resolve(sub.func) or ""
                if name.endswith(DECODERS):
                    return True
        return False

    @staticmethod
    def _literal_first_arg(call: ast.Call) -> bool:
        return bool(call.args) and (
            isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
        )

    @staticmethod
    def _weights_only_false(call: ast.Call) -> bool:
        for keyword in call.keywords:
            if keyword.arg == "weights_only":
                return isinstance(keyword.value, ast.Constant) and keyword.value.value is False
        return False

    def _outside_path(self, call: ast.Call) -> bool:
        candidates = list(call.args[:2]) + [
            k.value for k in call.keywords if k.arg in {"file", "path", "src", "dst", "name"}
        ]
        return any(_leaves_folder(self._literal_path(node)) for node in candidates)

    def _literal_path(self, node: ast.expr) -> str | None:
        """The literal start of a path expression, when it has one."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
            value = node.value
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        if isinstance(node, ast.JoinedStr):
            parts = [
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            ]
            first = node.values[0] if node.values else None
            if isinstance(first, ast.Constant):
                return "".join(parts)
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.Add):
            return self._literal_path(node.left)
        if isinstance(node, ast.Call) and node.args:
            name = self.resolve(node.func)
            if name in {
                "os.path.join",
                "os.path.expanduser",
                "os.path.abspath",
                "pathlib.Path",
                "Path",
                "os.path.realpath",
            }:
                return self._literal_path(node.args[0])
        return None


def _relative_to_literal_package(call: ast.Call) -> bool:
    """`import_module(f".{name}", "pkg.models")`: a submodule of a fixed package."""
    if len(call.args) < 2:
        return False
    name, package = call.args[0], call.args[1]
    if not (isinstance(package, ast.Constant) and isinstance(package.value, str)):
        return False
    first = name.values[0] if isinstance(name, ast.JoinedStr) and name.values else name
    return (
        isinstance(first, ast.Constant)
        and isinstance(first.value, str)
        and first.value.startswith(".")
        and not first.value.startswith("..")
    )


def _leaves_folder(path: str | None) -> bool:
    if not path:
        return False
    text = path.replace("\\", "/")
    if text.startswith(("/", "~")) or (len(text) > 1 and text[1] == ":"):
        return True
    parts = text.split("/")
    depth = 0
    for part in parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in {"", "."}:
            depth += 1
    return False


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _where(scope: _Scope) -> str:
    name = re.sub(r"#\d+", "", scope.qualname)
    if scope.kind == "script":
        return "the __main__ block"
    if scope.kind == "module":
        return "module level"
    if scope.kind == "class":
        return f"class {name} body"
    return f"{name}()"
