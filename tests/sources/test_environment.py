"""Installed environments (aibom.sources.environment) against a real site-packages written by
pip and a real setuptools egg-info (fixtures/envs, see HOW-MADE.md), and broken copies of
them made in a temporary folder."""

from __future__ import annotations

import json
import os
import shutil
from email.message import Message
from pathlib import Path

import pytest

from aibom.config import Config
from aibom.model import Collected, Hash, Location, ScanError, SourceKind
from aibom.scan import collect
from aibom.sources import environment
from aibom.sources.environment import collect_environment, find_site_packages, licenses_of

# sha256 of each RECORD file as pip wrote it
RECORDS = {
    "attrs": "1a7170ab99e15f03933a9dba9da55cc268a8a9052f7b19a6ffd9b3dac4fb4e72",
    "colorama": "d3ed23a108446dcdfcbe96a3f3a4e3650dc7f72410e270114ebae1a4b1ea1da3",
    "python-dateutil": "bd0997a690c878106dd2e7c5332f5b1e9242bf383f25b489497fb498e21d89b0",
    "requests": "2451438aa12bf29d9becb39f55a65c0eb4b3bcc5aaa8d67e4d275927d68d4fbf",
    "six": "1c94725b0668d91e3fa8238d5ad89bf5ee2e77c06ff751bb967d793fe22d1bb5",
}


def env_of(path: Path) -> Collected:
    return collect_environment(path, Config())


def test_site_packages_folder(fixtures: Path) -> None:
    env = fixtures / "envs" / "site-packages"
    got = env_of(env)
    assert got.errors == []
    shown = env.as_posix()
    assert [
        (d.name, d.version, d.specifier, d.location, d.licenses, d.requires)
        for d in got.dependencies
    ] == [
        (
            "attrs",
            "26.1.0",
            "==26.1.0",
            Location(f"{shown}/attrs-26.1.0.dist-info/METADATA"),
            ("MIT",),  # PEP 639 License-Expression
            (),
        ),
        (
            "colorama",
            "0.4.6",
            "==0.4.6",
            Location(f"{shown}/colorama-0.4.6.dist-info/METADATA"),
            ("BSD License",),  # only a classifier, which names no single SPDX licence
            (),
        ),
        (
            "python-dateutil",
            "4.0.0",
            "==4.0.0",
            Location(f"{shown}/python_dateutil-4.0.0.dist-info/METADATA"),
            ("BSD-3-Clause",),
            ("tzdata",),
        ),
        (
            "requests",
            "2.32.5",
            "==2.32.5",
            Location(f"{shown}/requests-2.32.5.dist-info/METADATA"),
            ("Apache-2.0",),  # from the classifier
            # PySocks and chardet are behind `extra == ...` markers: not edges
            ("certifi", "charset-normalizer", "idna", "urllib3"),
        ),
        (
            "six",
            "1.17.0",
            "==1.17.0",
            Location(f"{shown}/six-1.17.0.dist-info/METADATA"),
            ("MIT",),
            (),
        ),
    ]
    for dep in got.dependencies:
        assert dep.source is SourceKind.ENVIRONMENT
        assert dep.direct is False
        assert dep.hashes == ()
        assert dep.file_hashes == (Hash("sha256", RECORDS[dep.name]),)
    assert [d.properties for d in got.dependencies] == [
        (("aibom:record:files", "37"), ("aibom:installer", "pip")),
        (("aibom:record:files", "19"), ("aibom:installer", "pip")),
        (("aibom:record:files", "28"), ("aibom:installer", "pip")),
        (("aibom:record:files", "25"), ("aibom:installer", "pip")),
        (("aibom:record:files", "8"), ("aibom:installer", "pip")),
    ]


def test_virtualenv_root_with_egg_info(fixtures: Path) -> None:
    env = fixtures / "envs" / "venv"
    got = env_of(env)
    assert got.errors == []
    site = f"{env.as_posix()}/lib/python3.11/site-packages"
    legacy, six = got.dependencies
    assert (legacy.name, legacy.version, legacy.location, legacy.licenses, legacy.requires) == (
        "legacy-tool",
        "1.4.2",
        Location(f"{site}/legacy_tool-1.4.2-py3.11.egg-info/PKG-INFO"),
        ("MIT",),
        # from requires.txt: the `[:sys_platform == "win32"]` section is required, `[yaml]`
        # belongs to the extra
        ("colorama", "six"),
    )
    assert legacy.file_hashes == ()
    assert legacy.properties == (("aibom:metadata", "egg-info"), ("aibom:record", "missing"))
    assert (six.name, six.location) == ("six", Location(f"{site}/six-1.17.0.dist-info/METADATA"))
    assert six.file_hashes == (Hash("sha256", RECORDS["six"]),)


def test_windows_layout_and_single_file_egg_info(tmp_path: Path, fixtures: Path) -> None:
    site = tmp_path / "Lib" / "site-packages"
    site.mkdir(parents=True)
    (tmp_path / "pyvenv.cfg").write_text("home = C:\\Python311\n")
    shutil.copytree(
        fixtures / "envs/site-packages/six-1.17.0.dist-info", site / "six-1.17.0.dist-info"
    )
    # distutils wrote egg-info as one file (the PKG-INFO itself)
    (site / "oldlib-0.9-py3.11.egg-info").write_text(
        "Metadata-Version: 1.0\nName: oldlib\nVersion: 0.9\nLicense: UNKNOWN\n"
    )
    assert find_site_packages(tmp_path) == [site]
    got = env_of(tmp_path)
    assert got.errors == []
    shown = f"{tmp_path.as_posix()}/Lib/site-packages"
    assert [(d.name, d.version, d.location.path, d.licenses) for d in got.dependencies] == [
        ("oldlib", "0.9", f"{shown}/oldlib-0.9-py3.11.egg-info", ()),
        ("six", "1.17.0", f"{shown}/six-1.17.0.dist-info/METADATA", ("MIT",)),
    ]


def test_not_an_environment(tmp_path: Path, fixtures: Path) -> None:
    envs = fixtures / "envs"
    assert env_of(envs).errors == [
        ScanError(
            Location(envs.as_posix()),
            "no site-packages and no *.dist-info / *.egg-info found: not an installed environment",
        )
    ]
    missing = tmp_path / "nope"
    assert env_of(missing).errors == [
        ScanError(Location(missing.as_posix()), "environment not found")
    ]
    file = tmp_path / "file.txt"
    file.write_text("x")
    assert env_of(file).errors == [
        ScanError(
            Location(file.as_posix()), "not a folder (expected a virtualenv or site-packages)"
        )
    ]


def copy_dist(fixtures: Path, tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(fixtures / "envs" / "site-packages" / name, target)
    return target


def test_broken_distributions_are_errors_and_the_rest_is_read(
    tmp_path: Path, fixtures: Path
) -> None:
    # METADATA without a Version
    attrs = copy_dist(fixtures, tmp_path, "attrs-26.1.0.dist-info")
    text = (attrs / "METADATA").read_text(encoding="utf-8")
    (attrs / "METADATA").write_text(text.replace("Version: 26.1.0\n", "", 1), encoding="utf-8")
    # no METADATA at all
    colorama = copy_dist(fixtures, tmp_path, "colorama-0.4.6.dist-info")
    (colorama / "METADATA").unlink()
    # a RECORD row with two fields, and a malformed Requires-Dist
    requests = copy_dist(fixtures, tmp_path, "requests-2.32.5.dist-info")
    record = (requests / "RECORD").read_text(encoding="utf-8").splitlines()
    record[2] = "requests/api.py,sha256=abc"
    (requests / "RECORD").write_text("\n".join(record) + "\n", encoding="utf-8")
    text = (requests / "METADATA").read_text(encoding="utf-8")
    (requests / "METADATA").write_text(
        text.replace("Requires-Dist: idna<4,>=2.5\n", "Requires-Dist: idna <<< 4\n", 1),
        encoding="utf-8",
    )
    # METADATA that is a folder
    six = copy_dist(fixtures, tmp_path, "six-1.17.0.dist-info")
    (six / "METADATA").unlink()
    (six / "METADATA").mkdir()

    got = env_of(tmp_path)
    shown = tmp_path.as_posix()
    assert got.errors == [
        ScanError(
            Location(f"{shown}/attrs-26.1.0.dist-info/METADATA"),
            "installed distribution metadata has no Version",
        ),
        ScanError(
            Location(f"{shown}/colorama-0.4.6.dist-info/METADATA"),
            "installed distribution metadata: cannot read: No such file or directory",
        ),
        ScanError(
            Location(f"{shown}/requests-2.32.5.dist-info/METADATA"),
            "malformed Requires-Dist 'idna <<< 4': edge not recorded",
        ),
        ScanError(
            Location(f"{shown}/requests-2.32.5.dist-info/RECORD", 3),
            "RECORD row has 2 fields, expected 3 (path, hash, size)",
        ),
        ScanError(
            Location(f"{shown}/six-1.17.0.dist-info/METADATA"),
            "installed distribution metadata: not a regular file",
        ),
    ]
    (requests_dep,) = got.dependencies
    assert requests_dep.requires == ("certifi", "charset-normalizer", "urllib3")
    assert requests_dep.properties[0] == ("aibom:record:files", "24")


def test_latin1_metadata_and_missing_record(tmp_path: Path) -> None:
    dist = tmp_path / "caf-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_bytes(
        b"Metadata-Version: 2.1\nName: caf\nVersion: 1.0\nLicense: Licence libre \xe9\n"
    )
    got = env_of(tmp_path)
    assert got.errors == []
    (dep,) = got.dependencies
    assert (dep.licenses, dep.file_hashes, dep.properties) == (
        ("Licence libre \u00e9",),
        (),
        (("aibom:record", "missing"),),
    )


def write_direct_url(tmp_path: Path, name: str, data: object) -> Path:
    dist = tmp_path / f"{name}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist / "RECORD").write_text(f"{name}-1.0.dist-info/METADATA,,\n")
    (dist / "direct_url.json").write_text(
        data if isinstance(data, str) else json.dumps(data), encoding="utf-8"
    )
    return dist


def test_pep610_direct_url(tmp_path: Path) -> None:
    write_direct_url(
        tmp_path,
        "fromgit",
        {
            "url": "https://user:tok@github.com/acme/fromgit.git",
            "vcs_info": {"vcs": "git", "commit_id": "a" * 40, "requested_revision": "main"},
        },
    )
    write_direct_url(
        tmp_path,
        "fromurl",
        {
            "url": "https://files.example.com/fromurl-1.0.tar.gz",
            "archive_info": {"hashes": {"sha256": "ABCD"}},
        },
    )
    write_direct_url(
        tmp_path, "local", {"url": "file:///src/local", "dir_info": {"editable": True}}
    )
    write_direct_url(tmp_path, "zbroken", "{not json")
    got = env_of(tmp_path)
    assert [
        (d.name, d.url, d.url_kind, d.vcs_ref, d.editable, d.hashes) for d in got.dependencies
    ] == [
        (
            "fromgit",
            "git+https://***@github.com/acme/fromgit.git",
            "vcs",
            "a" * 40,
            False,
            (),
        ),
        (
            "fromurl",
            "https://files.example.com/fromurl-1.0.tar.gz",
            "url",
            None,
            False,
            (Hash("sha256", "abcd"),),
        ),
        ("local", "file:///src/local", "path", None, True, ()),
        ("zbroken", None, None, None, False, ()),
    ]
    assert ("credentials", "redacted") in got.dependencies[0].properties
    assert got.errors == [
        ScanError(
            Location(f"{tmp_path.as_posix()}/zbroken-1.0.dist-info/direct_url.json", 1),
            "not valid JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        )
    ]


def test_oversized_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(environment, "MAX_METADATA_BYTES", 20)
    dist = tmp_path / "big-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: big\nVersion: 1.0\n")
    assert env_of(tmp_path).errors == [
        ScanError(
            Location(f"{tmp_path.as_posix()}/big-1.0.dist-info/METADATA"),
            "installed distribution metadata: too large to read (45 bytes, limit 20)",
        )
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_metadata_does_not_hang(tmp_path: Path) -> None:
    dist = tmp_path / "fifo-1.0.dist-info"
    dist.mkdir()
    os.mkfifo(dist / "METADATA")
    assert env_of(tmp_path).errors == [
        ScanError(
            Location(f"{tmp_path.as_posix()}/fifo-1.0.dist-info/METADATA"),
            "installed distribution metadata: not a regular file",
        )
    ]


def headers(*lines: str) -> Message:
    msg = Message()
    for line in lines:
        key, _, value = line.partition(": ")
        msg[key] = value
    return msg


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (("License-Expression: MIT OR Apache-2.0", "License: BSD"), ("MIT OR Apache-2.0",)),
        (
            (
                "Classifier: License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)",
                "Classifier: License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)",
                "License: see LICENSE",
            ),
            ("GPL-3.0-or-later", "MPL-2.0"),
        ),
        (
            ("Classifier: License :: OSI Approved :: BSD License", "License: BSD-2-Clause"),
            ("BSD-2-Clause",),
        ),
        (
            ("Classifier: License :: OSI Approved :: BSD License", "License: UNKNOWN"),
            ("BSD License",),
        ),
        (("Classifier: License :: OSI Approved", "License: " + "x" * 101), ()),
        (("Classifier: Programming Language :: Python", "License: ISC"), ("ISC",)),
        (("Classifier: License :: Public Domain",), ("Public Domain",)),
    ],
)
def test_licence_precedence(lines: tuple[str, ...], expected: tuple[str, ...]) -> None:
    assert licenses_of(headers(*lines)) == expected


def test_scan_with_env_option(tmp_path: Path, fixtures: Path) -> None:
    env = fixtures / "envs" / "venv"
    inventory = collect(Config(roots=(tmp_path,), envs=(env,), workers=1))
    assert inventory.errors == []
    assert [(d.name, d.version, d.source) for d in inventory.dependencies] == [
        ("legacy-tool", "1.4.2", SourceKind.ENVIRONMENT),
        ("six", "1.17.0", SourceKind.ENVIRONMENT),
    ]
