from __future__ import annotations

from pathlib import Path

import pytest

from aibom.config import Config
from aibom.model import FileRef, Hash, IndexOption, Location, ScanError, SourceKind
from aibom.sources.conda import CondaSpec, collect, parse_conda_spec, parse_environment_text

FIX = Path(__file__).resolve().parent.parent.parent / "fixtures"
ENV = FIX / "projects" / "conda-env"
REL = "environment.yml"


def test_conda_environment_fixture() -> None:
    path = ENV / REL
    got = collect(FileRef(path, REL, path.stat().st_size), Config())
    rows = [
        (d.name, d.ecosystem, d.source, d.location, d.specifier, d.version, d.group, d.properties)
        for d in got.dependencies
    ]
    C, P = SourceKind.CONDA, SourceKind.REQUIREMENTS
    assert rows == [
        ("python", "conda", C, Location(REL, 10), "=3.11", None, None, ()),
        (
            "numpy",
            "conda",
            C,
            Location(REL, 11),
            "==1.26.4",
            "1.26.4",
            None,
            (("conda-build", "py311h64a7726_0"),),
        ),
        (
            "pandas",
            "conda",
            C,
            Location(REL, 12),
            ">=2.2,<3",
            None,
            "conda-forge",
            (("conda-channel", "conda-forge"),),
        ),
        (
            "pytorch",
            "conda",
            C,
            Location(REL, 13),
            "==2.3.1",
            "2.3.1",
            "pytorch",
            (("conda-channel", "pytorch"),),
        ),
        (
            "pytorch-cuda",
            "conda",
            C,
            Location(REL, 14),
            "==12.1",
            "12.1",
            None,
            (("conda-build", "ha16c6d3_5"),),
        ),
        (
            "libblas",
            "conda",
            C,
            Location(REL, 15),
            "==3.9.0",
            "3.9.0",
            "conda-forge",
            (
                ("conda-channel", "conda-forge"),
                ("conda-subdir", "linux-64"),
                ("conda-build", "20_linux64_openblas"),
            ),
        ),
        (
            "scipy",
            "conda",
            C,
            Location(REL, 16),
            ">=1.13",
            None,
            None,
            (("conda-build", "py311*"),),
        ),
        ("pip", "conda", C, Location(REL, 17), "", None, None, ()),
        # the pip: section, read with the requirements-file parser
        ("transformers", "pypi", C, Location(REL, 20), "==4.41.2", "4.41.2", None, ()),
        ("ultralytics", "pypi", C, Location(REL, 21), ">=8.2", None, None, ()),
        ("detectron2", "pypi", C, Location(REL, 22), "", None, None, (("name-from", "egg"),)),
        # -r requirements-extra.txt, relative to the environment file
        ("wandb", "pypi", P, Location("requirements-extra.txt", 1), "==0.17.2", "0.17.2", None, ()),
    ]
    ultralytics = got.dependencies[9]
    assert ultralytics.hashes == (
        Hash("sha256", "6f4b3f1d4c0b1e2a0e7b5c2b1b9f3a8d0c4e6a7b8c9d0e1f2a3b4c5d6e7f8091"),
    )
    detectron = got.dependencies[10]
    assert (detectron.url_kind, detectron.vcs_ref) == ("vcs", "v0.6")
    assert got.index_options == [
        IndexOption("--channel", "pytorch", Location(REL, 4)),
        IndexOption("--channel", "nvidia", Location(REL, 5)),
        IndexOption(
            "--channel", "https://***@conda.internal.example.com/ml-private", Location(REL, 6), True
        ),
        IndexOption("--channel", "conda-forge", Location(REL, 7)),
        IndexOption("--channel", "nodefaults", Location(REL, 8)),
        IndexOption(
            "--extra-index-url", "https://download.pytorch.org/whl/cu121", Location(REL, 19)
        ),
        IndexOption("--requirement", "requirements-extra.txt", Location(REL, 23)),
    ]
    assert "c0nda-t0ken" not in repr(got)
    assert got.errors == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("numpy", CondaSpec("numpy")),
        ("python=3.11", CondaSpec("python", "=3.11")),
        (
            "numpy=1.26.4=py311h64a7726_0",
            CondaSpec("numpy", "==1.26.4", "1.26.4", "py311h64a7726_0"),
        ),
        ("numpy=1.26.*=py311*", CondaSpec("numpy", "=1.26.*", None, "py311*")),
        ("numpy==1.26.4", CondaSpec("numpy", "==1.26.4", "1.26.4")),
        ("numpy >=1.24,<2", CondaSpec("numpy", ">=1.24,<2")),
        ("numpy>=1.24, <2", CondaSpec("numpy", ">=1.24,<2")),
        ("numpy 1.26.4 py311_0", CondaSpec("numpy", "==1.26.4", "1.26.4", "py311_0")),
        ("numpy 1.26.*", CondaSpec("numpy", "1.26.*")),
        ("conda-forge::pytorch>=2", CondaSpec("pytorch", ">=2", channel="conda-forge")),
        ("conda-forge/noarch::tqdm", CondaSpec("tqdm", channel="conda-forge", subdir="noarch")),
        (
            "https://conda.example.com/ch::pkg==1",
            CondaSpec("pkg", "==1", "1", channel="https://conda.example.com/ch"),
        ),
        ("scipy[version='>=1.13',build=py311*]", CondaSpec("scipy", ">=1.13", None, "py311*")),
        (
            "pkg[version=1.0, channel=bioconda]",
            CondaSpec("pkg", "==1.0", "1.0", channel="bioconda"),
        ),
    ],
)
def test_parse_conda_spec(text: str, expected: CondaSpec) -> None:
    assert parse_conda_spec(text) == expected


def test_bad_entries_are_errors_and_the_rest_is_read() -> None:
    text = (
        "dependencies:\n"
        "  - numpy=1.26\n"
        "  - {conda: x}\n"
        "  - =bad\n"
        "  - name=1=2=3\n"
        "  - [a]\n"
        "  - pip:\n"
        "    - requests==2\n"
        "    - {x: 1}\n"
        "    - not valid!\n"
        "channels: conda-forge\n"
    )
    got = parse_environment_text(text, REL)
    assert [(d.name, d.ecosystem, d.location.line) for d in got.dependencies] == [
        ("numpy", "conda", 2),
        ("requests", "pypi", 8),
    ]
    assert got.errors == [
        ScanError(Location(REL, 3), "unsupported entry 'conda' in dependencies"),
        ScanError(Location(REL, 4), "invalid conda package spec '=bad': no package name"),
        ScanError(
            Location(REL, 5),
            "invalid conda package spec 'name=1=2=3': expected name=version[=build]",
        ),
        ScanError(Location(REL, 6), "a dependency must be a string or a `pip:` list"),
        ScanError(Location(REL, 9), "a pip requirement must be a string"),
        ScanError(
            Location(REL, 10),
            "invalid requirement: Expected semicolon (after name with "
            "no version specifier) or end: not valid!",
        ),
        ScanError(Location(REL, 11), "channels must be a list"),
    ]


def test_broken_yaml_fixture() -> None:
    path = FIX / "bad" / "requirements" / "conda-broken" / REL
    got = collect(FileRef(path, REL, path.stat().st_size), Config())
    assert got.dependencies == []
    assert got.errors == [
        ScanError(
            Location(REL, 5),
            "invalid YAML: while parsing a flow sequence expected ',' or "
            "']', but got '<stream end>'",
        )
    ]


def test_hostile_yaml() -> None:
    assert parse_environment_text("- a\n- b\n", REL).errors == [
        ScanError(Location(REL, 1), "a conda environment file must be a mapping")
    ]
    # Python tags are refused by the safe loader, never constructed
    got = parse_environment_text("dependencies: !!python/object/apply:os.system ['id']\n", REL)
    assert got.dependencies == []
    assert got.errors == [
        ScanError(
            Location(REL, 1), "unsupported YAML tag tag:yaml.org,2002:python/object/apply:os.system"
        )
    ]
    got = parse_environment_text("dependencies:\n  - !custom numpy\n  - scipy\n", REL)
    assert [d.name for d in got.dependencies] == ["scipy"]
    assert got.errors == [ScanError(Location(REL, 2), "unsupported YAML tag !custom")]
    # a recursive alias and deep nesting do not hang or crash
    assert parse_environment_text("dependencies: &x [*x]\n", REL).errors == [
        ScanError(Location(REL, 1), "a dependency must be a string or a `pip:` list")
    ]
    deep = parse_environment_text("dependencies: " + "[" * 3000 + "]" * 3000, REL)
    assert deep.errors == [ScanError(Location(REL), "invalid YAML: nested too deeply")]
    assert parse_environment_text("", REL).errors == []


def test_bracket_values_may_hold_commas_in_quotes() -> None:
    assert parse_conda_spec("numpy[version='>=1.24,<2', build=py311*]") == CondaSpec(
        "numpy", ">=1.24,<2", None, "py311*"
    )
    with pytest.raises(ValueError, match="unclosed quote"):
        parse_conda_spec("numpy[version='>=1.24]")


def test_inline_suppressions() -> None:
    from aibom.model import Suppression

    got = parse_environment_text(
        "dependencies:\n  - python=3.11  # aibom: ignore[AIB101]\n  - pip:\n"
        "    - torch>=2  # aibom: ignore\n",
        REL,
    )
    assert [(d.name, d.location.line) for d in got.dependencies] == [("python", 2), ("torch", 4)]
    assert got.suppressions == [
        Suppression(Location(REL, 2), ("AIB101",), ""),
        Suppression(Location(REL, 4), (), ""),
    ]
