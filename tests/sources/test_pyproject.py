from __future__ import annotations

from pathlib import Path

import pytest

from aibom.config import Config
from aibom.model import FileRef, IndexOption, Location, ProjectInfo, ScanError, SourceKind
from aibom.sources.pyproject import collect, parse_pyproject_text, poetry_constraint

FIX = Path(__file__).resolve().parent.parent.parent / "fixtures"
PROJECTS = FIX / "projects"
BAD = FIX / "bad" / "requirements"
LOC = "pyproject.toml"


def load(folder: Path) -> object:
    path = folder / "pyproject.toml"
    return collect(FileRef(path, LOC, path.stat().st_size), Config())


def test_pep621_library() -> None:
    got = load(PROJECTS / "library-pep621")
    assert got.project == ProjectInfo(
        "embedkit",
        "0.7.2",
        Location(LOC, 6),
        ("Apache-2.0",),
        "Sentence embeddings with safe model loading",
    )
    rows = [
        (
            d.name,
            d.location.line,
            d.specifier,
            d.version,
            d.scope,
            d.group,
            d.marker,
            d.extras,
            d.properties,
        )
        for d in got.dependencies
    ]
    assert rows == [
        ("hatchling", 2, ">=1.21", None, "required", "build-system", None, (), ()),
        ("hatch-vcs", 2, "==0.4.0", "0.4.0", "required", "build-system", None, (), ()),
        ("numpy", 14, "<3,>=1.24", None, "required", None, None, (), ()),
        ("safetensors", 15, ">=0.4.3", None, "required", None, None, (), ()),
        ("huggingface-hub", 16, ">=0.23", None, "required", None, None, ("hf_transfer",), ()),
        (
            "tokenizers",
            17,
            ">=0.19",
            None,
            "required",
            None,
            'platform_machine != "armv7l"',
            (),
            (),
        ),
        (
            "typing-extensions",
            18,
            ">=4.8",
            None,
            "required",
            None,
            'python_version < "3.11"',
            (),
            (),
        ),
        ("torch", 22, ">=2.2", None, "optional", "torch", None, (), ()),
        ("onnxruntime", 24, "==1.18.0", "1.18.0", "optional", "onnx", None, (), ()),
        ("optimum", 25, "~=1.20.0", None, "optional", "onnx", None, ("onnxruntime",), ()),
        ("pytest", 30, "==8.2.2", "8.2.2", "optional", "test", None, (), ()),
        ("pytest-cov", 31, ">=5", None, "optional", "test", None, (), ()),
        ("ruff", 33, "==0.5.0", "0.5.0", "optional", "lint", None, (), ()),
        ("mypy", 33, ">=1.10", None, "optional", "lint", None, (), ()),
        # dev = include test + include lint + ipython, each at the line it is written
        ("pytest", 30, "==8.2.2", "8.2.2", "optional", "dev", None, (), (("via-group", "test"),)),
        ("pytest-cov", 31, ">=5", None, "optional", "dev", None, (), (("via-group", "test"),)),
        ("ruff", 33, "==0.5.0", "0.5.0", "optional", "dev", None, (), (("via-group", "lint"),)),
        ("mypy", 33, ">=1.10", None, "optional", "dev", None, (), (("via-group", "lint"),)),
        ("ipython", 37, "", None, "optional", "dev", None, (), ()),
    ]
    assert {d.source for d in got.dependencies} == {SourceKind.PYPROJECT}
    assert got.dependencies[6].raw == "typing-extensions>=4.8; python_version < '3.11'"
    assert got.errors == []


def test_poetry_project() -> None:
    got = load(PROJECTS / "poetry-pyproject-only")
    assert got.project == ProjectInfo(
        "rag-service",
        "1.4.0",
        Location(LOC, 2),
        ("MIT",),
        "Retrieval-augmented answers over internal documents",
    )
    rows = [
        (
            d.name,
            d.location.line,
            d.specifier,
            d.version,
            d.scope,
            d.group,
            d.marker,
            d.extras,
            d.url,
            d.url_kind,
            d.vcs_ref,
            d.editable,
            d.properties,
        )
        for d in got.dependencies
    ]
    assert rows == [
        (
            "poetry-core",
            53,
            ">=1.9.0",
            None,
            "required",
            "build-system",
            None,
            (),
            None,
            None,
            None,
            False,
            (),
        ),
        (
            "fastapi",
            10,
            "<0.112.0,>=0.111.0",
            None,
            "required",
            None,
            None,
            (),
            None,
            None,
            None,
            False,
            (),
        ),
        (
            "pydantic",
            11,
            "<2.8,>=2.7",
            None,
            "required",
            None,
            None,
            (),
            None,
            None,
            None,
            False,
            (),
        ),
        (
            "langchain",
            12,
            "==0.2.5",
            "0.2.5",
            "required",
            None,
            None,
            (),
            None,
            None,
            None,
            False,
            (),
        ),
        (
            "sentence-transformers",
            13,
            "<4.0,>=3.0",
            None,
            "required",
            None,
            None,
            ("train",),
            None,
            None,
            None,
            False,
            (),
        ),
        # optional = true, listed by the "faiss" extra
        (
            "faiss-cpu",
            14,
            "<2,>=1.8",
            None,
            "optional",
            "faiss",
            None,
            (),
            None,
            None,
            None,
            False,
            (),
        ),
        (
            "uvloop",
            15,
            "<0.20,>=0.19",
            None,
            "required",
            None,
            'sys_platform != "win32"',
            (),
            None,
            None,
            None,
            False,
            (),
        ),
        (
            "torch",
            16,
            "==2.3.1",
            "2.3.1",
            "required",
            None,
            'sys_platform == "linux"',
            (),
            None,
            None,
            None,
            False,
            (("poetry-source", "pytorch-cpu"),),
        ),
        (
            "torch",
            16,
            "==2.3.1",
            "2.3.1",
            "required",
            None,
            'sys_platform == "darwin"',
            (),
            None,
            None,
            None,
            False,
            (),
        ),
        (
            "internal-auth",
            20,
            "",
            None,
            "required",
            None,
            None,
            (),
            "git+https://***@github.com/example/internal-auth.git@v2.1.0",
            "vcs",
            "v2.1.0",
            False,
            (("credentials", "redacted"),),
        ),
        (
            "shared-utils",
            21,
            "",
            None,
            "required",
            None,
            None,
            (),
            "../shared-utils",
            "path",
            None,
            True,
            (),
        ),
        (
            "tiny-wheel",
            22,
            "==0.1.0",
            "0.1.0",
            "required",
            None,
            None,
            (),
            "https://files.example.com/tiny_wheel-0.1.0-py3-none-any.whl",
            "url",
            None,
            False,
            (("version-from", "wheel-filename"),),
        ),
        ("orjson", 23, "", None, "required", None, None, (), None, None, None, False, ()),
        (
            "legacy-client",
            24,
            "",
            None,
            "required",
            None,
            None,
            (),
            None,
            None,
            None,
            False,
            (("poetry-constraint", "^0.0.3 || ^1.0"),),
        ),
        (
            "coverage",
            40,
            "<8.0,>=7.5",
            None,
            "optional",
            "dev",
            None,
            (),
            None,
            None,
            None,
            False,
            (),
        ),
        (
            "pytest",
            30,
            "<9.0,>=8.2",
            None,
            "optional",
            "dev",
            None,
            (),
            None,
            None,
            None,
            False,
            (),
        ),
        (
            "black",
            31,
            "==24.4.2",
            "24.4.2",
            "optional",
            "dev",
            None,
            (),
            None,
            None,
            None,
            False,
            (),
        ),
        ("mkdocs", 37, ">=1.6", None, "optional", "docs", None, (), None, None, None, False, ()),
    ]
    raws = {d.name: d.raw for d in got.dependencies}
    assert raws["fastapi"] == 'fastapi = "^0.111.0"'
    assert raws["torch"] == 'torch = { version = "2.3.1", platform = "darwin" }'
    assert raws["internal-auth"] == (
        'internal-auth = { git = "https://***@github.com/example/internal-auth.git", '
        'tag = "v2.1.0" }'
    )
    assert got.index_options == [
        IndexOption(
            "poetry-explicit-source",
            "https://download.pytorch.org/whl/cpu",
            Location(LOC, 44),
            False,
        ),
        IndexOption(
            "--extra-index-url",
            "https://***@pypi.internal.example.com/simple/",
            Location(LOC, 49),
            True,
        ),
    ]
    assert "gh-t0ken" not in repr(got) and "p4ss" not in repr(got)
    assert got.errors == []


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("^1.2.3", "<2.0.0,>=1.2.3"),
        ("^1.2", "<2.0,>=1.2"),
        ("^1", "<2,>=1"),
        ("^0.2.3", "<0.3.0,>=0.2.3"),
        ("^0.0.3", "<0.0.4,>=0.0.3"),
        ("^0.0", "<0.1,>=0.0"),
        ("^0", "<1,>=0"),
        ("~1.2.3", "<1.3.0,>=1.2.3"),
        ("~1.2", "<1.3,>=1.2"),
        ("~1", "<2,>=1"),
        ("~=1.2", "~=1.2"),
        ("1.2.3", "==1.2.3"),
        ("==1.2.3", "==1.2.3"),
        ("=1.2.3", "==1.2.3"),
        ("1.2.*", "==1.2.*"),
        (">=1.2,<2", "<2,>=1.2"),
        (">=1.2 <2", "<2,>=1.2"),
        ("*", ""),
        ("", ""),
        ("^1.0 || ^2.0", None),
        ("^banana", None),
    ],
)
def test_poetry_constraint(constraint: str, expected: str | None) -> None:
    assert poetry_constraint(constraint) == expected


def bad(name: str) -> object:
    return load(BAD / f"pyproject-{name}")


def test_broken_toml_is_an_error_at_its_line() -> None:
    got = bad("broken")
    assert got.project is None and got.dependencies == []
    assert got.errors == [
        ScanError(Location(LOC, 6), "invalid TOML: Unclosed array (at line 6, column 13)")
    ]


def test_dependency_group_cycle_and_unknown_group() -> None:
    got = bad("group-cycle")
    assert [(d.name, d.location.line, d.group, d.properties) for d in got.dependencies] == [
        ("pytest", 6, "test", ()),
        ("ruff", 7, "test", (("via-group", "dev"),)),
        ("pytest", 6, "dev", (("via-group", "test"),)),
        ("ruff", 7, "dev", ()),
        ("mkdocs", 8, "docs", ()),
    ]
    assert got.errors == [
        ScanError(Location(LOC, 7), "dependency group cycle: test -> dev -> test"),
        ScanError(Location(LOC, 6), "dependency group cycle: dev -> test -> dev"),
        ScanError(Location(LOC, 8), "dependency group 'docs' includes unknown group 'missing'"),
    ]


def test_bad_values_are_errors_and_the_rest_is_read() -> None:
    got = bad("bad-values")
    assert got.project == ProjectInfo("bad-values", None, Location(LOC, 2))
    assert [(d.name, d.location.line, d.specifier) for d in got.dependencies] == [
        ("requests", 5, ">=2"),
        ("oddball", 14, ""),
    ]
    assert got.errors == [
        ScanError(
            Location(LOC, 6),
            "invalid requirement: Expected semicolon (after name with "
            "no version specifier) or end: not a valid requirement!",
        ),
        ScanError(Location(LOC, 4), "project.dependencies: 42 is not a string"),
        ScanError(
            Location(LOC, 11), "project.optional-dependencies.extra must be a list of strings"
        ),
        ScanError(Location(LOC, 14), "Poetry dependency oddball: cannot read constraint '^banana'"),
    ]


def test_dynamic_dependencies_record_nothing() -> None:
    got = parse_pyproject_text(
        '[project]\nname = "dyn"\ndynamic = ["version", "dependencies"]\n', LOC
    )
    assert got.project == ProjectInfo("dyn", None, Location(LOC, 2))
    assert got.dependencies == [] and got.errors == []


def test_line_finding_with_duplicates_dotted_keys_and_escapes() -> None:
    text = (
        "[project]\n"
        'name = "x"\n'
        'optional-dependencies.test = ["pytest"]\n'
        "dependencies = [\n"
        '  "a>=1",\n'
        '  "b; python_version < \\"3.9\\"",\n'
        '  "a>=1",\n'
        "]\n"
    )
    got = parse_pyproject_text(text, LOC)
    assert [(d.name, d.group, d.location.line, d.marker) for d in got.dependencies] == [
        ("a", None, 5, None),
        ("b", None, 6, 'python_version < "3.9"'),
        ("a", None, 7, None),
        ("pytest", "test", 3, None),
    ]


def test_license_table_and_non_utf8(tmp_path: Path) -> None:
    got = parse_pyproject_text(
        '[project]\nname = "x"\nversion = "1"\nlicense = { text = "BSD-3-Clause" }\n', LOC
    )
    assert got.project == ProjectInfo("x", "1", Location(LOC, 2), ("BSD-3-Clause",))
    path = tmp_path / "pyproject.toml"
    path.write_bytes(b'[project]\nname = "caf\xe9"\n')
    result = collect(FileRef(path, LOC, path.stat().st_size), Config())
    assert result.errors == [ScanError(Location(LOC, 2), "invalid TOML: not UTF-8 text")]


def test_inline_suppressions() -> None:
    from aibom.model import Suppression

    text = (
        '[project]\nname = "x"\ndependencies = [\n'
        '  "torch>=2",  # aibom: ignore[AIB101] the image pins it\n'
        '  "url#frag",\n]\n'
    )
    got = parse_pyproject_text(text, LOC)
    assert got.suppressions == [Suppression(Location(LOC, 4), ("AIB101",), "the image pins it")]


def test_only_a_top_level_pyproject_names_the_project() -> None:
    path = PROJECTS / "messy" / "libs" / "tokenizer-utils" / "pyproject.toml"
    rel = "libs/tokenizer-utils/pyproject.toml"
    got = collect(FileRef(path, rel, path.stat().st_size), Config())
    assert got.project is None
    assert [(d.name, d.group, d.location) for d in got.dependencies] == [
        ("setuptools", "build-system", Location(rel, 2)),
        ("regex", None, Location(rel, 8)),
    ]


def test_uv_project() -> None:
    got = load(PROJECTS / "uv-workspace")
    assert got.project == ProjectInfo("vision-api", "0.3.0", Location(LOC, 2))
    rows = [
        (
            d.name,
            d.location.line,
            d.specifier,
            d.version,
            d.scope,
            d.group,
            d.url,
            d.url_kind,
            d.vcs_ref,
            d.properties,
        )
        for d in got.dependencies
    ]
    assert rows == [
        (
            "torch",
            6,
            "==2.3.1",
            "2.3.1",
            "required",
            None,
            None,
            None,
            None,
            (("uv-index", "pytorch-cpu"),),
        ),
        (
            "torchvision",
            7,
            "==0.18.1",
            "0.18.1",
            "required",
            None,
            None,
            None,
            None,
            (("uv-index", "pytorch-cpu"),),
        ),
        ("fastapi", 8, ">=0.111", None, "required", None, None, None, None, ()),
        (
            "shared-models",
            9,
            "",
            None,
            "required",
            None,
            None,
            None,
            None,
            (("uv-workspace", "true"),),
        ),
        # [tool.uv.sources] says where uv really takes it from
        (
            "internal-tokenizer",
            10,
            ">=1.2",
            None,
            "required",
            None,
            "git+https://github.com/example/tokenizer.git@v1.2.0",
            "vcs",
            "v1.2.0",
            (),
        ),
        ("pytest", 14, ">=8.2", None, "optional", "dev", None, None, None, ()),
        ("ruff", 17, "==0.5.0", "0.5.0", "optional", "dev", None, None, None, ()),
    ]
    assert got.index_options == [
        IndexOption(
            "uv-explicit-index", "https://download.pytorch.org/whl/cpu", Location(LOC, 21), False
        ),
        IndexOption(
            "--index", "https://***@pypi.internal.example.com/simple", Location(LOC, 26), True
        ),
    ]
    assert "pl41n-s3cret" not in repr(got)
    assert got.errors == []


def test_uv_path_source_is_a_property() -> None:
    path = PROJECTS / "uv-app" / "pyproject.toml"
    got = collect(FileRef(path, LOC, path.stat().st_size), Config())
    helper = next(d for d in got.dependencies if d.name == "helper")
    assert (helper.url, helper.location, helper.properties) == (
        None,
        Location(LOC, 10),
        (("uv-source-path", "libs/helper"),),
    )


def test_hatch_uv_dynamic_versioning_dependency_tables() -> None:
    """`dynamic = ["dependencies", ...]` with hatch's uv-dynamic-versioning hook: the tables
    in the hook are the project's dependencies; a `{{ version }}` template is a gap."""
    from pathlib import Path

    fixture = Path(__file__).resolve().parents[2] / "fixtures" / "locks-real" / "hatch-dynamic"
    out = parse_pyproject_text((fixture / "pyproject.toml").read_text("utf-8"), "pyproject.toml")
    declared = {(d.name, d.specifier, d.scope, d.group) for d in out.dependencies}
    assert ("httpx", ">=0.27", "required", None) in declared
    assert ("click", ">=8", "optional", "cli") in declared
    assert not out.errors
    assert [g.location.line for g in out.gaps] == [14]
    assert "{{ version }}" in out.gaps[0].reason
