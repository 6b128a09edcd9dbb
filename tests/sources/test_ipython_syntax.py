"""IPython cell syntax turned into Python: each case is a minimal cell written for this test,
in the shapes seen in Colab/Jupyter tutorials."""

from __future__ import annotations

import ast
import json
import sys

import pytest

from aibom.sources.code_refs import analyse_notebook
from aibom.sources.ipython_syntax import ShellCommand, transform_cell

CASES = [
    # (cell, expected Python)
    ("!pip install x\nimport torch\n", "pass\nimport torch\n"),
    # a shell command continued with `\` over indented lines: one command, lines kept
    (
        "!python train.py --a 1 \\\n        --b 2 \\\n        --c 3\nimport torch\n",
        "pass\n\n\nimport torch\n",
    ),
    ("%pip install -q a \\\n    b\nx = 1\n", "pass\n\nx = 1\n"),
    ("%%capture\n!pip install a\nimport torch\n", "\npass\nimport torch\n"),
    ("%env HF_HOME=/tmp/hf\nimport os\n", "pass\nimport os\n"),
    ("import sys\n!{sys.executable} -m pip install torch\n", "import sys\npass\n"),
    ("files = !ls data\nprint(files)\n", "files = None\nprint(files)\n"),
    ("home = %env HOME\n", "home = None\n"),
    ("model.generate?\n", "pass\n"),
    ("torch.load??\n", "pass\n"),
    ("?torch.load\n", "pass\n"),
    ("%time m = load('a.pt')\n", "m = load('a.pt')\n"),
    ("%timeit f(x)\n", "f(x)\n"),
    ("for i in a:\n    !echo $i\n", "for i in a:\n    pass\n"),
    ("pip install diffusers torch\nimport torch\n", "pass\nimport torch\n"),
    ("cd ../data\n", "pass\n"),
    (">>> import torch\n>>> torch.load('a')\n", "import torch\ntorch.load('a')\n"),
    ("In [1]: x = 1\n", "x = 1\n"),
    ("  x = 1\n  y = 2\n", "x = 1\ny = 2\n"),
    # plain Python that looks like IPython syntax is left alone
    ("a != b\nx = y % z\ns = '!not a command'\n", "a != b\nx = y % z\ns = '!not a command'\n"),
    ('doc = """\n!not a command\n%nor this\n"""\n', 'doc = """\n!not a command\n%nor this\n"""\n'),
    ("config = {\n    'a': 1,\n}\n", "config = {\n    'a': 1,\n}\n"),
    ("pip = 3\nenv(x)\nls -la\n", "pip = 3\nenv(x)\nls -la\n"),
]


@pytest.mark.parametrize(("cell", "expected"), CASES)
def test_transform_cell(cell: str, expected: str) -> None:
    code = transform_cell(cell)
    assert code.python == expected
    ast.parse(code.python)  # the point of it all
    assert code.python.count("\n") == cell.count("\n")  # line numbers kept


@pytest.mark.parametrize(("cell", "expected"), CASES)
def test_agrees_with_ipython_on_what_parses(cell: str, expected: str) -> None:
    """Where IPython's own transformer is installed, it must also produce parseable Python for
    every case (automagic lines are IPython's run-time prefilter, not its transformer)."""
    limit = sys.getrecursionlimit()
    try:
        module = pytest.importorskip("IPython.core.inputtransformer2")
    finally:
        sys.setrecursionlimit(limit)  # importing IPython raises it; other tests rely on it
    transformer = module.TransformerManager()
    if cell.startswith(("pip install", "cd ")):
        pytest.skip("automagic is applied by IPython at run time, not by the transformer")
    ast.parse(transformer.transform_cell(cell))


def test_cell_magics_of_other_languages() -> None:
    bash = transform_cell("%%bash\npip install a\necho hi\n")
    assert bash.python is None
    assert bash.language == "bash"
    assert bash.shell == [ShellCommand(1, "pip install a\necho hi")]
    assert transform_cell("%%writefile train.py\nimport torch\n").python is None


def test_shell_commands_are_recorded_joined() -> None:
    code = transform_cell("!pip install a \\\n   b\nx = !ls\n%pip install c\n")
    assert code.shell == [
        ShellCommand(1, "pip install a     b"),
        ShellCommand(3, "ls"),
        ShellCommand(4, "pip install c"),
    ]


def test_notebook_with_ipython_syntax_is_complete_and_analysed() -> None:
    cells = [
        "!pip install transformers \\\n    torch",
        "%%capture\n!pip install -q diffusers",
        "import torch\n%time state = torch.load('weights.pt')",
    ]
    doc = {
        "cells": [{"cell_type": "code", "source": c} for c in cells],
        "nbformat": 4,
    }
    collected = analyse_notebook(json.dumps(doc).encode(), "nb.ipynb")
    assert collected.errors == []
    assert collected.gaps == []
    assert [(r.kind, r.location.line, r.location.member) for r in collected.code_refs] == [
        ("torch-load", 2, "cell 3")
    ]


def test_cell_that_python_would_refuse_is_a_gap_not_an_error() -> None:
    doc = {
        "cells": [
            {"cell_type": "code", "source": "import torch\nm = torch.load('a.pt'"},
            {"cell_type": "code", "source": "import torch\ntorch.load('b.pt')"},
        ]
    }
    collected = analyse_notebook(json.dumps(doc).encode(), "nb.ipynb")
    assert collected.errors == []
    assert [(g.location.member, g.location.line) for g in collected.gaps] == [("cell 1", 2)]
    assert "Python would refuse to run it" in collected.gaps[0].reason
    assert "'(' was never closed" in collected.gaps[0].reason
    # the other cell is still analysed
    assert [r.location.member for r in collected.code_refs] == ["cell 2"]
