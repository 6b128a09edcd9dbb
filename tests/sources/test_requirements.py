from __future__ import annotations

import os
from pathlib import Path

import pytest

from aibom.config import Config
from aibom.model import FileRef, Hash, IndexOption, Location, ScanError, SourceKind, Suppression
from aibom.sources import classify
from aibom.sources.requirements import (
    MAX_INCLUDE_DEPTH,
    collect,
    parse_requirements_file,
    parse_requirements_text,
)
from aibom.sources.text import decode_bytes

FIX = Path(__file__).resolve().parent.parent.parent / "fixtures"
APP = FIX / "projects" / "app-hashed"
MESSY = FIX / "projects" / "messy"
BAD = FIX / "bad" / "requirements"
REQ = SourceKind.REQUIREMENTS
CON = SourceKind.CONSTRAINTS


def ref(root: Path, rel: str) -> FileRef:
    path = root / rel
    return FileRef(path, rel, path.stat().st_size)


def sha(value: str) -> Hash:
    return Hash("sha256", value)


def test_app_hashed_every_pin_and_hash() -> None:
    got = collect(ref(APP, "requirements.txt"), Config())
    rows = [
        (d.name, d.version, d.specifier, d.location, d.source, d.hashes) for d in got.dependencies
    ]
    assert rows == [
        (
            "certifi",
            "2024.8.30",
            "==2024.8.30",
            Location("requirements.txt", 9),
            REQ,
            (
                sha("922820b53db7a7257ffbda3f597266d435245903d80737e34f8a45ff3e3230d8"),
                sha("bec941d2aa8195e248a60b31ff9f0558284cf01a52591ceda73ea9afffd69fd9"),
            ),
        ),
        (
            "charset-normalizer",
            "3.4.0",
            "==3.4.0",
            Location("requirements.txt", 13),
            REQ,
            (
                sha("223217c3d4f82c3ac5e29032b3f1c2eb0fb591b72161f86d93f5719079dae93e"),
                sha("3710a9751938947e6327ea9f3ea6332a09bf0ba0c09cae9cb1f250bd1f1549bc"),
            ),
        ),
        (
            "idna",
            "3.10",
            "==3.10",
            Location("requirements.txt", 17),
            REQ,
            (
                sha("12f65c9b470abda6dc35cf8e63cc574b1c52b11df2c86030af0ac09b01b13ea9"),
                sha("946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3"),
            ),
        ),
        (
            "requests",
            "2.32.3",
            "==2.32.3",
            Location("requirements.txt", 21),
            REQ,
            (
                sha("55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760"),
                sha("70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6"),
            ),
        ),
        (
            "urllib3",
            "2.2.3",
            "==2.2.3",
            Location("requirements.txt", 25),
            REQ,
            (
                sha("ca899ca043dcb1bafa3e262d73aa25c465bfb49e0bd9dd5d59f1d0acba2f8fac"),
                sha("e7d814a81dad81e6caf2ec9fdedb284ecc9c73076b62654547cc64ccdcae26e9"),
            ),
        ),
    ]
    assert got.index_options == [
        IndexOption("--require-hashes", "", Location("requirements.txt", 7), False)
    ]
    assert got.errors == []
    assert got.dependencies[0].raw == (
        "certifi==2024.8.30     --hash=sha256:922820b53db7a7257ffbda3f597266d435245903d80737e3"
        "4f8a45ff3e3230d8     --hash=sha256:bec941d2aa8195e248a60b31ff9f0558284cf01a52591ceda7"
        "3ea9afffd69fd9"
    )
    assert {d.scope for d in got.dependencies} == {"required"}


def test_app_hashed_requirements_in() -> None:
    assert classify("requirements.in") == "requirements"
    got = collect(ref(APP, "requirements.in"), Config())
    [dep] = got.dependencies
    assert (dep.name, dep.specifier, dep.version, dep.location) == (
        "requests",
        "<3,>=2.32",
        None,
        Location("requirements.in", 2),
    )


def test_messy_project_everything_pip_allows() -> None:
    got = collect(ref(MESSY, "requirements.txt"), Config())
    rows = [
        (
            d.name,
            d.source,
            d.location,
            d.specifier,
            d.version,
            d.url,
            d.url_kind,
            d.vcs_ref,
            d.editable,
            d.marker,
            d.extras,
        )
        for d in got.dependencies
    ]
    torch_url = (
        "https://download.pytorch.org/whl/cpu/torch-2.3.1%2Bcpu-cp311-cp311-linux_x86_64.whl"
    )
    assert rows == [
        # -r requirements/base.txt (line 7) -> base.txt line 1: -r common.txt, relative to base
        (
            "PyYAML",
            REQ,
            Location("requirements/common.txt", 1),
            "==6.0.1",
            "6.0.1",
            None,
            None,
            None,
            False,
            None,
            (),
        ),
        (
            "tqdm",
            REQ,
            Location("requirements/common.txt", 2),
            "",
            None,
            None,
            None,
            None,
            False,
            None,
            (),
        ),
        (
            "numpy",
            REQ,
            Location("requirements/base.txt", 2),
            "==1.26.4",
            "1.26.4",
            None,
            None,
            None,
            False,
            None,
            (),
        ),
        (
            "scikit-learn",
            REQ,
            Location("requirements/base.txt", 3),
            "~=1.4.2",
            None,
            None,
            None,
            None,
            False,
            None,
            (),
        ),
        # -c constraints.txt
        (
            "urllib3",
            CON,
            Location("constraints.txt", 1),
            "<2",
            None,
            None,
            None,
            None,
            False,
            None,
            (),
        ),
        (
            "certifi",
            CON,
            Location("constraints.txt", 2),
            "==2024.8.30",
            "2024.8.30",
            None,
            None,
            None,
            False,
            None,
            (),
        ),
        (
            "torch",
            REQ,
            Location("requirements.txt", 10),
            "",
            "2.3.1+cpu",
            torch_url,
            "url",
            None,
            False,
            'sys_platform == "linux"',
            (),
        ),
        (
            "transformers",
            REQ,
            Location("requirements.txt", 11),
            "<5,>=4.40",
            None,
            None,
            None,
            None,
            False,
            None,
            ("sentencepiece", "torch"),
        ),
        (
            "peft",
            REQ,
            Location("requirements.txt", 12),
            "",
            None,
            "git+https://github.com/huggingface/peft.git@v0.11.1#egg=peft",
            "vcs",
            "v0.11.1",
            False,
            None,
            (),
        ),
        # the editable's name is read statically from its pyproject.toml
        (
            "tokenizer-utils",
            REQ,
            Location("requirements.txt", 13),
            "",
            None,
            "./libs/tokenizer-utils",
            "path",
            None,
            True,
            None,
            (),
        ),
        (
            "internal-metrics",
            REQ,
            Location("requirements.txt", 14),
            "",
            "0.4.2",
            "https://files.example.com/wheels/internal_metrics-0.4.2-py3-none-any.whl",
            "url",
            None,
            False,
            None,
            (),
        ),
        # continued over lines 15-17: the first physical line is recorded
        (
            "datasets",
            REQ,
            Location("requirements.txt", 15),
            ">=2.19",
            None,
            None,
            None,
            None,
            False,
            'python_version >= "3.9"',
            (),
        ),
        (
            "accelerate",
            REQ,
            Location("requirements.txt", 18),
            "",
            None,
            None,
            None,
            None,
            False,
            None,
            (),
        ),
    ]
    props = {d.name: d.properties for d in got.dependencies}
    assert props["tokenizer-utils"] == (("name-from", "pyproject"),)
    assert props["peft"] == (("name-from", "egg"),)
    assert props["internal-metrics"] == (("name-from", "wheel-filename"),)
    assert props["torch"] == (("version-from", "wheel-filename"),)
    assert got.index_options == [
        IndexOption(
            "--index-url",
            "https://***@pypi.internal.example.com/simple",
            Location("requirements.txt", 2),
            True,
        ),
        IndexOption(
            "--extra-index-url", "https://pypi.org/simple", Location("requirements.txt", 3), False
        ),
        IndexOption(
            "--trusted-host", "pypi.internal.example.com", Location("requirements.txt", 4), False
        ),
        IndexOption(
            "--find-links",
            "https://download.pytorch.org/whl/torch_stable.html",
            Location("requirements.txt", 5),
            False,
        ),
        # includes are recorded as written: checks group the files pip reads together
        IndexOption("--requirement", "requirements/base.txt", Location("requirements.txt", 7)),
        IndexOption("--requirement", "common.txt", Location("requirements/base.txt", 1)),
        IndexOption("--constraint", "constraints.txt", Location("requirements.txt", 8)),
    ]
    assert got.suppressions == [
        Suppression(
            Location("requirements.txt", 18),
            ("AIB101",),
            "tracked upstream, pinned by the platform image",
        )
    ]
    assert got.errors == []
    # the secret appears nowhere in what was recorded
    assert "s3cr3t" not in repr(got)


def test_included_file_found_by_the_walker_too() -> None:
    got = collect(ref(MESSY, "requirements/dev.txt"), Config())
    assert [(d.name, d.location) for d in got.dependencies] == [
        ("PyYAML", Location("requirements/common.txt", 1)),
        ("tqdm", Location("requirements/common.txt", 2)),
        ("numpy", Location("requirements/base.txt", 2)),
        ("scikit-learn", Location("requirements/base.txt", 3)),
        ("pytest", Location("requirements/dev.txt", 2)),
        ("ruff", Location("requirements/dev.txt", 3)),
    ]


def test_constraints_file_by_name() -> None:
    assert classify("constraints.txt") == "requirements"
    got = collect(ref(MESSY, "constraints.txt"), Config())
    assert [(d.name, d.source) for d in got.dependencies] == [("urllib3", CON), ("certifi", CON)]


def test_cp1252_file() -> None:
    data = (MESSY / "requirements-legacy.txt").read_bytes()
    assert "é".encode("cp1252") in data and b"\x92" in data  # really cp1252 (’)
    got = collect(ref(MESSY, "requirements-legacy.txt"), Config())
    assert [(d.name, d.specifier, d.location.line) for d in got.dependencies] == [
        ("pandas", "==2.2.2", 2),
        ("matplotlib", ">=3.8", 3),
    ]
    assert got.errors == []


@pytest.mark.parametrize(
    ("data", "text", "problem"),
    [
        (b"\xef\xbb\xbfa==1\n", "a==1\n", None),
        ("\ufeffa==1\n".encode("utf-16-le"), "a==1\n", None),
        ("\ufeffa==1\n".encode("utf-16-be"), "a==1\n", None),
        ("# café\n".encode("cp1252"), "# café\n", None),
        (
            b"# \x81\n",
            "# \x81\n",
            "not valid UTF-8 or cp1252; decoded as latin-1 (names may be misread)",
        ),
        (b"a\x00b", None, "binary content (NUL bytes): not a text file"),
    ],
)
def test_decode_bytes(data: bytes, text: str | None, problem: str | None) -> None:
    assert decode_bytes(data) == (text, problem)


def bad(rel: str) -> tuple[list[tuple[str, str, Location]], list[ScanError]]:
    got = parse_requirements_file(BAD / rel, rel)
    return [(d.name, d.specifier, d.location) for d in got.dependencies], got.errors


def test_include_loop_is_reported_at_the_closing_line() -> None:
    deps, errors = bad("loop/requirements-a.txt")
    assert deps == [
        ("six", "==1.16.0", Location("loop/requirements-a.txt", 1)),
        ("attrs", "==23.2.0", Location("loop/requirements-b.txt", 1)),
    ]
    assert errors == [
        ScanError(
            Location("loop/requirements-b.txt", 2),
            "include loop: --requirement requirements-a.txt includes a file that is already "
            "being read",
        )
    ]


def test_missing_includes_do_not_stop_the_file() -> None:
    deps, errors = bad("requirements-missing-include.txt")
    assert [d[0] for d in deps] == ["flask", "click"]
    assert errors == [
        ScanError(
            Location("requirements-missing-include.txt", 2),
            "included file requirements-does-not-exist.txt (--requirement) not found",
        ),
        ScanError(
            Location("requirements-missing-include.txt", 3),
            "included file constraints-nope.txt (--constraint) not found",
        ),
    ]


def test_invalid_lines_are_errors_with_lines() -> None:
    rel = "requirements-invalid-lines.txt"
    deps, errors = bad(rel)
    assert deps == [
        ("requests", "==2.32.3", Location(rel, 1)),
        ("numpy", "==1.26.4", Location(rel, 4)),
        ("pydantic", "<3,>=2", Location(rel, 5)),
        ("django", "==4.2.*", Location(rel, 6)),
    ]
    assert errors == [
        ScanError(
            Location(rel, 2),
            "invalid requirement: Expected semicolon (after name with "
            "no version specifier) or end: foo bar baz",
        ),
        ScanError(Location(rel, 3), "unknown pip option --frobnicate"),
        ScanError(Location(rel, 4), "option --hash needs a value"),
        ScanError(
            Location(rel, 7),
            "remote requirements file https://***@example.com/"
            "requirements.txt (from --requirement) is not fetched; its requirements are "
            "not inventoried",
        ),
        ScanError(
            Location(rel, 8),
            "invalid requirement: Expected package name at the start "
            "of dependency specifier: 'unterminated --hash=sha256:aa",
        ),
    ]


def test_binary_and_undecodable_files() -> None:
    assert bad("requirements-binary.txt") == (
        [],
        [
            ScanError(
                Location("requirements-binary.txt"), "binary content (NUL bytes): not a text file"
            )
        ],
    )
    deps, errors = bad("requirements-undecodable.txt")
    assert deps == [("werkzeug", "==3.0.3", Location("requirements-undecodable.txt", 2))]
    assert errors == [
        ScanError(
            Location("requirements-undecodable.txt"),
            "not valid UTF-8 or cp1252; decoded as latin-1 (names may be misread)",
        )
    ]


@pytest.mark.parametrize("rel", ["requirements-utf8-bom.txt", "requirements-utf16.txt"])
def test_bom_files(rel: str) -> None:
    deps, errors = bad(rel)
    assert [(d[0], d[1]) for d in deps] == [("flask", "==3.0.3"), ("jinja2", "==3.1.4")]
    assert errors == []


def test_version_only_when_pinned_exactly() -> None:
    got = parse_requirements_text(
        "a==1.0\nb===1.0-custom\nc==1.*\nd>=1,<2\ne==1.0,!=1.1\nf==1,==2\ng\n", "r.txt"
    )
    assert [(d.name, d.version) for d in got.dependencies] == [
        ("a", "1.0"),
        ("b", "1.0-custom"),
        ("c", None),
        ("d", None),
        ("e", "1.0"),
        ("f", None),
        ("g", None),
    ]


def test_options_short_forms_equals_and_flags() -> None:
    text = (
        "-ihttps://one.example/simple\n"
        "--index-url=https://two.example/simple\n"
        "-f ./wheels\n"
        "--no-index\n--pre\n--prefer-binary\n--no-binary :all:\n--only-binary=numpy\n"
        "--use-feature truststore\n"
    )
    got = parse_requirements_text(text, "r.txt")
    assert [(o.option, o.value, o.location.line) for o in got.index_options] == [
        ("--index-url", "https://one.example/simple", 1),
        ("--index-url", "https://two.example/simple", 2),
        ("--find-links", "./wheels", 3),
        ("--no-index", "", 4),
        ("--pre", "", 5),
        ("--prefer-binary", "", 6),
        ("--no-binary", ":all:", 7),
        ("--only-binary", "numpy", 8),
        ("--use-feature", "truststore", 9),
    ]
    assert got.errors == []


def test_env_vars_are_never_expanded_into_outputs() -> None:
    text = (
        "--extra-index-url https://ci:${INDEX_TOKEN}@pkgs.example.com/simple\n"
        "mypkg==${PKG_VERSION}\n"
        "${NAME_FROM_ENV}==1.0\n"
        "ok==1.0\n"
    )
    got = parse_requirements_text(text, "r.txt")
    # the placeholder in the user-info is kept as written (pip fills it at install time)
    assert got.index_options == [
        IndexOption(
            "--extra-index-url",
            "https://ci:${INDEX_TOKEN}@pkgs.example.com/simple",
            Location("r.txt", 1),
            False,
        )
    ]
    assert [(d.name, d.version, d.raw) for d in got.dependencies] == [("ok", "1.0", "ok==1.0")]
    assert [e.location.line for e in got.errors] == [2, 3]
    assert all("environment variable" in e.reason for e in got.errors)


def test_hashes_kept_as_written_and_url_fragment_hash() -> None:
    text = (
        "a==1 --hash=sha256:AbC --hash=md5:00 --hash=nocolon\n"
        "https://example.com/b-2.0.tar.gz#sha256=deadbeef\n"
    )
    got = parse_requirements_text(text, "r.txt")
    assert [d.hashes for d in got.dependencies] == [
        (Hash("sha256", "AbC"), Hash("md5", "00"), Hash("", "nocolon")),
        (Hash("sha256", "deadbeef"),),
    ]
    assert [(d.name, d.version, d.url_kind) for d in got.dependencies][1] == ("b", "2.0", "url")


def test_direct_references_and_vcs() -> None:
    text = (
        "pkg @ git+ssh://git@github.com/org/pkg.git@3f1c2e9 ; python_version < '3.12'\n"
        "-e git+https://user:tok@gitlab.example.com/g/lib.git@main#egg=lib&subdirectory=py\n"
        "hg+https://hg.example.com/repo@tip#egg=hgpkg\n"
        "./vendor/thing-1.2.3.tar.gz\n"
        "file:///opt/wheels/zzz-0.1-py3-none-any.whl\n"
        "mine[extra] @ file:///srv/mine\n"
    )
    got = parse_requirements_text(text, "r.txt")
    rows = [
        (d.name, d.url, d.url_kind, d.vcs_ref, d.editable, d.version, d.marker, d.extras)
        for d in got.dependencies
    ]
    assert rows == [
        (
            "pkg",
            "git+ssh://git@github.com/org/pkg.git@3f1c2e9",
            "vcs",
            "3f1c2e9",
            False,
            None,
            'python_version < "3.12"',
            (),
        ),
        (
            "lib",
            "git+https://***@gitlab.example.com/g/lib.git@main#egg=lib&subdirectory=py",
            "vcs",
            "main",
            True,
            None,
            None,
            (),
        ),
        (
            "hgpkg",
            "hg+https://hg.example.com/repo@tip#egg=hgpkg",
            "vcs",
            "tip",
            False,
            None,
            None,
            (),
        ),
        ("thing", "./vendor/thing-1.2.3.tar.gz", "path", None, False, "1.2.3", None, ()),
        (
            "zzz",
            "file:///opt/wheels/zzz-0.1-py3-none-any.whl",
            "path",
            None,
            False,
            "0.1",
            None,
            (),
        ),
        ("mine", "file:///srv/mine", "path", None, False, None, None, ("extra",)),
    ]
    lib = got.dependencies[1]
    assert lib.properties == (
        ("credentials", "redacted"),
        ("name-from", "egg"),
        ("subdirectory", "py"),
    )
    assert lib.raw == "-e git+https://***@gitlab.example.com/g/lib.git@main#egg=lib&subdirectory=py"
    assert got.errors == []


def test_editable_must_be_a_path_or_url() -> None:
    got = parse_requirements_text("-e requests\n", "r.txt")
    assert got.dependencies == []
    assert got.errors == [
        ScanError(
            Location("r.txt", 1),
            "invalid requirement: 'requests' is neither a local path nor a VCS URL: -e requests",
        )
    ]


def test_comment_ends_a_continuation_like_pip() -> None:
    got = parse_requirements_text("a==1 \\\n# note\nb==2\n", "r.txt")
    assert [(d.name, d.location.line) for d in got.dependencies] == [("a", 1), ("b", 3)]


def test_suppression_forms() -> None:
    got = parse_requirements_text(
        "a  # aibom: ignore\nb  # aibom: ignore[AIB101, AIB120]: reason here\n# aibom: ignore\n",
        "r.txt",
    )
    assert got.suppressions == [
        Suppression(Location("r.txt", 1), (), ""),
        Suppression(Location("r.txt", 2), ("AIB101", "AIB120"), "reason here"),
        Suppression(Location("r.txt", 3), (), ""),
    ]


def test_include_leaving_the_root_gets_a_normalised_path(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "common.txt").write_text("six==1.16.0\n")
    (tmp_path / "proj" / "reqs").mkdir(parents=True)
    (tmp_path / "proj" / "reqs" / "requirements.txt").write_text("-r ../../shared/common.txt\n")
    got = parse_requirements_file(
        tmp_path / "proj" / "reqs" / "requirements.txt", "reqs/requirements.txt"
    )
    assert [(d.name, d.location) for d in got.dependencies] == [
        ("six", Location("../shared/common.txt", 1))
    ]


def test_deep_include_chain_is_bounded(tmp_path: Path) -> None:
    count = MAX_INCLUDE_DEPTH + 5
    for i in range(count):
        (tmp_path / f"r{i}.txt").write_text(f"pkg{i}==1.0\n-r r{i + 1}.txt\n")
    (tmp_path / f"r{count}.txt").write_text("last==1.0\n")
    got = parse_requirements_file(tmp_path / "r0.txt", "r0.txt")
    assert len(got.dependencies) == MAX_INCLUDE_DEPTH + 1
    assert got.dependencies[-1].name == f"pkg{MAX_INCLUDE_DEPTH}"
    assert got.errors == [
        ScanError(
            Location(f"r{MAX_INCLUDE_DEPTH}.txt", 2),
            f"--requirement r{MAX_INCLUDE_DEPTH + 1}.txt not followed: more than "
            f"{MAX_INCLUDE_DEPTH} nested includes",
        )
    ]


def test_huge_file_is_not_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aibom.sources import requirements

    monkeypatch.setattr(requirements, "MAX_FILE_BYTES", 100)
    path = tmp_path / "requirements.txt"
    path.write_text("a==1\n" * 50)
    got = parse_requirements_file(path, "requirements.txt")
    assert got.dependencies == []
    assert got.errors == [
        ScanError(
            Location("requirements.txt"),
            "file too large for a requirements file (250 bytes, limit 100); not parsed",
        )
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("a==1\n")
    path.chmod(0)
    got = parse_requirements_file(path, "requirements.txt")
    assert got.errors == [ScanError(Location("requirements.txt"), "cannot read: Permission denied")]


def test_unreadable_include_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "requirements.txt").write_text("-r sub\n")
    got = parse_requirements_file(tmp_path / "requirements.txt", "requirements.txt")
    assert got.errors == [
        ScanError(
            Location("requirements.txt", 1), "included file sub (--requirement) is not a file"
        )
    ]


def test_a_folder_named_like_a_requirements_file(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").mkdir()
    got = parse_requirements_file(tmp_path / "requirements.txt", "requirements.txt")
    assert got.errors == [ScanError(Location("requirements.txt"), "cannot read: Is a directory")]


def test_a_file_named_on_the_command_line_is_read_whatever_its_name(tmp_path: Path) -> None:
    from aibom.scan import collect as scan_collect

    (tmp_path / "deps.txt").write_text("flask==3.0.3\n")
    (tmp_path / "other.txt").write_text("not-read==1\n")
    inventory = scan_collect(Config(roots=(tmp_path,), extra_files=(tmp_path / "deps.txt",)))
    assert [(d.name, d.location, d.source) for d in inventory.dependencies] == [
        ("flask", Location("deps.txt", 1), REQ)
    ]


def test_malformed_urls_and_nul_in_include_are_errors(tmp_path: Path) -> None:
    got = parse_requirements_text(
        "x @ https://[oops/pkg.whl\nhttps://host:99999/y-1.0.tar.gz\n-r a\x00b.txt\nok==1\n",
        "r.txt",
        base_dir=tmp_path,
    )
    assert [d.name for d in got.dependencies] == ["ok"]
    assert got.errors == [
        ScanError(
            Location("r.txt", 1),
            "invalid requirement: malformed URL (Invalid IPv6 URL): x @ https://[oops/pkg.whl",
        ),
        ScanError(
            Location("r.txt", 2),
            "invalid requirement: malformed URL (Port out of range "
            "0-65535): https://host:99999/y-1.0.tar.gz",
        ),
        ScanError(Location("r.txt", 3), "--requirement a\x00b.txt: a file name cannot hold NUL"),
    ]


def test_long_runs_of_spaces_are_read_in_linear_time() -> None:
    # pip's comment regex backtracks quadratically here (minutes for this line)
    line = "torch" + " " * 60_000 + "# aibom: ignore[AIB101]\n"
    got = parse_requirements_text(line, "r.txt")
    assert [(d.name, d.raw) for d in got.dependencies] == [("torch", "torch")]
    assert got.suppressions == [Suppression(Location("r.txt", 1), ("AIB101",), "")]


def test_unambiguous_option_prefixes_like_optparse() -> None:
    got = parse_requirements_text(
        "--extra-index https://a.example/simple\n--trusted a.example\n--no-b :all:\n--pr\n",
        "r.txt",
    )
    assert [(o.option, o.value) for o in got.index_options] == [
        ("--extra-index-url", "https://a.example/simple"),
        ("--trusted-host", "a.example"),
        ("--no-binary", ":all:"),
    ]
    # --pr could be --pre or --prefer-binary
    assert got.errors == [
        ScanError(Location("r.txt", 4), "ambiguous pip option --pr (--pre, --prefer-binary)")
    ]


def test_diamond_includes_are_read_once(tmp_path: Path) -> None:
    # each level includes the next one twice: 2**30 reads without memoising
    for i in range(30):
        (tmp_path / f"r{i}.txt").write_text(f"-r r{i + 1}.txt\n-r ./r{i + 1}.txt\n")
    (tmp_path / "r30.txt").write_text("leaf==1.0\n")
    got = parse_requirements_file(tmp_path / "r0.txt", "r0.txt")
    assert [(d.name, d.location) for d in got.dependencies] == [("leaf", Location("r30.txt", 1))]
    assert got.errors == []


def test_what_a_constraints_file_includes_follows_pip(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("-c constraints.txt\napp==1\n")
    (tmp_path / "constraints.txt").write_text("-r base.txt\n-c more.txt\nlib<2\n")
    (tmp_path / "base.txt").write_text("base==1\n")
    (tmp_path / "more.txt").write_text("more<3\n")
    got = parse_requirements_file(tmp_path / "requirements.txt", "requirements.txt")
    assert [(d.name, d.source, d.location) for d in got.dependencies] == [
        # pip: -r inside a constraints file reads requirements, -c reads constraints
        ("base", REQ, Location("base.txt", 1)),
        ("more", CON, Location("more.txt", 1)),
        ("lib", CON, Location("constraints.txt", 3)),
        ("app", REQ, Location("requirements.txt", 2)),
    ]


def test_per_requirement_build_options_are_properties() -> None:
    got = parse_requirements_text(
        "pkg==1 --config-settings=--build-option=--cpu -C editable_mode=compat "
        "--global-option=--no-user-cfg\n",
        "r.txt",
    )
    [dep] = got.dependencies
    assert dep.properties == (
        ("config-settings", "--build-option=--cpu"),
        ("config-settings", "editable_mode=compat"),
        ("global-option", "--no-user-cfg"),
    )
    assert got.errors == []
