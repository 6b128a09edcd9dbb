from __future__ import annotations

from pathlib import Path

from aibom.config import Config
from aibom.model import FileRef, Gap, Location, ProjectInfo, ScanError, SourceKind
from aibom.sources.setup_files import (
    collect_setup_cfg,
    collect_setup_py,
    parse_setup_cfg_text,
    parse_setup_py_text,
)

FIX = Path(__file__).resolve().parent.parent.parent / "fixtures"
LEGACY = FIX / "projects" / "legacy-setuptools"
BAD = FIX / "bad" / "requirements"


def ref(root: Path, rel: str) -> FileRef:
    return FileRef(root / rel, rel, (root / rel).stat().st_size)


def rows(got: object) -> list[tuple[object, ...]]:
    return [
        (d.name, d.location.line, d.specifier, d.version, d.scope, d.group, d.marker, d.extras)
        for d in got.dependencies  # type: ignore[attr-defined]
    ]


def test_setup_cfg() -> None:
    got = collect_setup_cfg(ref(LEGACY, "setup.cfg"), Config())
    assert got.project == ProjectInfo(
        "visionkit",
        "2.1.0",
        Location("setup.cfg", 2),
        ("BSD-3-Clause",),
        "Image classification helpers",
    )
    assert rows(got) == [
        ("pillow", 13, ">=10.3", None, "required", None, None, ()),
        ("numpy", 15, "<2,>=1.24", None, "required", None, None, ()),
        (
            "opencv-python-headless",
            16,
            "==4.10.0.84",
            "4.10.0.84",
            "required",
            None,
            'platform_system != "Windows"',
            (),
        ),
        ("setuptools_scm", 17, ">=8", None, "required", "setup_requires", None, ()),
        ("torch", 21, ">=2.2", None, "optional", "torch", None, ()),
        ("torchvision", 22, ">=0.17", None, "optional", "torch", None, ()),
        # one line, ";"-separated (setuptools' list-semi)
        ("onnx", 23, "==1.16.1", "1.16.1", "optional", "export", None, ()),
        ("onnxscript", 23, "", None, "optional", "export", None, ()),
    ]
    assert {d.source for d in got.dependencies} == {SourceKind.SETUP_CFG}
    assert got.errors == []


def test_setup_py_literals_constants_and_concatenation() -> None:
    got = collect_setup_py(ref(LEGACY, "setup.py"), Config())
    assert got.project == ProjectInfo("visionkit", "2.1.0", Location("setup.py", 17))
    assert rows(got) == [
        ("requests", 6, ">=2.31", None, "required", None, None, ()),
        ("tqdm", 7, "", None, "required", None, None, ()),
        ("pyyaml", 19, ">=6", None, "required", None, None, ()),
        ("pytest", 21, ">=8", None, "optional", "tests_require", None, ()),
        ("fastapi", 9, ">=0.110", None, "optional", "serve", None, ()),
        ("uvicorn", 9, "==0.30.1", "0.30.1", "optional", "serve", None, ("standard",)),
        ("fastapi", 9, ">=0.110", None, "optional", "all", None, ()),
        ("uvicorn", 9, "==0.30.1", "0.30.1", "optional", "all", None, ("standard",)),
        ("gradio", 12, ">=4.36", None, "optional", "all", None, ()),
        # "extra:marker" keys carry the marker onto each requirement
        (
            "nvidia-ml-py",
            13,
            "==12.555.43",
            "12.555.43",
            "optional",
            "gpu",
            'sys_platform == "linux"',
            (),
        ),
    ]
    assert {d.source for d in got.dependencies} == {SourceKind.SETUP_PY}
    assert got.errors == []


DYNAMIC_GAP = Gap(
    Location("dynamic/setup.py", 7),
    "install_requires: `open(os.path.join(os.path.dirname(__file__), name))` cannot be known "
    "without running setup.py (reads requirements.txt, which is not a readable file next to "
    "setup.py); the rest is inventoried",
)


def test_setup_py_computed_values_are_gaps_not_guesses() -> None:
    got = collect_setup_py(ref(LEGACY, "dynamic/setup.py"), Config())
    # a nested setup.py is a sub-project: its name is not the scanned project's
    assert got.project is None
    text = (LEGACY / "dynamic" / "setup.py").read_text()
    assert parse_setup_py_text(text, "dynamic/setup.py").project == ProjectInfo(
        "dynamic-thing", None, Location("dynamic/setup.py", 15)
    )
    # the extras dict built by assignments after it is bound is evaluated
    assert rows(got) == [
        ("wheel", 20, "", None, "required", "setup_requires", None, ()),
        ("pytest", 11, "", None, "optional", "dev", None, ()),
        ("sphinx", 12, "", None, "optional", "docs", None, ()),
    ]
    # the helper reads a file that is not there: a gap naming the exact expression, not an
    # unreadable setup.py
    assert got.errors == []
    assert got.gaps == [DYNAMIC_GAP]


def test_setup_py_never_runs_the_file(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = (
        f"open({str(marker)!r}, 'w').write('x')\n"
        "from setuptools import setup\n"
        "setup(name='x', install_requires=['a==1'])\n"
    )
    got = parse_setup_py_text(text, "setup.py")
    assert rows(got) == [("a", 3, "==1", "1", "required", None, None, ())]
    assert not marker.exists()


def test_setup_py_kwargs_and_strings() -> None:
    text = (
        "import setuptools\n"
        "KW = dict(install_requires=['x'])\n"
        "META = {'install_requires': '''\n"
        "    alpha>=1\n"
        "    # a comment\n"
        "    beta\n"
        "'''}\n"
        "setuptools.setup(name='s', **META)\n"
        "setuptools.setup(name='t', **KW)\n"
    )
    got = parse_setup_py_text(text, "setup.py")
    # dict(...) of literals is evaluated too
    assert rows(got) == [
        ("alpha", 4, ">=1", None, "required", None, None, ()),
        ("beta", 6, "", None, "required", None, None, ()),
        ("x", 2, "", None, "required", None, None, ()),
    ]
    assert got.errors == [] and got.gaps == []


def test_setup_py_python2_is_an_error() -> None:
    got = collect_setup_py(ref(BAD, "setup-py2/setup.py"), Config())
    assert got.dependencies == [] and got.project is None
    assert got.errors == [
        ScanError(
            Location("setup-py2/setup.py", 3),
            "cannot parse setup.py: Missing "
            "parentheses in call to 'print'. Did you mean print(...)?",
        )
    ]


def test_setup_py_deeply_nested_is_an_error() -> None:
    got = parse_setup_py_text("x = " + "[" * 5000 + "]" * 5000 + "\n", "setup.py")
    assert got.errors == [
        ScanError(Location("setup.py", 1), "cannot parse setup.py: too many nested parentheses")
    ]
    chain = " + ".join(["A"] * 200)
    got = parse_setup_py_text(f"A = ['x']\nsetup(install_requires={chain})\n", "setup.py")
    assert rows(got) == [("x", 1, "", None, "required", None, None, ())]  # once, not 200 times
    assert got.errors == []


def test_setup_cfg_duplicate_option_is_an_error() -> None:
    got = collect_setup_cfg(ref(BAD, "setup-cfg-broken/setup.cfg"), Config())
    assert got.dependencies == []
    assert got.errors == [
        ScanError(
            Location("setup-cfg-broken/setup.cfg", 7),
            "invalid setup.cfg: While reading "
            "from 'setup-cfg-broken/setup.cfg' [line  7]: option 'install_requires' in "
            "section 'options' already exists",
        )
    ]


def test_setup_cfg_file_directive_and_no_interpolation(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("click==8.1.7\nrich>=13\n")
    (tmp_path / "setup.cfg").write_text(
        "[metadata]\nname = cli\nversion = attr: cli.__version__\ndescription = 100%(x)s\n"
        "[options]\ninstall_requires = file: requirements.txt, missing.txt\n"
    )
    got = collect_setup_cfg(ref(tmp_path, "setup.cfg"), Config(roots=(tmp_path,)))
    assert got.project == ProjectInfo("cli", None, Location("setup.cfg", 2), (), "100%(x)s")
    assert [(d.name, d.location, d.source, d.scope) for d in got.dependencies] == [
        ("click", Location("requirements.txt", 1), SourceKind.SETUP_CFG, "required"),
        ("rich", Location("requirements.txt", 2), SourceKind.SETUP_CFG, "required"),
    ]
    assert got.errors == [
        ScanError(
            Location("setup.cfg", 6), "install_requires reads missing.txt, which is not found"
        )
    ]


def test_setup_cfg_invalid_requirement() -> None:
    got = parse_setup_cfg_text(
        "[options]\ninstall_requires =\n    ok>=1\n    not valid!\n", "setup.cfg"
    )
    assert rows(got) == [("ok", 3, ">=1", None, "required", None, None, ())]
    assert got.errors == [
        ScanError(
            Location("setup.cfg", 4),
            "invalid requirement: Expected semicolon (after name "
            "with no version specifier) or end: not valid!",
        )
    ]


def test_inline_suppressions() -> None:
    from aibom.model import Suppression

    got = parse_setup_cfg_text(
        "[options]\ninstall_requires =\n    torch>=2  # aibom: ignore[AIB101] pinned elsewhere\n",
        "setup.cfg",
    )
    assert rows(got) == [("torch", 3, ">=2", None, "required", None, None, ())]
    assert got.suppressions == [
        Suppression(Location("setup.cfg", 3), ("AIB101",), "pinned elsewhere")
    ]
    got = parse_setup_py_text("setup(install_requires=['a'])  # aibom: ignore\n", "setup.py")
    assert got.suppressions == [Suppression(Location("setup.py", 1), (), "")]


def test_scan_takes_the_project_from_setup_cfg_before_setup_py() -> None:
    from aibom.scan import collect as scan_collect

    inventory = scan_collect(Config(roots=(LEGACY,)))
    assert inventory.project == ProjectInfo(
        "visionkit",
        "2.1.0",
        Location("setup.cfg", 2),
        ("BSD-3-Clause",),
        "Image classification helpers",
    )
    assert inventory.errors == []
    assert inventory.gaps == [DYNAMIC_GAP]


# ----------------------------------------------------------------------------- static evaluation
# Each setup.py below is a minimal reproduction, written for these tests, of an idiom seen in
# the setup.py files of large model libraries.


def test_setup_py_extras_built_by_assignment_and_concatenation() -> None:
    text = (
        "from setuptools import setup\n"
        "extras = {}\n"
        'extras["quality"] = ["ruff==0.4.1", "isort>=5"]\n'
        'extras["test"] = ["pytest"]\n'
        'extras["dev"] = extras["quality"] + extras["test"]\n'
        'extras["all"] = sorted(set(extras["dev"]))\n'
        'setup(name="lib", extras_require=extras)\n'
    )
    got = parse_setup_py_text(text, "setup.py")
    assert [(d.name, d.group, d.location.line) for d in got.dependencies] == [
        ("ruff", "quality", 3),
        ("isort", "quality", 3),
        ("pytest", "test", 4),
        ("ruff", "dev", 3),
        ("isort", "dev", 3),
        ("pytest", "dev", 4),
        ("isort", "all", 3),
        ("pytest", "all", 4),
        ("ruff", "all", 3),
    ]
    assert got.errors == [] and got.gaps == []


def test_setup_py_deps_list_over_a_literal_table() -> None:
    text = (
        "import re\n"
        "from setuptools import setup\n"
        "_deps = ['numpy>=1.17', 'torch>=2.0', 'requests', 'Pillow']\n"
        'deps = {b: a for a, b in (re.findall(r"^(([^!=<>~]+)(?:[!=<>~].*)?$)", x)[0] for x in _deps)}\n'
        "def deps_list(*pkgs):\n"
        "    return [deps[pkg] for pkg in pkgs]\n"
        "install_requires = [deps['numpy'], deps['requests']]\n"
        "setup(\n"
        "    name='lib',\n"
        "    install_requires=list(install_requires),\n"
        "    extras_require={'torch': deps_list('torch', 'Pillow')},\n"
        ")\n"
    )
    got = parse_setup_py_text(text, "setup.py")
    assert [(d.name, d.specifier, d.scope, d.group, d.location.line) for d in got.dependencies] == [
        ("numpy", ">=1.17", "required", None, 3),
        ("requests", "", "required", None, 3),
        ("torch", ">=2.0", "optional", "torch", 3),
        ("Pillow", "", "optional", "torch", 3),
    ]
    assert got.errors == [] and got.gaps == []


def test_setup_py_kwargs_from_a_literal_dict() -> None:
    text = (
        "import setuptools\n"
        "args = {'name': 'lib', 'install_requires': ['a>=1']}\n"
        "args['extras_require'] = {'x': ['b']}\n"
        "if __name__ == '__main__':\n"
        "    setuptools.setup(**args)\n"
    )
    got = parse_setup_py_text(text, "setup.py")
    assert [(d.name, d.group) for d in got.dependencies] == [("a", None), ("b", "x")]
    assert got.project is not None and got.project.name == "lib"
    assert got.errors == [] and got.gaps == []


def test_setup_py_reads_a_requirements_file_next_to_it(tmp_path: Path) -> None:
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "base.txt").write_text(
        "# core\nnumpy>=1.24\n\n-r extra.txt\ntqdm\n"
    )
    (tmp_path / "requirements-dev.txt").write_text("pytest\n")
    text = (
        "import os\n"
        "from pathlib import Path\n"
        "from setuptools import setup\n"
        "here = os.path.abspath(os.path.dirname(__file__))\n"
        "def fetch(path):\n"
        "    with open(os.path.join(here, path), 'r') as fd:\n"
        "        return [r.strip() for r in fd.readlines()]\n"
        "dev = (Path(__file__).parent / 'requirements-dev.txt').read_text().splitlines()\n"
        "setup(name='lib', install_requires=fetch('requirements/base.txt'),\n"
        "      extras_require={'dev': dev, 'all': open('requirements-dev.txt').read().splitlines()})\n"
    )
    got = parse_setup_py_text(text, "setup.py", base_dir=tmp_path)
    assert [(d.name, d.group, d.location.line) for d in got.dependencies] == [
        ("numpy", None, 9),
        ("tqdm", None, 9),
        ("pytest", "dev", 10),
        ("pytest", "all", 10),
    ]
    assert got.errors == [] and got.gaps == []


def test_setup_py_reads_nothing_outside_its_folder(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "secret.txt").write_text("leaked\n")
    (project / "link.txt").symlink_to(tmp_path / "secret.txt")
    text = (
        "from setuptools import setup\n"
        "setup(name='x', install_requires=open('../secret.txt').read().splitlines(),\n"
        "      extras_require={'a': open('link.txt').readlines(), 'b': open('/etc/hostname').readlines()})\n"
    )
    got = parse_setup_py_text(text, "setup.py", base_dir=project)
    assert got.dependencies == []
    assert [g.location.line for g in got.gaps] == [2, 3, 3]
    assert all("cannot be known without running setup.py" in g.reason for g in got.gaps)


def test_setup_py_what_needs_running_is_a_gap_with_the_expression() -> None:
    text = (
        "import torch\n"
        "from setuptools import setup\n"
        "from helpers import load_args\n"
        "reqs = ['numpy']\n"
        "if torch.cuda.is_available():\n"
        "    reqs.append('nvidia-ml-py')\n"
        "setup(name='x', install_requires=reqs + [torch_dep()], extras_require=compute())\n"
        "setup(**load_args())\n"
    )
    got = parse_setup_py_text(text, "setup.py")
    assert [d.name for d in got.dependencies] == ["numpy"]
    assert got.errors == []
    assert [(g.location.line, g.reason) for g in got.gaps] == [
        (
            5,
            "install_requires: `reqs` is changed under `if torch.cuda.is_available()`, which "
            "cannot be decided without running setup.py; what is built outside it is inventoried",
        ),
        (
            7,
            "install_requires: `torch_dep()` cannot be known without running setup.py "
            "(a call aibom does not evaluate); the rest is inventoried",
        ),
        (
            7,
            "extras_require: `compute()` cannot be known without running setup.py "
            "(a call aibom does not evaluate); no extras are inventoried",
        ),
        (
            8,
            "setup(**...): the keyword arguments come from `load_args()` (a call aibom does "
            "not evaluate); dependencies passed through them are not inventoried",
        ),
    ]


def test_setup_py_evaluation_is_bounded() -> None:
    text = (
        "import re\n"
        "from setuptools import setup\n"
        "def forever(n):\n"
        "    return forever(n + 1)\n"
        "def spin():\n"
        "    for i in range(10**9):\n"
        "        pass\n"
        "X = forever(0)\n"
        "Y = re.findall(r'(a+)+$', 'a' * 50 + 'b')\n"  # catastrophic backtracking: not run
        "Z = ['a'] * 10**9\n"
        "setup(name='x', install_requires=['ok', X, Y, Z])\n"
    )
    got = parse_setup_py_text(text, "setup.py")
    assert [d.name for d in got.dependencies] == ["ok"]
    assert len(got.gaps) == 3
    assert got.errors == []
