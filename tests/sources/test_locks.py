"""Lock-file sources (aibom.sources.locks) against real locks written by poetry, uv, pipenv,
pdm and pip (fixtures/projects/*, see their HOW-MADE.md), malformed copies of them
(fixtures/bad/locks) and small hand-written locks for the source kinds the real fixtures
cannot show offline (git, URL and credentials)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from aibom.config import Config
from aibom.model import Collected, Dependency, FileRef, Hash, Location, ScanError, SourceKind
from aibom.scan import collect
from aibom.sources import locks

# Artifact sha256 digests as PyPI publishes them (and every lock records them).
CLICK = {
    "8bb5376d2006950386f8c6427613334a2acadc5f559cb80e638d00b4df957e37",  # wheel
    "9bbfada76703fd1d784b83eea012e3e8c6a001a876543ef104fa56aaaeb072b4",  # sdist
}
COLORAMA = {
    "4f1d9991f5acc0ca119f9d443620b77f9d6b33703e51011c16baf57afb285fc6",
    "08695f5cb7ed6e0531a20572697297273c47b8cae5a63ffc6d6ed5c201be6e44",
}
INICONFIG = {
    "9121e2c1fdb355232495be3194c8dfe87ccc2d5dee45947b78e68f499790d7a7",
    "67f4b9c50da0dedf52af349e7749a80a9057a5031199791b906c3bb3ae878960",
}
DATEUTIL3 = {
    "3c79630202e4152c6add678446984236efe4f57e84d8e892aab0637bab82e9fd",
    "7ebcb3c29a92f3ceafe79a7a48a5c45677e9e004bbeec5742ac0bbb00560b7a2",
}
DATEUTIL4 = {
    "a5e246f79eb80475e691bf93862cead98decd8a498cf53ba0516fcdc0f50dc1c",
    "d7295ff14fdc0f92f662100bfb6c551d160ca090f2939f1ec5b9794265c03f06",
}
SIX = {
    "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274",
    "ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81",
}
TZDATA = {
    "0a10eec6e13ef16b627fabed9a5f2ba61a62b1c67f327305f4e7e412a70b4aec",
    "85d2cd9c09f81f0bb29db27759fc83af4f1e620efb814f8c5bf8b4cc4feece6d",
}
ATTRS = {
    "c647aa4a12dfbad9333ca4e71fe62ddc36f4e63b2d260a37a8b83d2f043ac309",
    "d03ceb89cb322a8fd706d4fb91940737b6642aa36998fe130a9bc96c985eff32",
}
NONE: set[str] = set()
PYPI = "https://pypi.org/simple"

POETRY_HASH = "aed9442480202eac1dea7fc237339bf1f08b3fbbab83c72d9166f47cdd79e6a1"
PIPFILE_HASH = "5a18aeb42f71d9e6c19f262fee1990364d00f81c0a5f90687a42ade551ec5c6d"
PDM_HASH = "sha256:7ab4792ef687a78cec03021c4a9c445e8af4dd4e0e644c96874ec238ae586156"

COLLECTORS = {
    "poetry.lock": locks.collect_poetry,
    "uv.lock": locks.collect_uv,
    "Pipfile.lock": locks.collect_pipfile,
    "pdm.lock": locks.collect_pdm,
}


def run(path: Path, rel: str) -> Collected:
    collector = COLLECTORS.get(path.name, locks.collect_pylock)
    return collector(FileRef(path, rel, path.stat().st_size), Config())


def facts(dep: Dependency) -> tuple[object, ...]:
    """The facts a lock gives about one package, in a comparable shape."""
    return (
        dep.name,
        dep.version,
        dep.specifier,
        dep.location.line,
        dep.direct,
        dep.scope,
        dep.group,
        dep.marker,
        dep.requires,
        {h.value for h in dep.hashes},
    )


def props(dep: Dependency) -> dict[str, str]:
    return dict(dep.properties)


# ---------------------------------------------------------------------------------------
# poetry.lock


def test_poetry_lock_packages_hashes_edges_and_groups(fixtures: Path) -> None:
    rel = "poetry-app/poetry.lock"
    got = run(fixtures / "projects" / rel, rel)
    assert got.errors == []
    assert [facts(d) for d in got.dependencies] == [
        ("click", "8.5.1", "==8.5.1", 4, True, "required", None, None, (), CLICK),
        (
            "colorama",
            "0.4.6",
            "==0.4.6",
            21,
            True,
            "required",
            None,
            'sys_platform == "win32"',
            (),
            COLORAMA,
        ),
        ("helper", "0.2.0", "==0.2.0", 39, True, "required", None, None, ("six",), NONE),
        ("iniconfig", "2.3.1", "==2.3.1", 56, True, "optional", "dev", None, (), INICONFIG),
        (
            "python-dateutil",
            "3.0.0",
            "==3.0.0",
            73,
            True,
            "required",
            None,
            None,
            ("six", "tzdata"),
            DATEUTIL3,
        ),
        # required by other locked packages: not provably direct
        ("six", "1.17.0", "==1.17.0", 94, False, "required", None, None, (), SIX),
        ("tzdata", "2026.6", "==2026.6", 111, False, "required", None, None, (), TZDATA),
    ]
    assert all(d.source is SourceKind.POETRY_LOCK for d in got.dependencies)
    assert all(d.location.path == rel for d in got.dependencies)
    click = got.dependencies[0]
    assert click.hashes == (
        Hash("sha256", "8bb5376d2006950386f8c6427613334a2acadc5f559cb80e638d00b4df957e37"),
        Hash("sha256", "9bbfada76703fd1d784b83eea012e3e8c6a001a876543ef104fa56aaaeb072b4"),
    )
    # the lock's manifest hash, and whether it matches the pyproject.toml beside it
    assert click.properties == (
        ("aibom:index", PYPI),
        ("aibom:lock:content-hash", POETRY_HASH),
        ("aibom:lock:manifest", "poetry-app/pyproject.toml"),
        ("aibom:lock:content-hash-matches", "true"),
    )
    helper = got.dependencies[2]
    assert (helper.url, helper.url_kind, helper.editable) == ("libs/helper", "path", True)
    assert props(helper) == {
        "aibom:lock:content-hash": POETRY_HASH,
        "aibom:lock:manifest": "poetry-app/pyproject.toml",
        "aibom:lock:content-hash-matches": "true",
    }


def test_poetry_lock_version_1_layout(tmp_path: Path) -> None:
    """Poetry 1.x locks: `category`, hashes in [metadata.files], git sources (hand-written
    in the 1.x layout: the real fixture is a 2.1 lock)."""
    lock = tmp_path / "poetry.lock"
    lock.write_text(
        """\
[[package]]
name = "Requests"
version = "2.31.0"
description = "HTTP"
category = "main"
optional = false
python-versions = ">=3.7"

[package.dependencies]
certifi = ">=2017.4.17"
PySocks = {version = ">=1.5.6", optional = true, markers = "extra == 'socks'"}

[[package]]
name = "certifi"
version = "2024.2.2"
description = "certs"
category = "dev"
optional = false
python-versions = ">=3.6"

[[package]]
name = "private-lib"
version = "0.3.0"
description = "from git"
category = "main"
optional = true
python-versions = "*"
develop = false

[package.source]
type = "git"
url = "https://deploy:s3cret@git.example.com/acme/private-lib.git"
reference = "main"
resolved_reference = "0123456789abcdef0123456789abcdef01234567"

[metadata]
lock-version = "1.1"
python-versions = "^3.8"
content-hash = "abc123"

[metadata.files]
requests = [
    {file = "requests-2.31.0-py3-none-any.whl", hash = "sha256:AAAA"},
]
certifi = []
""",
        encoding="utf-8",
    )
    got = run(lock, "poetry.lock")
    assert got.errors == []
    assert [facts(d) for d in got.dependencies] == [
        (
            "Requests",
            "2.31.0",
            "==2.31.0",
            2,
            True,
            "required",
            None,
            None,
            ("certifi",),  # PySocks (optional, not locked) is no edge
            {"aaaa"},
        ),
        ("certifi", "2024.2.2", "==2024.2.2", 14, False, "optional", "dev", None, (), NONE),
        ("private-lib", "0.3.0", "==0.3.0", 22, True, "optional", None, None, (), NONE),
    ]
    git = got.dependencies[2]
    assert (git.url, git.url_kind, git.vcs_ref) == (
        "git+https://***@git.example.com/acme/private-lib.git",
        "vcs",
        "0123456789abcdef0123456789abcdef01234567",
    )
    assert props(git) == {"credentials": "redacted", "aibom:lock:content-hash": "abc123"}


# ---------------------------------------------------------------------------------------
# uv.lock


def test_uv_lock_root_edges_forks_extras_and_dev_groups(fixtures: Path) -> None:
    rel = "uv-app/uv.lock"
    got = run(fixtures / "projects" / rel, rel)
    assert got.errors == []
    # the project's own `virtual = "."` entry (uv-app) is not a dependency
    assert [facts(d) for d in got.dependencies] == [
        ("attrs", "26.1.0", "==26.1.0", 10, True, "optional", "attrs", None, (), ATTRS),
        ("click", "8.5.1", "==8.5.1", 19, True, "required", None, None, (), CLICK),
        (
            "colorama",
            "0.4.6",
            "==0.4.6",
            28,
            True,
            "required",
            None,
            "sys_platform == 'win32'",
            (),
            COLORAMA,
        ),
        ("helper", "0.2.0", "==0.2.0", 37, True, "required", None, None, ("six",), NONE),
        ("iniconfig", "2.3.1", "==2.3.1", 48, True, "optional", "dev", None, (), INICONFIG),
        (
            "python-dateutil",
            "3.0.0",
            "==3.0.0",
            57,
            True,
            "required",
            None,
            "python_full_version < '3.11'",
            ("six", "tzdata"),
            DATEUTIL3,
        ),
        (
            "python-dateutil",
            "4.0.0",
            "==4.0.0",
            73,
            True,
            "required",
            None,
            "python_full_version >= '3.11'",
            ("tzdata",),
            DATEUTIL4,
        ),
        ("six", "1.17.0", "==1.17.0", 88, False, "required", None, None, (), SIX),
        ("tzdata", "2026.6", "==2026.6", 97, False, "required", None, None, (), TZDATA),
    ]
    assert props(got.dependencies[1]) == {"aibom:index": PYPI}
    helper = got.dependencies[3]
    assert (helper.url, helper.url_kind, helper.editable, helper.properties) == (
        "libs/helper",
        "path",
        False,
        (),
    )


def test_uv_lock_git_url_editable_and_workspace_members(tmp_path: Path) -> None:
    """Source kinds the offline fixture cannot show, in uv's own syntax."""
    lock = tmp_path / "uv.lock"
    lock.write_text(
        """\
version = 1
requires-python = ">=3.10"

[manifest]
members = ["app", "lib-a"]

[[package]]
name = "app"
version = "1.0.0"
source = { editable = "." }
dependencies = [
    { name = "lib-a" },
    { name = "tool", extra = ["fast"] },
]

[[package]]
name = "lib-a"
version = "0.1.0"
source = { editable = "packages/lib-a" }
dependencies = [{ name = "vendored" }]

[[package]]
name = "tool"
version = "2.0"
source = { git = "https://tok:x@github.com/acme/tool?rev=v2#89abcdef89abcdef89abcdef89abcdef89abcdef" }

[package.optional-dependencies]
fast = [{ name = "speedups", marker = "platform_machine == 'x86_64'" }]

[[package]]
name = "speedups"
version = "1.1"
source = { url = "https://files.example.com/speedups-1.1.tar.gz" }
sdist = { hash = "sha256:BEEF" }

[[package]]
name = "vendored"
source = { editable = "vendor/vendored" }
""",
        encoding="utf-8",
    )
    got = run(lock, "uv.lock")
    assert got.errors == []
    assert [
        (d.name, d.version, d.specifier, d.direct, d.scope, d.marker, d.url, d.url_kind, d.editable)
        for d in got.dependencies
    ] == [
        (
            "tool",
            "2.0",
            "==2.0",
            True,
            "required",
            None,
            "git+https://***@github.com/acme/tool",
            "vcs",
            False,
        ),
        (
            "speedups",
            "1.1",
            "==1.1",
            False,
            "required",
            "platform_machine == 'x86_64'",
            "https://files.example.com/speedups-1.1.tar.gz",
            "url",
            False,
        ),
        # a local source tree without a version is not an error; a dependency of a
        # workspace member is direct
        ("vendored", None, "", True, "required", None, "vendor/vendored", "path", True),
    ]
    assert got.dependencies[0].vcs_ref == "89abcdef89abcdef89abcdef89abcdef89abcdef"
    assert props(got.dependencies[0]) == {"credentials": "redacted"}
    assert got.dependencies[1].hashes == (Hash("sha256", "beef"),)


# ---------------------------------------------------------------------------------------
# Pipfile.lock


def test_pipfile_lock_sections_indexes_and_unpinned_entries(fixtures: Path) -> None:
    rel = "pipenv-app/Pipfile.lock"
    got = run(fixtures / "projects" / rel, rel)
    assert got.errors == []
    # Pipfile.lock records no edges; the Pipfile beside it names the direct packages
    assert [facts(d) for d in got.dependencies] == [
        (
            "click",
            "8.5.1",
            "==8.5.1",
            19,
            True,
            "required",
            None,
            "python_version >= '3.10'",
            (),
            CLICK,
        ),
        # pipenv wrote `"version": "*"` and no hashes (its marker is false where it ran)
        ("colorama", None, "", 28, True, "required", None, "sys_platform == 'win32'", (), NONE),
        (
            "python-dateutil",
            "4.0.0",
            "==4.0.0",
            32,
            True,
            "required",
            None,
            "python_version >= '3.11'",
            (),
            DATEUTIL4,
        ),
        (
            "tzdata",
            "2026.6",
            "==2026.6",
            41,
            False,
            "required",
            None,
            "python_version >= '2'",
            (),
            TZDATA,
        ),
        (
            "iniconfig",
            "2.3.1",
            "==2.3.1",
            51,
            True,
            "optional",
            "develop",
            "python_version >= '3.10'",
            (),
            INICONFIG,
        ),
    ]
    # `"index": "pypi"` is resolved through _meta.sources to its URL
    assert props(got.dependencies[0]) == {
        "aibom:index": PYPI,
        "aibom:lock:content-hash": PIPFILE_HASH,
        "aibom:lock:manifest": "pipenv-app/Pipfile",
        "aibom:lock:content-hash-matches": "true",
    }
    assert props(got.dependencies[3]) == {
        "aibom:lock:content-hash": PIPFILE_HASH,
        "aibom:lock:manifest": "pipenv-app/Pipfile",
        "aibom:lock:content-hash-matches": "true",
    }


def test_pipfile_lock_git_file_and_path_entries(tmp_path: Path) -> None:
    lock = tmp_path / "Pipfile.lock"
    lock.write_text(
        """{
    "_meta": {"hash": {"sha256": "ff"}, "sources": []},
    "default": {
        "tool": {"editable": true, "git": "https://u:p@git.example.com/tool.git", "ref": "abc123"},
        "wheelhouse": {"file": "https://files.example.com/w-1.0-py3-none-any.whl"},
        "local": {"path": "./libs/local", "editable": true},
        "exact": {"version": "===1.0.post1"}
    },
    "docs": {
        "sphinx": {"version": "==7.2.6", "hashes": ["sha256:AB", "sha256:cd"]},
        "hashes": {"version": "==0.1"}
    }
}
""",
        encoding="utf-8",
    )
    got = run(lock, "Pipfile.lock")
    assert got.errors == []
    assert [
        (d.name, d.version, d.specifier, d.location.line, d.scope, d.group, d.url, d.url_kind)
        for d in got.dependencies
    ] == [
        (
            "tool",
            None,
            "",
            4,
            "required",
            None,
            "git+https://***@git.example.com/tool.git",
            "vcs",
        ),
        (
            "wheelhouse",
            None,
            "",
            5,
            "required",
            None,
            "https://files.example.com/w-1.0-py3-none-any.whl",
            "url",
        ),
        ("local", None, "", 6, "required", None, "./libs/local", "path"),
        ("exact", "1.0.post1", "==1.0.post1", 7, "required", None, None, None),
        ("sphinx", "7.2.6", "==7.2.6", 10, "optional", "docs", None, None),
        # a package named like a field is found at its own key, not at sphinx's field
        ("hashes", "0.1", "==0.1", 11, "optional", "docs", None, None),
    ]
    # no Pipfile beside the lock: which packages are direct is not known
    assert [d.direct for d in got.dependencies] == [False] * 6
    tool = got.dependencies[0]
    assert (tool.vcs_ref, tool.editable) == ("abc123", True)
    assert props(tool) == {"credentials": "redacted", "aibom:lock:content-hash": "ff"}
    assert got.dependencies[4].hashes == (Hash("sha256", "ab"), Hash("sha256", "cd"))


# ---------------------------------------------------------------------------------------
# pdm.lock


def test_pdm_lock_groups_markers_and_edges(fixtures: Path) -> None:
    rel = "pdm-app/pdm.lock"
    got = run(fixtures / "projects" / rel, rel)
    assert got.errors == []
    assert [facts(d) for d in got.dependencies] == [
        ("attrs", "26.1.0", "==26.1.0", 14, True, "optional", "attrs", None, (), ATTRS),
        ("click", "8.5.1", "==8.5.1", 25, True, "required", None, None, (), CLICK),
        (
            "colorama",
            "0.4.6",
            "==0.4.6",
            36,
            True,
            "required",
            None,
            'sys_platform == "win32"',
            (),
            COLORAMA,
        ),
        ("iniconfig", "2.3.1", "==2.3.1", 48, True, "optional", "dev", None, (), INICONFIG),
        (
            "python-dateutil",
            "3.0.0",
            "==3.0.0",
            59,
            True,
            "required",
            None,
            None,
            ("six", "tzdata"),
            DATEUTIL3,
        ),
        ("six", "1.17.0", "==1.17.0", 74, False, "required", None, None, (), SIX),
        ("tzdata", "2026.6", "==2026.6", 85, False, "required", None, None, (), TZDATA),
    ]
    assert all(
        props(d)
        == {
            "aibom:lock:content-hash": PDM_HASH,
            "aibom:lock:manifest": "pdm-app/pyproject.toml",
            "aibom:lock:content-hash-matches": "true",
        }
        for d in got.dependencies
    )


def test_pdm_lock_vcs_entry_and_extras_entry(tmp_path: Path) -> None:
    lock = tmp_path / "pdm.lock"
    lock.write_text(
        """\
[metadata]
groups = ["default"]
content_hash = "sha256:00"

[[package]]
name = "tool"
version = "0.4.0"
git = "https://github.com/acme/tool.git"
ref = "main"
revision = "fedcba9876543210fedcba9876543210fedcba98"
groups = ["default"]
dependencies = ["requests[socks]>=2; python_version >= '3.8'", "Zope.Interface (>=5)"]

[[package]]
name = "requests"
version = "2.31.0"
extras = ["socks"]
groups = ["default"]
dependencies = ["PySocks!=1.5.7,>=1.5.6", "requests==2.31.0"]
files = [{url = "https://files.example.com/requests-2.31.0.tar.gz", hash = "sha256:01"}]

[[package]]
name = "zope-interface"
version = "6.0"
groups = ["default"]

[[package]]
name = "pysocks"
version = "1.7.1"
groups = ["default"]
""",
        encoding="utf-8",
    )
    got = run(lock, "pdm.lock")
    assert got.errors == []
    tool, requests, _, _ = got.dependencies
    assert (tool.url, tool.url_kind, tool.vcs_ref, tool.requires, tool.direct) == (
        "git+https://github.com/acme/tool.git",
        "vcs",
        "fedcba9876543210fedcba9876543210fedcba98",
        ("requests", "zope-interface"),
        True,
    )
    # the extras entry: its edges minus itself
    assert (requests.extras, requests.requires, requests.direct) == (
        ("socks",),
        ("pysocks",),
        False,
    )
    assert requests.hashes == (Hash("sha256", "01"),)


# ---------------------------------------------------------------------------------------
# PEP 751 pylock.toml


def test_pylock_written_by_pip_lock(fixtures: Path) -> None:
    rel = "pylock-app/pylock.toml"
    got = run(fixtures / "projects" / rel, rel)
    assert got.errors == []
    assert [facts(d) for d in got.dependencies] == [
        (
            "click",
            "8.5.1",
            "==8.5.1",
            5,
            False,
            "required",
            None,
            None,
            (),
            {"8bb5376d2006950386f8c6427613334a2acadc5f559cb80e638d00b4df957e37"},
        ),
        (
            "python-dateutil",
            "4.0.0",
            "==4.0.0",
            16,
            False,
            "required",
            None,
            None,
            (),
            {"a5e246f79eb80475e691bf93862cead98decd8a498cf53ba0516fcdc0f50dc1c"},
        ),
        (
            "tzdata",
            "2026.6",
            "==2026.6",
            27,
            False,
            "required",
            None,
            None,
            (),
            {"0a10eec6e13ef16b627fabed9a5f2ba61a62b1c67f327305f4e7e412a70b4aec"},
        ),
    ]
    assert all(d.source is SourceKind.PYLOCK and d.properties == () for d in got.dependencies)


def test_pylock_exported_by_uv(fixtures: Path) -> None:
    rel = "pylock-app/pylock.uv.toml"
    got = run(fixtures / "projects" / rel, rel)
    assert got.errors == []
    assert [
        (d.name, d.version, d.location.line, d.marker, {h.value for h in d.hashes}, d.url)
        for d in got.dependencies
    ] == [
        ("attrs", "26.1.0", 8, None, ATTRS, None),
        ("click", "8.5.1", 15, None, CLICK, None),
        ("colorama", "0.4.6", 22, "sys_platform == 'win32'", COLORAMA, None),
        ("helper", None, 30, None, NONE, "../uv-app/libs/helper"),
        ("iniconfig", "2.3.1", 34, None, INICONFIG, None),
        ("python-dateutil", "3.0.0", 41, "python_full_version < '3.11'", DATEUTIL3, None),
        ("python-dateutil", "4.0.0", 49, "python_full_version >= '3.11'", DATEUTIL4, None),
        ("six", "1.17.0", 57, None, SIX, None),
        ("tzdata", "2026.6", 64, None, TZDATA, None),
    ]
    assert props(got.dependencies[0]) == {"aibom:index": PYPI}
    helper = got.dependencies[3]
    assert (helper.specifier, helper.url_kind, helper.editable) == ("", "path", False)


def test_pylock_vcs_archive_and_edges(tmp_path: Path) -> None:
    lock = tmp_path / "pylock.dev.toml"
    lock.write_text(
        """\
lock-version = "1.0"
created-by = "hand"

[[packages]]
name = "tool"
vcs = { type = "git", url = "https://github.com/acme/tool.git", commit-id = "0011223344556677889900112233445566778899" }
dependencies = [{ name = "Tar_Ball" }]

[[packages]]
name = "tar-ball"
version = "3.0"
archive = { url = "https://user:pw@files.example.com/tar-ball-3.0.tar.gz", hashes = { sha256 = "AA", sha512 = "bb" } }
""",
        encoding="utf-8",
    )
    got = run(lock, "pylock.dev.toml")
    assert got.errors == []
    tool, tarball = got.dependencies
    assert (tool.url, tool.url_kind, tool.vcs_ref, tool.requires, tool.direct) == (
        "git+https://github.com/acme/tool.git",
        "vcs",
        "0011223344556677889900112233445566778899",
        ("tar-ball",),
        True,
    )
    assert (tarball.url, tarball.url_kind, tarball.hashes, tarball.direct) == (
        "https://***@files.example.com/tar-ball-3.0.tar.gz",
        "url",
        (Hash("sha256", "aa"), Hash("sha512", "bb")),
        False,
    )
    assert props(tarball) == {"credentials": "redacted"}


# ---------------------------------------------------------------------------------------
# Malformed locks: an error with file, line and reason; good entries still read


def bad(fixtures: Path, rel: str) -> Collected:
    return run(fixtures / "bad" / "locks" / rel, rel)


def test_truncated_poetry_lock_is_one_error_at_its_end(fixtures: Path) -> None:
    got = bad(fixtures, "poetry-truncated/poetry.lock")
    assert got.dependencies == []
    assert got.errors == [
        ScanError(
            Location("poetry-truncated/poetry.lock", 11),
            "poetry.lock: not valid TOML: Invalid value (at end of document)",
        )
    ]


def test_non_utf8_poetry_lock(fixtures: Path) -> None:
    got = bad(fixtures, "poetry-not-utf8/poetry.lock")
    assert got.dependencies == []
    assert got.errors == [
        ScanError(
            Location("poetry-not-utf8/poetry.lock", 6),
            "poetry.lock: not valid UTF-8 (byte 0xe9 at offset 170); lock files are UTF-8",
        )
    ]


def test_uv_lock_entry_without_version(fixtures: Path) -> None:
    got = bad(fixtures, "uv-missing-version/uv.lock")
    assert got.errors == [
        ScanError(
            Location("uv-missing-version/uv.lock", 19),
            "uv.lock: package 'click': missing 'version'",
        )
    ]
    assert [(d.name, d.version) for d in got.dependencies] == [
        ("attrs", "26.1.0"),
        ("colorama", "0.4.6"),
        ("helper", "0.2.0"),
        ("iniconfig", "2.3.1"),
        ("python-dateutil", "3.0.0"),
        ("python-dateutil", "4.0.0"),
        ("six", "1.17.0"),
        ("tzdata", "2026.6"),
    ]


def test_uv_lock_of_the_wrong_shape(fixtures: Path) -> None:
    got = bad(fixtures, "uv-wrong-shape/uv.lock")
    assert (got.dependencies, got.errors) == (
        [],
        [
            ScanError(
                Location("uv-wrong-shape/uv.lock", 3),
                "uv.lock: 'package' is not an array of tables",
            )
        ],
    )


def test_pipfile_lock_that_is_not_json(fixtures: Path) -> None:
    got = bad(fixtures, "pipfile-not-json/Pipfile.lock")
    assert (got.dependencies, got.errors) == (
        [],
        [
            ScanError(
                Location("pipfile-not-json/Pipfile.lock", 34),
                "Pipfile.lock: not valid JSON: Unterminated string starting at (column 17)",
            )
        ],
    )


def test_pipfile_lock_bad_entries(fixtures: Path) -> None:
    got = bad(fixtures, "pipfile-bad-entries/Pipfile.lock")
    assert got.errors == [
        ScanError(
            Location("pipfile-bad-entries/Pipfile.lock", 41),
            "Pipfile.lock: package 'tzdata': 'hashes' is str, expected an array",
        ),
        ScanError(
            Location("pipfile-bad-entries/Pipfile.lock", 48),
            "Pipfile.lock: package 'broken': is int, expected an object",
        ),
    ]
    assert [d.name for d in got.dependencies] == [
        "click",
        "colorama",
        "python-dateutil",
        "iniconfig",
    ]


def test_pdm_lock_wrong_types(fixtures: Path) -> None:
    got = bad(fixtures, "pdm-wrong-types/pdm.lock")
    assert got.errors == [
        ScanError(
            Location("pdm-wrong-types/pdm.lock", 25),
            "pdm.lock: package 'click': 'files' is str, expected an array",
        ),
        ScanError(
            Location("pdm-wrong-types/pdm.lock", 71),
            "pdm.lock: package 'six': files: malformed hash "
            "'4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274' "
            "(expected ALG:HEX)",
        ),
    ]
    assert [d.name for d in got.dependencies] == [
        "attrs",
        "colorama",
        "iniconfig",
        "python-dateutil",
        "tzdata",
    ]


def test_pylock_bad_hashes_and_future_version(fixtures: Path) -> None:
    got = bad(fixtures, "pylock-bad-hashes/pylock.toml")
    assert got.errors == [
        ScanError(
            Location("pylock-bad-hashes/pylock.toml", 8),
            "pylock.toml: package 'attrs': sdist: hashes is str, expected a table",
        )
    ]
    assert [d.name for d in got.dependencies] == [
        "click",
        "colorama",
        "helper",
        "iniconfig",
        "python-dateutil",
        "python-dateutil",
        "six",
        "tzdata",
    ]
    future = bad(fixtures, "pylock-future/pylock.toml")
    assert (future.dependencies, future.errors) == (
        [],
        [
            ScanError(
                Location("pylock-future/pylock.toml", 3),
                "pylock.toml: unsupported lock-version '2.0' (aibom reads 1.x)",
            )
        ],
    )


@pytest.mark.parametrize(
    ("name", "text", "line", "reason"),
    [
        (
            "poetry.lock",
            '[[package]]\nversion = "1.0"\n',
            1,
            "poetry.lock: package entry #1: missing 'name'",
        ),
        (
            "poetry.lock",
            '[[package]]\nname = "a"\nversion = 1\n',
            2,
            "poetry.lock: package 'a': 'version' is int, expected a string",
        ),
        (
            "pdm.lock",
            '[[package]]\nname = "a"\nversion = "1"\ndependencies = "b"\n',
            2,
            "pdm.lock: package 'a': 'dependencies' is str, expected an array",
        ),
        (
            "pdm.lock",
            '[[package]]\nname = "a"\nversion = "1"\ndependencies = ["not a requirement"]\n',
            2,
            "pdm.lock: package 'a': malformed dependency 'not a requirement'",
        ),
        (
            "uv.lock",
            'version = 1\n[[package]]\nname = "a"\nversion = "1"\nsource = { registry = 3 }\n',
            3,
            "uv.lock: package 'a': source.registry is int",
        ),
        (
            "pylock.toml",
            'lock-version = "1.0"\n[[packages]]\nname = "a"\nversion = "1"\nwheels = [{ name = "a.whl" }]\n',
            3,
            "pylock.toml: package 'a': wheels without 'hashes' (PEP 751 requires them)",
        ),
        (
            "pylock.toml",
            'created-by = "x"\n',
            None,
            "pylock.toml: missing 'lock-version' (not a PEP 751 lock file?)",
        ),
        ("Pipfile.lock", "[1, 2]", 1, "Pipfile.lock: top level is list, expected an object"),
        ("uv.lock", "a = [[[[", 1, "uv.lock: not valid TOML: Invalid value (at end of document)"),
    ],
)
def test_malformed_entries(
    tmp_path: Path, name: str, text: str, line: int | None, reason: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    got = run(path, name)
    assert got.dependencies == []
    assert got.errors == [ScanError(Location(name, line), reason)]


def test_oversized_lock_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locks, "MAX_LOCK_BYTES", 10)
    path = tmp_path / "uv.lock"
    path.write_text("version = 1\n# padding\n", encoding="utf-8")
    got = run(path, "uv.lock")
    assert got.errors == [
        ScanError(Location("uv.lock"), "uv.lock: lock file too large to read (22 bytes, limit 10)")
    ]


def test_utf8_bom_is_accepted(tmp_path: Path, fixtures: Path) -> None:
    source = fixtures / "projects" / "pdm-app" / "pdm.lock"
    path = tmp_path / "pdm.lock"
    path.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
    got = run(path, "pdm.lock")
    assert got.errors == []
    assert [d.location.line for d in got.dependencies] == [14, 25, 36, 48, 59, 74, 85]


# ---------------------------------------------------------------------------------------
# Lock out of date with its manifest


def test_content_hash_matches_real_locks(fixtures: Path) -> None:
    projects = fixtures / "projects"
    check = locks.lock_content_hash_matches
    assert check(projects / "poetry-app/poetry.lock", projects / "poetry-app/pyproject.toml")
    assert check(projects / "pipenv-app/Pipfile.lock", projects / "pipenv-app/Pipfile")
    assert check(projects / "pdm-app/pdm.lock", projects / "pdm-app/pyproject.toml")
    # uv records no manifest hash
    assert check(projects / "uv-app/uv.lock", projects / "uv-app/pyproject.toml") is None
    # a manifest that is not the lock's
    assert check(projects / "pdm-app/pdm.lock", projects / "uv-app/pyproject.toml") is False


def test_content_hash_follows_manifest_edits(tmp_path: Path, fixtures: Path) -> None:
    projects = fixtures / "projects"
    check = locks.lock_content_hash_matches
    for folder in ("poetry-app", "pipenv-app"):
        shutil.copytree(projects / folder, tmp_path / folder)
    poetry = tmp_path / "poetry-app"
    text = (poetry / "pyproject.toml").read_text(encoding="utf-8")
    # the description is not part of Poetry's hash; a dependency is
    (poetry / "pyproject.toml").write_text(text.replace("a tiny Poetry", "a small Poetry"))
    assert check(poetry / "poetry.lock", poetry / "pyproject.toml") is True
    (poetry / "pyproject.toml").write_text(text.replace('"click>=8.1"', '"click>=8.2"'))
    assert check(poetry / "poetry.lock", poetry / "pyproject.toml") is False

    pipenv = tmp_path / "pipenv-app"
    text = (pipenv / "Pipfile").read_text(encoding="utf-8")
    # pipenv normalises package names before hashing
    (pipenv / "Pipfile").write_text(text.replace("python-dateutil =", "Python_Dateutil ="))
    assert check(pipenv / "Pipfile.lock", pipenv / "Pipfile") is True
    (pipenv / "Pipfile").write_text(text.replace('iniconfig = ">=2.0"', 'iniconfig = ">=2.1"'))
    assert check(pipenv / "Pipfile.lock", pipenv / "Pipfile") is False
    # the collector records the verdict on every entry of the lock
    got = run(pipenv / "Pipfile.lock", "Pipfile.lock")
    assert {props(d)["aibom:lock:content-hash-matches"] for d in got.dependencies} == {"false"}
    assert {props(d)["aibom:lock:manifest"] for d in got.dependencies} == {"Pipfile"}
    # an unreadable manifest: cannot tell
    (pipenv / "Pipfile").write_text("[packages\n")
    assert check(pipenv / "Pipfile.lock", pipenv / "Pipfile") is None
    got = run(pipenv / "Pipfile.lock", "Pipfile.lock")
    assert all("aibom:lock:content-hash-matches" not in props(d) for d in got.dependencies)
    # no manifest beside the lock: nothing recorded either
    (pipenv / "Pipfile").unlink()
    got = run(pipenv / "Pipfile.lock", "Pipfile.lock")
    assert props(got.dependencies[0]) == {
        "aibom:index": PYPI,
        "aibom:lock:content-hash": PIPFILE_HASH,
    }


# ---------------------------------------------------------------------------------------
# Through the scan pipeline (registry dispatch by file name)


def test_scan_dispatches_every_lock(tmp_path: Path, fixtures: Path) -> None:
    projects = fixtures / "projects"
    for folder, name in (
        ("poetry-app", "poetry.lock"),
        ("uv-app", "uv.lock"),
        ("pipenv-app", "Pipfile.lock"),
        ("pdm-app", "pdm.lock"),
        ("pylock-app", "pylock.toml"),
        ("pylock-app", "pylock.uv.toml"),
    ):
        (tmp_path / folder).mkdir(exist_ok=True)
        shutil.copy(projects / folder / name, tmp_path / folder / name)
    inventory = collect(Config(roots=(tmp_path,), workers=1))
    assert inventory.errors == []
    # the pipeline records exactly what each collector returns for its file
    for rel in (
        "poetry-app/poetry.lock",
        "uv-app/uv.lock",
        "pipenv-app/Pipfile.lock",
        "pdm-app/pdm.lock",
        "pylock-app/pylock.toml",
        "pylock-app/pylock.uv.toml",
    ):
        from_scan = [d for d in inventory.dependencies if d.location.path == rel]
        assert from_scan == run(tmp_path / rel, rel).dependencies
        assert from_scan != []
    sources = {dep.location.path: dep.source for dep in inventory.dependencies}
    assert sources == {
        "poetry-app/poetry.lock": SourceKind.POETRY_LOCK,
        "uv-app/uv.lock": SourceKind.UV_LOCK,
        "pipenv-app/Pipfile.lock": SourceKind.PIPFILE_LOCK,
        "pdm-app/pdm.lock": SourceKind.PDM_LOCK,
        "pylock-app/pylock.toml": SourceKind.PYLOCK,
        "pylock-app/pylock.uv.toml": SourceKind.PYLOCK,
    }


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("uv.lock", "a = " + "[" * 200_000, "uv.lock: not valid TOML: nested too deeply"),
        ("Pipfile.lock", "[" * 200_000, "Pipfile.lock: not valid JSON: nested too deeply"),
        ("pdm.lock", "a = " + "{b = " * 50_000, "pdm.lock: not valid TOML: nested too deeply"),
    ],
)
def test_deeply_nested_lock_is_an_error(tmp_path: Path, name: str, text: str, reason: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    got = run(path, name)
    assert (got.dependencies, got.errors) == ([], [ScanError(Location(name), reason)])


def test_uv_lock_dependency_cycle_and_poetry_group_markers(tmp_path: Path) -> None:
    uv = tmp_path / "uv.lock"
    uv.write_text(
        """\
version = 1
[[package]]
name = "app"
version = "0"
source = { virtual = "." }
dependencies = [{ name = "a" }]

[[package]]
name = "a"
version = "1"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "b", marker = "os_name == 'nt'" }]

[[package]]
name = "b"
version = "1"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "a" }]
""",
        encoding="utf-8",
    )
    got = run(uv, "uv.lock")
    assert got.errors == []
    assert [(d.name, d.requires, d.direct, d.marker) for d in got.dependencies] == [
        ("a", ("b",), True, None),
        ("b", ("a",), False, "os_name == 'nt'"),
    ]
    poetry = tmp_path / "poetry.lock"
    poetry.write_text(
        """\
[[package]]
name = "x"
version = "1"
groups = ["main", "dev"]
markers = {main = "python_version < '3.12'", dev = "sys_platform == 'linux'"}
files = []
""",
        encoding="utf-8",
    )
    (x,) = run(poetry, "poetry.lock").dependencies
    assert (x.scope, x.group, x.marker) == (
        "required",
        None,
        "(python_version < '3.12') or (sys_platform == 'linux')",
    )


def test_pipfile_hash_of_older_pipenv(tmp_path: Path) -> None:
    """Locks written before pipenv normalised names carry plette's hash of the names as
    written. The expected value is what pipenv 2026.10.3's vendored plette computes for
    this Pipfile: `plette.Pipfile.load(open("Pipfile")).get_hash().value`."""
    pipfile = tmp_path / "Pipfile"
    pipfile.write_text(
        '[[source]]\nurl = "https://pypi.org/simple"\nverify_ssl = true\nname = "pypi"\n\n'
        '[packages]\n"pyasn1" = ">=0.1.3"\n\n'
        '[dev-packages]\nSphinx = "*"\n'
        'pathlib2 = {version = "*", markers="python_version < \'3.6\'"}\n\n'
        '[requires]\npython_version = "2.7"\n',
        encoding="utf-8",
    )
    lock = tmp_path / "Pipfile.lock"
    plette = "fdc081e1fb97cd8aa3abc9f8bdcc7f4d04de741af8ad10aa231d3e283b14dec6"
    lock.write_text(json.dumps({"_meta": {"hash": {"sha256": plette}}, "default": {}}))
    assert locks.lock_content_hash_matches(lock, pipfile) is True
    lock.write_text(json.dumps({"_meta": {"hash": {"sha256": "0" * 64}}, "default": {}}))
    assert locks.lock_content_hash_matches(lock, pipfile) is False
    lock.write_text('{"_meta": {}, "default": {}}')
    assert locks.lock_content_hash_matches(lock, pipfile) is None


def test_poetry_hash_of_a_tool_poetry_only_project(tmp_path: Path) -> None:
    """Projects without [project] hash the [tool.poetry] keys at top level. The expected
    value is Poetry 2.5.1's own: `Locker(Path("poetry.lock"), pyproject)._content_hash`."""
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[tool.poetry]\nname = "legacy"\nversion = "0.1.0"\ndescription = ""\n'
        'authors = ["A <a@example.com>"]\n\n'
        '[tool.poetry.dependencies]\npython = "^3.10"\nclick = "^8.1"\n\n'
        '[tool.poetry.group.dev.dependencies]\npytest = "^8"\n',
        encoding="utf-8",
    )
    lock = tmp_path / "poetry.lock"
    expected = "1ad4eb0c064223b78c29e8d160b70413082f6f4880d13bd4d02b494f3b0e9277"
    lock.write_text(f'[metadata]\nlock-version = "2.1"\ncontent-hash = "{expected}"\n')
    assert locks.lock_content_hash_matches(lock, pyproject) is True
    pyproject.write_text(pyproject.read_text().replace('"^8.1"', '"^8.2"'))
    assert locks.lock_content_hash_matches(lock, pyproject) is False


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_manifest_or_lock_does_not_hang(tmp_path: Path, fixtures: Path) -> None:
    shutil.copy(fixtures / "projects/poetry-app/poetry.lock", tmp_path / "poetry.lock")
    os.mkfifo(tmp_path / "pyproject.toml")
    check = locks.lock_content_hash_matches
    assert check(tmp_path / "poetry.lock", tmp_path / "pyproject.toml") is None
    os.mkfifo(tmp_path / "uv.lock")
    got = locks.collect_uv(FileRef(tmp_path / "uv.lock", "uv.lock", 0), Config())
    assert got.errors == [ScanError(Location("uv.lock"), "uv.lock: not a regular file")]


def test_uv_lock_extras_that_require_each_other(tmp_path: Path) -> None:
    """a[x] needs b[y] and b[y] needs a[x]: the walk must end."""
    lock = tmp_path / "uv.lock"
    lock.write_text(
        """\
version = 1
[[package]]
name = "app"
version = "0"
source = { virtual = "." }
dependencies = [{ name = "a", extra = ["x"] }]

[[package]]
name = "a"
version = "1"
source = { registry = "https://pypi.org/simple" }

[package.optional-dependencies]
x = [{ name = "b", extra = ["y"] }]

[[package]]
name = "b"
version = "1"
source = { registry = "https://pypi.org/simple" }

[package.optional-dependencies]
y = [{ name = "a", extra = ["x"] }]
""",
        encoding="utf-8",
    )
    got = run(lock, "uv.lock")
    assert got.errors == []
    # the extras' dependencies are the edges of the packages they belong to
    assert [(d.name, d.requires, d.direct, d.scope) for d in got.dependencies] == [
        ("a", ("b",), True, "required"),
        ("b", ("a",), False, "required"),
    ]
