"""Pins and hashes checks (AIB101-AIB152): every rule fires on its minimal bad fixture in
fixtures/rules/<RULE-ID>/bad with exact messages and lines, and stays silent on the matching good one;
hand-built records for the cases files cannot express alone."""

from __future__ import annotations

import shutil
import string
from pathlib import Path

import pytest

from aibom.checks.pins import is_dev_file, pip_groups
from aibom.config import Config
from aibom.model import Collected, Dependency, Hash, IndexOption, Inventory, Location, SourceKind
from aibom.rules import get_rule
from aibom.scan import run_checks, scan
from aibom.sources.requirements import (
    parse_requirements_file,
    parse_requirements_text,
    source_for_name,
)

ROOT = Path(__file__).resolve().parent.parent.parent
RULES = ROOT / "fixtures" / "rules"
PROJECTS = ROOT / "fixtures" / "projects"


def pin_case(name: str) -> Path:
    """A pins rule's fixture folder: "aib111-bad" -> fixtures/rules/AIB111/bad."""
    rule, side = name.rsplit("-", 1)
    return RULES / rule.upper() / side


# the pins rules whose pairs are requirements files (the hand-written cases)
PIN_CASES = sorted(
    f"{p.name.lower()}-{side}"
    for p in RULES.iterdir()
    if p.name.startswith("AIB1") and (p / "bad" / "requirements.txt").is_file()
    for side in ("bad", "good")
)
C40 = "4f1c2d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e"
SIX_WHEEL = "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"

PIN_RULES = {f"AIB1{n:02d}" for n in range(1, 60)}


def _inventory_of(folder: Path) -> Inventory:
    inventory = Inventory(roots=(folder.as_posix(),))
    for path in sorted(folder.glob("*.txt")):
        inventory.add(parse_requirements_file(path, path.name))
    return inventory


def _lines(inventory: Inventory, config: Config | None = None) -> list[str]:
    out = []
    for f in run_checks(inventory, config or Config()):
        if f.rule_id in PIN_RULES:
            out.append(f"{f.location}: {f.rule_id} {get_rule(f.rule_id).render(f)}")
    return out


EXPECTED_BAD = {
    "aib101": [
        "requirements.txt:1: AIB101 requests is not pinned to one exact version (>=2.31); "
        "pin it with ==<version>",
        "requirements.txt:2: AIB101 numpy is not pinned to one exact version "
        "(no version specifier); pin it with ==<version>",
    ],
    "aib102": [
        "requirements.txt:1: AIB102 django is pinned with a wildcard (==4.2.*): any matching "
        "release can be installed"
    ],
    "aib111": [
        "requirements.txt:4: AIB111 idna has no --hash, but 1 other requirement(s) of this pip "
        "install do: pip requires a hash for every package once one is given"
    ],
    "aib112": [
        "requirements.txt:2: AIB112 six==1.17.0 has no --hash, but the file's --require-hashes "
        "requires hashes"
    ],
    "aib113": [
        "requirements.txt:1: AIB113 six has a md5 hash; pip accepts only sha256, sha384 and sha512"
    ],
    "aib114": [
        "requirements.txt:1: AIB114 six has a malformed hash sha256:4721f391ed905: "
        "13 hex digits, sha256 has 64"
    ],
    "aib116": [
        "requirements.txt:2: AIB116 tool is a VCS requirement, which pip cannot hash, in a pip "
        "install that requires hashes"
    ],
    "aib131": [
        "requirements.txt:1: AIB131 tool is installed from https://example.com/tool-1.0.tar.gz "
        "without a hash"
    ],
    "aib132": [
        "requirements.txt:1: AIB132 tool is installed from "
        "git+https://github.com/acme/tool@v1.2#egg=tool at ref 'v1.2': a branch or tag can be "
        "moved",
        "requirements.txt:2: AIB132 other is installed from "
        "git+https://github.com/acme/other.git#egg=other at no ref (the default branch): a "
        "branch or tag can be moved",
    ],
    "aib133": [
        "requirements.txt:1: AIB133 core is installed in editable mode (-e ./libs/core) from a "
        "deployment requirements file"
    ],
    "aib141": [
        "requirements.txt:1: AIB141 --index-url http://pypi.internal.example/simple uses plain "
        "http://: anyone on the network path can serve other packages"
    ],
    "aib142": [
        "requirements.txt:1: AIB142 --trusted-host pypi.internal.example turns off certificate "
        "checks for that host"
    ],
    "aib143": [
        "requirements.txt:1: AIB143 --index-url contains credentials: "
        "https://***@pypi.internal.example/simple"
    ],
    "aib144": [
        "requirements.txt:1: AIB144 --extra-index-url https://download.pytorch.org/whl/nightly/cpu: "
        "pip picks the highest version from any index, so a public package can replace a "
        "private one of the same name"
    ],
    "aib151": [
        "constraints.txt:1: AIB151 urllib3 is pinned to 1.26.20 here but to 2.2.3 in "
        "requirements.txt:2",
        "requirements.txt:2: AIB151 urllib3 is pinned to 2.2.3 here but to 1.26.20 in "
        "constraints.txt:1",
    ],
}


@pytest.mark.parametrize("rule", sorted(EXPECTED_BAD))
def test_rule_fires_on_bad_fixture_and_not_on_good(rule: str) -> None:
    assert _lines(_inventory_of(pin_case(f"{rule}-bad"))) == EXPECTED_BAD[rule]
    assert _lines(_inventory_of(pin_case(f"{rule}-good"))) == []


def test_every_fixture_folder_has_an_expectation() -> None:
    folders = {case.rsplit("-", 1)[0] for case in PIN_CASES}
    assert folders == set(EXPECTED_BAD)


def _parsed(text: str, path: str) -> Collected:
    return parse_requirements_text(text, path, source=source_for_name(path))


def _req(text: str, path: str = "requirements.txt") -> Inventory:
    inventory = Inventory(roots=(".",))
    inventory.add(_parsed(text, path))
    return inventory


def test_pip_compile_inputs_and_constraints_are_not_pin_checked() -> None:
    assert _lines(_req("requests>=2\n", "requirements.in")) == []
    assert _lines(_req("requests>=2\n", "constraints.txt")) == []


def test_unpinned_requirement_pinned_by_constraints_beside_it_passes() -> None:
    inventory = _req("requests\n")
    inventory.add(_parsed("requests==2.32.3\n", "constraints.txt"))
    assert _lines(inventory) == []
    inventory = _req("requests\n", "app/requirements.txt")
    inventory.add(_parsed("requests==2.32.3\n", "other/constraints.txt"))
    assert [line.split(" ")[1] for line in _lines(inventory)] == ["AIB101"]


def test_exact_pins_pass() -> None:
    assert _lines(_req("a==1.0\nb===1.0-custom\nc[extra]==2.0 ; python_version<'3.12'\n")) == []


def test_require_hashes_config_demands_hashes() -> None:
    inventory = _req(f"six==1.17.0 --hash=sha256:{SIX_WHEEL}\n", "a/requirements.txt")
    inventory.add(_parsed("idna==3.10\nrequests>=2\n", "b/requirements.txt"))
    assert [line.split(": ")[1].split(" ")[0] for line in _lines(inventory)] == ["AIB101"]
    lines = _lines(inventory, Config(require_hashes=True))
    assert lines == [
        "b/requirements.txt:1: AIB112 idna==3.10 has no --hash, but require-hashes = true "
        "requires hashes",
        "b/requirements.txt:2: AIB101 requests is not pinned to one exact version (>=2); "
        "pin it with ==<version>",
    ]


def test_fragment_hash_satisfies_but_does_not_switch_hash_mode_on() -> None:
    url_line = f"tool @ https://example.com/tool-1.0.tar.gz#sha256={'cd' * 32}\n"
    assert _lines(_req(url_line + "idna==3.10\n")) == []


def test_hash_in_constraints_switches_hash_mode_on_when_the_include_is_recorded() -> None:
    """pip 23.2.1, measured with `pip download --no-deps -r requirements.txt`: with
    `-c constraints.txt` holding `six==1.17.0 --hash=...` and requirements.txt holding an
    unhashed `idna==3.10`, pip fails with "Hashes are required in --require-hashes mode"
    for idna (the constraint's hash turned hash mode on). The include is recorded as an
    IndexOption; without it each file is its own group."""
    inventory = _req("idna==3.10\n")
    inventory.add(_parsed(f"six==1.17.0 --hash=sha256:{SIX_WHEEL}\n", "constraints.txt"))
    assert _lines(inventory) == []
    inventory.index_options.append(
        IndexOption("--constraint", "constraints.txt", Location("requirements.txt", 1))
    )
    assert pip_groups(inventory) == [{"constraints.txt"}, {"requirements.txt", "constraints.txt"}]
    assert [line.split(" ")[1] for line in _lines(inventory)] == ["AIB111"]


def test_mixed_hash_mode_matches_real_pip() -> None:
    """The aib111-bad fixture, run through pip 23.2.1 (`pip download --no-deps -d DIR -r
    fixtures/rules/AIB111/bad/requirements.txt`, network), fails with:
    "ERROR: Hashes are required in --require-hashes mode, but they are missing from some
    requirements. ... idna==3.10 --hash=sha256:946d195a0d25..." and the aib111-good file
    downloads both packages. The same is asserted live in test_mixed_hash_mode_live."""
    assert [line.split(" ")[1] for line in _lines(_inventory_of(pin_case("aib111-bad")))] == [
        "AIB111"
    ]


@pytest.mark.network
def test_mixed_hash_mode_live(tmp_path: Path) -> None:
    import subprocess
    import sys

    def download(case: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "-q",
                "-d",
                str(tmp_path / case),
                "-r",
                str(pin_case(case) / "requirements.txt"),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )

    bad = download("aib111-bad")
    assert bad.returncode != 0
    assert "Hashes are required in --require-hashes mode" in bad.stderr
    assert "idna==3.10 --hash=sha256:" in bad.stderr
    assert download("aib111-good").returncode == 0


def test_hash_values() -> None:
    inventory = Inventory(
        roots=(".",),
        dependencies=[
            Dependency(
                "a",
                Location("requirements.txt", 1),
                SourceKind.REQUIREMENTS,
                version="1",
                hashes=(
                    Hash("", "abc"),
                    Hash("sha256", "zz" * 32),
                    Hash("sha512", "ab" * 64),
                    Hash("sha1", "ab" * 20),
                    Hash("whirlpool", "xyz!"),
                ),
            )
        ],
    )
    assert _lines(inventory) == [
        "requirements.txt:1: AIB113 a has a sha1 hash; pip accepts only sha256, sha384 and sha512",
        "requirements.txt:1: AIB114 a has a malformed hash abc: no algorithm (alg:hex)",
        "requirements.txt:1: AIB114 a has a malformed hash sha256:"
        + "zz" * 32
        + ": the digest is not hexadecimal",
        "requirements.txt:1: AIB114 a has a malformed hash whirlpool:xyz!: unknown algorithm "
        "'whirlpool'",
    ]


def test_vcs_refs() -> None:
    text = (
        f"git+https://github.com/a/x@{C40}#egg=x\n"
        f"git+https://github.com/a/y@{C40[:12]}#egg=y\n"
        f"git+https://github.com/a/z@{'ab' * 32}#egg=z\n"
        "svn+https://svn.example/repo/trunk@1234#egg=s\n"
        f"hg+https://hg.example/repo@{C40}#egg=h\n"
    )
    assert [line.split(": AIB132 ")[0] for line in _lines(_req(text))] == ["requirements.txt:2"]


def test_loopback_http_index_is_allowed_and_extra_index_is_reported() -> None:
    text = "--index-url http://localhost:8080/simple\n--find-links ./wheels\na==1\n"
    assert _lines(_req(text)) == []


def test_dev_files() -> None:
    assert [
        is_dev_file(p)
        for p in (
            "requirements-dev.txt",
            "requirements/test.txt",
            "requirements.txt",
            "requirements-docs.txt",
            "dev/requirements.txt",
            "requirements-device.txt",
        )
    ] == [True, True, False, True, True, False]


def test_lock_entry_without_hash_on_real_pipenv_lock(tmp_path: Path) -> None:
    shutil.copytree(PROJECTS / "pipenv-app", tmp_path / "p")
    result = scan(Config(roots=(tmp_path / "p",)))
    pins = [f for f in result.findings if f.rule_id in PIN_RULES]
    assert [
        (f.rule_id, f.location.path, f.arg_dict["name"], f.arg_dict["version"]) for f in pins
    ] == [("AIB115", "Pipfile.lock", "colorama", "(no version)")]


def test_stale_lock_on_real_poetry_lock(tmp_path: Path) -> None:
    shutil.copytree(PROJECTS / "poetry-app", tmp_path / "p")
    fresh = scan(Config(roots=(tmp_path / "p",)))
    assert [f for f in fresh.findings if f.rule_id == "AIB152"] == []
    manifest = tmp_path / "p" / "pyproject.toml"
    manifest.write_text(
        manifest.read_text("utf-8").replace('"click>=8.1"', '"click>=8.2"'), "utf-8"
    )
    stale = scan(Config(roots=(tmp_path / "p",)))
    assert [
        (f.rule_id, f.location.path, f.arg_dict) for f in stale.findings if f.rule_id == "AIB152"
    ] == [("AIB152", "poetry.lock", {"lock": "poetry.lock", "manifest": "pyproject.toml"})]


def _pyproject_dep(name: str, spec: str, path: str = "pyproject.toml") -> Dependency:
    return Dependency(name, Location(path, 5), SourceKind.PYPROJECT, specifier=spec)


def test_pyproject_ranges_are_findings_only_for_applications_without_a_lock() -> None:
    inventory = Inventory(roots=(".",), dependencies=[_pyproject_dep("fastapi", ">=0.110")])
    assert _lines(inventory) == []
    assert _lines(inventory, Config(project_kind="library")) == []
    assert _lines(inventory, Config(project_kind="application")) == [
        "pyproject.toml:5: AIB103 fastapi is declared as >=0.110 in an application without a "
        "lock file beside it"
    ]
    inventory.dependencies.append(
        Dependency(
            "fastapi",
            Location("uv.lock", 9),
            SourceKind.UV_LOCK,
            version="0.115.0",
            hashes=(Hash("sha256", "ab" * 32),),
        )
    )
    assert _lines(inventory, Config(project_kind="application")) == []


def test_two_locks_in_one_folder_disagreeing() -> None:
    h = (Hash("sha256", "ab" * 32),)
    inventory = Inventory(
        roots=(".",),
        dependencies=[
            Dependency(
                "six", Location("uv.lock", 3), SourceKind.UV_LOCK, version="1.17.0", hashes=h
            ),
            Dependency(
                "six", Location("pylock.toml", 7), SourceKind.PYLOCK, version="1.16.0", hashes=h
            ),
            Dependency(
                "six", Location("other/uv.lock", 3), SourceKind.UV_LOCK, version="1.15.0", hashes=h
            ),
        ],
    )
    assert _lines(inventory) == [
        "pylock.toml:7: AIB151 six is pinned to 1.16.0 here but to 1.17.0 in uv.lock:3",
        "uv.lock:3: AIB151 six is pinned to 1.17.0 here but to 1.16.0 in pylock.toml:7",
    ]


def test_credentials_in_a_requirement_url() -> None:
    lines = _lines(
        _req("tool @ https://user:tok@example.com/tool-1.0.tar.gz#sha256=" + "cd" * 32 + "\n")
    )
    assert lines == [
        "requirements.txt:1: AIB143 the URL of tool contains credentials: "
        "https://***@example.com/tool-1.0.tar.gz#sha256=" + "cd" * 32
    ]


def test_lock_index_over_plain_http_is_reported_once_per_lock() -> None:
    h = (Hash("sha256", "ab" * 32),)
    props = (("aibom:index", "http://pypi.internal.example/simple"),)
    inventory = Inventory(
        roots=(".",),
        dependencies=[
            Dependency(
                "a",
                Location("uv.lock", 3),
                SourceKind.UV_LOCK,
                version="1",
                hashes=h,
                properties=props,
            ),
            Dependency(
                "b",
                Location("uv.lock", 9),
                SourceKind.UV_LOCK,
                version="1",
                hashes=h,
                properties=props,
            ),
        ],
    )
    assert _lines(inventory) == [
        "uv.lock:3: AIB141 the lock's index http://pypi.internal.example/simple uses plain "
        "http://: anyone on the network path can serve other packages"
    ]


def test_application_kind_on_a_real_pyproject_skips_build_requirements(tmp_path: Path) -> None:
    shutil.copytree(PROJECTS / "library-pep621", tmp_path / "p")
    pyproject = tmp_path / "p" / "pyproject.toml"
    assert [
        f for f in scan(Config(roots=(tmp_path / "p",))).findings if f.rule_id == "AIB103"
    ] == []
    result = scan(Config(roots=(tmp_path / "p",), project_kind="application"))
    found = [
        (f.arg_dict["name"], f.location.line) for f in result.findings if f.rule_id == "AIB103"
    ]
    # hatchling / hatch-vcs ([build-system] requires) are not reported
    assert found == [
        ("numpy", 14),
        ("safetensors", 15),
        ("huggingface-hub", 16),
        ("tokenizers", 17),
        ("typing-extensions", 18),
        ("torch", 22),
        ("optimum", 25),
        ("pytest-cov", 31),
        ("mypy", 33),
        ("ipython", 37),
    ]
    # a lock file beside it pins the resolution: no finding
    (pyproject.parent / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "test"\n\n[[packages]]\nname = "numpy"\n'
        'version = "2.1.3"\n\n[packages.archive]\nurl = "https://example.com/numpy.tar.gz"\n'
        'hashes = {sha256 = "' + "ab" * 32 + '"}\n',
        "utf-8",
    )
    relocked = scan(Config(roots=(tmp_path / "p",), project_kind="application"))
    assert [f for f in relocked.findings if f.rule_id == "AIB103"] == []


def test_checks_survive_arbitrary_records() -> None:
    """Records as odd as a collector could produce from hostile files: no check raises."""
    import random

    from aibom.checks import index as index_checks
    from aibom.checks import pins

    rng = random.Random(1234)
    texts = ["", "a", "==", "http://", "git+", "@", "#sha256=", "***", "\x00", "é", "../", "C:\\x"]
    hashes = [Hash("", ""), Hash("SHA256", "AB" * 32), Hash("md5", ""), Hash("sha512", "zz")]
    sources = [
        *SourceKind,
        *[SourceKind.REQUIREMENTS] * 6,
        SourceKind.PYPROJECT,
        SourceKind.UV_LOCK,
    ]
    deps = []
    for i in range(1000):
        deps.append(
            Dependency(
                name=rng.choice(texts) + str(i % 7),
                location=Location(
                    rng.choice(["requirements.txt", "a/constraints.txt", "uv.lock", "x.in", ""]),
                    rng.choice([None, 0, 1, 10**9]),
                ),
                source=rng.choice(sources),
                specifier=rng.choice(["", "==1.*", ">=1", "===x", "==1", "~=2.0"]),
                version=rng.choice([None, None, None, "1", "2", "x.y", ""]),
                url=rng.choice([*[None] * 12, *texts]),
                url_kind=rng.choice([None, "vcs", "url", "path"]),
                vcs_ref=rng.choice([None, "", "v1", C40]),
                editable=rng.random() < 0.1,
                hashes=tuple(rng.sample(hashes, rng.randint(0, 3))),
                marker=rng.choice([None, "python_version < '3'"]),
                properties=tuple(
                    rng.sample(
                        [
                            ("credentials", "redacted"),
                            ("aibom:index", "http://x"),
                            ("aibom:lock:content-hash", "1"),
                        ],
                        rng.randint(0, 2),
                    )
                ),
            )
        )
    options = [
        IndexOption(
            rng.choice(
                [
                    "--index-url",
                    "--extra-index-url",
                    "--find-links",
                    "--trusted-host",
                    "--requirement",
                    "--constraint",
                    "--require-hashes",
                ]
            ),
            rng.choice(texts),
            Location("requirements.txt", 1),
            rng.choice([True, False]),
        )
        for _ in range(50)
    ]
    inventory = Inventory(roots=("does-not-exist",), dependencies=deps, index_options=options)
    config = Config(project_kind="application", require_hashes=True)
    fired: set[str] = set()
    for check in (*pins.CHECKS, *index_checks.CHECKS):
        for finding in check.run(inventory, config):
            # every finding belongs to its check and fills every field of its message
            assert finding.rule_id in check.rule_ids
            rule = get_rule(finding.rule_id)
            fields = {f for _, f, _, _ in string.Formatter().parse(rule.message) if f}
            assert fields <= set(finding.arg_dict), (finding.rule_id, fields)
            fired.add(finding.rule_id)
    # the odd records still reach the rules they deserve (not AIB103: a lock shares the folder)
    assert "AIB103" not in fired
    assert {
        "AIB101",
        "AIB102",
        "AIB111",
        "AIB113",
        "AIB114",
        "AIB131",
        "AIB132",
        "AIB133",
        "AIB141",
        "AIB142",
        "AIB143",
        "AIB144",
        "AIB151",
    } <= fired


def test_uv_and_poetry_index_options_are_checked_for_http_and_credentials() -> None:
    loc = Location("pyproject.toml", 30)
    inventory = Inventory(
        roots=(".",),
        index_options=[
            IndexOption("--index", "http://mirror.example/simple", loc),
            IndexOption("uv-explicit-index", "https://***@private.example/simple", loc, True),
            IndexOption("poetry-explicit-source", "https://download.pytorch.org/whl/cpu", loc),
            IndexOption("--default-index", "https://pypi.org/simple", loc),
        ],
    )
    assert _lines(inventory) == [
        "pyproject.toml:30: AIB141 --index http://mirror.example/simple uses plain http://: "
        "anyone on the network path can serve other packages",
        "pyproject.toml:30: AIB143 uv-explicit-index contains credentials: "
        "https://***@private.example/simple",
    ]


def test_stale_lock_is_reported_when_two_roots_are_scanned(tmp_path: Path) -> None:
    # AIB152 used to re-read the files from a root rebuilt from the display string, and
    # returned nothing unless exactly one root was scanned
    shutil.copytree(PROJECTS / "poetry-app", tmp_path / "a")
    manifest = tmp_path / "a" / "pyproject.toml"
    manifest.write_text(
        manifest.read_text("utf-8").replace('"click>=8.1"', '"click>=8.2"'), "utf-8"
    )
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "requirements.txt").write_text("six==1.17.0\n", "utf-8")
    result = scan(Config(roots=(tmp_path / "a", tmp_path / "b")))
    stale = [(f.location.path, f.arg_dict) for f in result.findings if f.rule_id == "AIB152"]
    a = (tmp_path / "a").as_posix()  # with several roots, paths start with their root
    lock, manifest = f"{a}/poetry.lock", f"{a}/pyproject.toml"
    assert stale == [(lock, {"lock": lock, "manifest": manifest})]
    assert result.inventory.roots == ((tmp_path / "a").as_posix(), (tmp_path / "b").as_posix())
