from __future__ import annotations

from pathlib import Path

from aibom.config import Config
from aibom.model import FileRef, Location, ProjectInfo, ScanError, SourceKind
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


def test_setup_py_computed_values_are_errors_not_guesses() -> None:
    got = collect_setup_py(ref(LEGACY, "dynamic/setup.py"), Config())
    # a nested setup.py is a sub-project: its name is not the scanned project's
    assert got.project is None
    text = (LEGACY / "dynamic" / "setup.py").read_text()
    assert parse_setup_py_text(text, "dynamic/setup.py").project == ProjectInfo(
        "dynamic-thing", None, Location("dynamic/setup.py", 15)
    )
    assert rows(got) == [("wheel", 20, "", None, "required", "setup_requires", None, ())]
    assert got.errors == [
        ScanError(
            Location("dynamic/setup.py", 18),
            "install_requires is computed at run time; not inventoried",
        ),
        # the dict is changed after it is bound (extras["docs"] = ...)
        ScanError(
            Location("dynamic/setup.py", 19),
            "extras_require is computed at run time; not inventoried",
        ),
    ]


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
    assert rows(got) == [
        ("alpha", 4, ">=1", None, "required", None, None, ()),
        ("beta", 6, "", None, "required", None, None, ()),
    ]
    assert got.errors == [
        ScanError(
            Location("setup.py", 9),
            "setup() receives **kwargs computed at run time; "
            "dependencies passed through them are not inventoried",
        ),
    ]


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
    assert got.dependencies == []
    assert got.errors == [
        ScanError(
            Location("setup.py", 2), "install_requires is computed at run time; not inventoried"
        )
    ]


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
    got = collect_setup_cfg(ref(tmp_path, "setup.cfg"), Config())
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
    assert inventory.errors == [
        ScanError(
            Location("dynamic/setup.py", 18),
            "install_requires is computed at run time; not inventoried",
        ),
        ScanError(
            Location("dynamic/setup.py", 19),
            "extras_require is computed at run time; not inventoried",
        ),
    ]
