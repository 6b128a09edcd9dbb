"""Typosquat engine (aibom.checks.typosquat_index), its data files and the AIB301-AIB303 check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aibom.checks.typosquat import check_typosquats
from aibom.checks.typosquat_index import (
    Match,
    TyposquatIndex,
    check_name,
    default_index,
    normalise,
    parse_known,
    parse_popular,
)
from aibom.config import Config
from aibom.model import Dependency, Inventory, Location, SourceKind
from aibom.rules import get_rule, read_data_file
from aibom.scan import scan

ROOT = Path(__file__).resolve().parents[2]


def _why(name: str) -> tuple[str, str | None, int | None, str] | None:
    match = default_index().check(name, known=False)
    if match is None:
        return None
    return match.kind, match.target, match.target_rank, match.reason


# ----------------------------------------------------------------------- detection kinds


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("reqeusts", ("swap", "requests", 6, "two letters swapped ('eu' for 'ue')")),
        ("torhc", ("swap", "torch", 330, "two letters swapped ('hc' for 'ch')")),
        ("requets", ("missing", "requests", 6, "one letter missing ('s')")),
        ("numpys", ("added", "numpy", 20, "one letter added ('s')")),
        ("requestss", ("doubled", "requests", 6, "letter doubled ('s')")),
        ("djangoo", ("doubled", "django", 528, "letter doubled ('o')")),
        (
            "requesta",
            ("changed", "requests", 6, "one letter changed ('a' for 's', a neighbouring key)"),
        ),
        ("coloroma", ("changed", "colorama", 81, "one letter changed ('o' for 'a')")),
        ("numoy", ("changed", "numpy", 20, "one letter changed ('o' for 'p', a neighbouring key)")),
        ("sklearns", ("added", "sklearn", 3339, "one letter added ('s')")),
        ("tensor-flow", ("separator", "tensorflow", 908, "separators added or removed")),
        ("boto-3", ("separator", "boto3", 1, "separators added or removed")),
        ("request-s", ("separator", "requests", 6, "separators added or removed")),
        (
            "typingxextensions",
            ("changed", "typing-extensions", 7, "a separator changed ('x' for '-')"),
        ),
        ("r3quests", ("homoglyph", "requests", 6, "look-alike characters ('3' for 'e')")),
        ("pi11ow", ("homoglyph", "pillow", 78, "look-alike characters ('1' for 'l')")),
        ("jeIlyfish", ("homoglyph", "jellyfish", 1240, "look-alike characters ('i' for 'l')")),
        ("nurnpy", ("homoglyph", "numpy", 20, "look-alike characters ('rn' for 'm')")),
        ("b0to3", ("homoglyph", "boto3", 1, "look-alike characters ('0' for 'o')")),
        ("dateutil-python", ("order", "python-dateutil", 13, "words reordered")),
        ("python3-dateutil", ("prefix", "python-dateutil", 13, "changed 'python' to 'python3'")),
        ("py-dateutil", ("prefix", "python-dateutil", 13, "changed 'python' to 'py'")),
        ("pythondateutil", ("separator", "python-dateutil", 13, "separators added or removed")),
        ("scikitlearn", ("separator", "scikit-learn", 179, "separators added or removed")),
        ("Setup_Tools", ("separator", "setuptools", 9, "separators added or removed")),
        ("py-requests", ("affix", "requests", 6, "added prefix 'py-'")),
        ("pythonhttpx", ("affix", "httpx", 34, "added prefix 'python'")),
        ("requests-lib", ("affix", "requests", 6, "added suffix '-lib'")),
        ("urllib3-installer", ("affix", "urllib3", 3, "added suffix '-installer'")),
        ("pandas-dev", ("affix", "pandas", 37, "added suffix '-dev'")),
        ("colouramas", ("distance2", "colorama", 81, "two edits apart")),
        ("aiohtttps", ("distance2", "aiohttp", 49, "two edits apart")),
    ],
)
def test_each_kind_of_evidence_names_the_target_and_the_reason(
    name: str, expected: tuple[str, str, int, str]
) -> None:
    assert _why(name) == expected


def test_non_ascii_look_alikes_are_folded_and_named() -> None:
    match = default_index().check("r\u0435quests", known=False)  # Cyrillic ie
    assert match == Match(
        "r\u0435quests",
        "homoglyph",
        "requests",
        6,
        "non-ASCII look-alike characters ('\u0435' U+0435)",
    )
    fullwidth = default_index().check("\uff4e\uff55\uff4d\uff50\uff59", known=False)
    assert fullwidth is not None and (fullwidth.target, fullwidth.kind) == ("numpy", "homoglyph")


def test_a_typo_of_a_placeholder_names_the_real_package_too() -> None:
    match = default_index().check("pytroch", known=False)
    assert match is not None
    assert (match.kind, match.target, match.target_rank, match.means) == (
        "swap",
        "pytorch",
        8079,
        "torch",
    )


@pytest.mark.parametrize(
    "name",
    [
        "requests",  # popular names are never squats of another one
        "grequests",  # ranked, and one letter from requests
        "tomli",
        "cattrs",
        "pyside6",  # ranked; a version digit
        "boto",  # ranked and short
        "six",
        "siz",  # short: a plain change is not enough evidence
        "sixx",
        "trch",  # short deletion of torch
        "pyside7",  # version digits after a popular name's version digits
        "fairseqn",  # fairseq ranks 12,176: not popular enough for a one-letter change
        "pastee",  # pastel ranks 1,813: a changed letter needs a top-1,000 target
        "pydyn",  # five letters: one-letter edits need a top-500 target (pydyf ranks 902)
        "taolib",  # a letter in place of a separator is a changed letter (ta-lib ranks 4,984)
        "google-cloud-ids",  # one short word of a family replaced, not a typo of -kms
        "requestsdev",
        "my-internal-tool",
        "",
        "---",
    ],
)
def test_legitimate_or_weak_look_alikes_are_left_alone(name: str) -> None:
    assert default_index().check(name, known=False) is None


def test_known_malicious_names_come_first_and_match_after_normalisation() -> None:
    match = check_name("Python3_Dateutil")
    assert match == Match(
        "python3-dateutil",
        "malicious",
        "python-dateutil",
        13,
        "",
        "https://github.com/dateutil/dateutil/issues/984",
    )
    always = check_name("always.updates")
    assert always is not None and always.kind == "malicious"
    assert (always.target, always.reference) == (None, "MAL-2026-3685")


def test_placeholders_are_reported_as_placeholders() -> None:
    match = check_name("sklearn")
    assert match is not None
    assert (match.kind, match.target, match.target_rank) == ("placeholder", "scikit-learn", 179)
    assert check_name("scikit-learn") is None


def test_an_index_over_other_data_uses_that_data() -> None:
    index = TyposquatIndex({"alphabet": 1, "betamax": 2})
    assert index.check("alpahbet") == Match(
        "alpahbet", "swap", "alphabet", 1, "two letters swapped ('ah' for 'ha')"
    )
    assert index.check("alphabet") is None
    assert index.check("zzzzzz") is None


# ----------------------------------------------------------------------- data files


def test_popular_snapshot_has_its_provenance_and_no_known_malicious_names() -> None:
    text = read_data_file("popular_packages.tsv").decode("utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any(line.startswith("# source: ") for line in header)
    assert "# date: 2026-06" in header
    assert "# generated-by: rules/scripts/make_popular_packages.py" in header
    popular = parse_popular(text)
    assert len(popular) == 14985
    assert (popular["boto3"], popular["requests"], popular["torch"]) == (1, 6, 330)
    assert all(name == normalise(name) for name in popular)
    malicious, placeholders = parse_known(read_data_file("malicious_packages.toml").decode())
    assert not set(malicious) & set(popular)
    assert all(entry.reference for entry in malicious.values())
    assert set(placeholders) == {"sklearn", "pytorch", "bs4", "tensorflow-gpu"}


def _script(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "rules" / "scripts" / "make_popular_packages.py"), *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
    )
    return result.stdout


def test_snapshot_script_reads_hugovk_json_removes_malicious_names(tmp_path: Path) -> None:
    ranking = {
        "last_update": "2026-06-01 00:00:00",
        "rows": [
            {"project": "Typing_Extensions", "download_count": 900},
            {"project": "boto3", "download_count": 1000},
            {"project": "colourama", "download_count": 800},
            {"project": "requests", "download_count": 700},
        ],
    }
    path = tmp_path / "top-pypi-packages.json"
    path.write_text(json.dumps(ranking), encoding="utf-8")
    out = _script(str(path), "--date", "2026-06-01", "--source", "test ranking", cwd=tmp_path)
    assert out.splitlines() == [
        "# Popular PyPI packages: rank<TAB>name (PEP 503 normalised), most downloaded first.",
        "# source: test ranking",
        "# date: 2026-06-01",
        "# generated-by: rules/scripts/make_popular_packages.py",
        "# removed-malicious: colourama (rank 3) "
        "https://medium.com/@bertusk/cryptocurrency-clipboard-hijacker-discovered-in-pypi-repository-b66b8a534a8",
        "1\tboto3",
        "2\ttyping-extensions",
        "4\trequests",
    ]


def test_snapshot_script_reads_csv_and_the_package_list_form(tmp_path: Path) -> None:
    csv_path = tmp_path / "top.csv"
    csv_path.write_text("project,download_count\nsix,5\nurllib3,9\n", encoding="utf-8")
    out = _script(str(csv_path), "--date", "d", cwd=tmp_path)
    assert out.splitlines()[-2:] == ["1\turllib3", "2\tsix"]
    tsv = tmp_path / "pypi.tsv"
    tsv.write_text(
        "name\tversion\tmonth\trank_among_15000_most_downloaded\tsummary\n"
        "zzz\t1\t2020-01\t\tnot ranked\nPyYAML\t6\t2024-01\t2\tyaml\nboto3\t1\t2026-01\t1\taws\n",
        encoding="utf-8",
    )
    out = _script(str(tsv), "--date", "d", "--limit", "1", cwd=tmp_path)
    assert out.splitlines()[-1] == "1\tboto3"
    out = _script(str(tsv), "--date", "d", cwd=tmp_path)
    assert out.splitlines()[-2:] == ["1\tboto3", "2\tpyyaml"]


# ----------------------------------------------------------------------- the check


def _dep(name: str, line: int, **kw: object) -> Dependency:
    return Dependency(name, Location("requirements.txt", line), SourceKind.REQUIREMENTS, **kw)  # type: ignore[arg-type]


def _render(inventory: Inventory, config: Config | None = None) -> list[str]:
    out = []
    for f in check_typosquats(inventory, config or Config()):
        rule = get_rule(f.rule_id)
        out.append(
            f"{rule.severity.name} {f.rule_id} {f.location.path}:{f.location.line}: {rule.render(f)}"
        )
    return out


def test_check_reports_each_kind_with_rule_location_and_message() -> None:
    inv = Inventory(roots=(".",))
    inv.dependencies = [
        _dep("reqeusts", 12),
        _dep("dateutil-python", 13),
        _dep("colourama", 14),
        _dep("sklearn", 15),
        _dep("pytroch", 16),
        _dep("requests", 17),
        _dep("tocrh", 18),
    ]
    assert _render(inv) == [
        'HIGH AIB301 requirements.txt:12: "reqeusts" looks like a typo of "requests" '
        "(rank 6 on PyPI): two letters swapped ('eu' for 'ue')",
        'HIGH AIB301 requirements.txt:13: "dateutil-python" looks like a typo of '
        '"python-dateutil" (rank 13 on PyPI): words reordered',
        'CRITICAL AIB302 requirements.txt:14: "colourama" is a known malicious package name, '
        'imitating "colorama" (https://medium.com/@bertusk/'
        "cryptocurrency-clipboard-hijacker-discovered-in-pypi-repository-b66b8a534a8)",
        'LOW AIB303 requirements.txt:15: "sklearn" is a placeholder on PyPI, not the package '
        'itself; depend on "scikit-learn" (https://github.com/scikit-learn/sklearn-pypi-package)',
        'CRITICAL AIB302 requirements.txt:16: "pytroch" is a known malicious package name, '
        'imitating "torch" (DataDog malicious-software-packages-dataset '
        "(samples/pypi/manifest.json))",
        'HIGH AIB301 requirements.txt:18: "tocrh" looks like a typo of "torch" '
        "(rank 330 on PyPI): two letters swapped ('cr' for 'rc')",
    ]


def test_check_placeholder_typo_allowlist_conda_urls_and_duplicates() -> None:
    inv = Inventory(roots=(".",))
    inv.dependencies = [
        _dep("pytocrh", 1),  # a typo of the placeholder "pytorch"
        _dep("Reqeusts", 2),
        _dep("reqeusts", 2),  # same name and place: one finding
        _dep("torhc", 3, ecosystem="conda"),  # conda names are not PyPI names
        _dep("reqeusts", 4, url="https://example.org/reqeusts-1.0.tar.gz", url_kind="url"),
        _dep("my-c0mpany-lib", 5),
        _dep("Acme_Utilz", 6),
    ]
    config = Config(allowed_packages=frozenset({"acme-utilz", "My_C0mpany_Lib"}))
    assert _render(inv, config) == [
        'HIGH AIB301 requirements.txt:1: "pytocrh" looks like a typo of "pytorch" '
        "(rank 8079 on PyPI): two letters swapped ('cr' for 'rc'); \"pytorch\" is itself a "
        'placeholder for "torch"',
        'HIGH AIB301 requirements.txt:2: "Reqeusts" looks like a typo of "requests" '
        "(rank 6 on PyPI): two letters swapped ('eu' for 'ue')",
    ]


def test_online_facts_say_when_a_look_alike_does_not_exist_on_the_index() -> None:
    from aibom.enrich.index import page_key
    from aibom.model import IndexLookup, IndexPage

    public = "https://pypi.org/simple/"
    inv = Inventory(roots=(".",))
    inv.dependencies = [_dep("reqeusts", 1), _dep("tocrh", 2)]
    inv.index = IndexLookup(
        public=public,
        checked_at="2026-11-22T00:00:00+00:00",
        pages={
            page_key(public, "reqeusts"): IndexPage(public, "reqeusts", status=404),
            page_key(public, "tocrh"): IndexPage(public, "tocrh", status=200),
        },
    )
    online = _render(inv, Config(online=True))
    assert online[0].endswith(
        "two letters swapped ('eu' for 'ue'); the name does not exist on the index "
        "(a typo that would fail to install, or a malicious package since removed)"
    )
    assert online[1].endswith("two letters swapped ('cr' for 'rc')")
    assert _render(inv)[0].endswith("two letters swapped ('eu' for 'ue')")


def test_scan_reports_typosquats_from_a_requirements_file(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "requests==2.32.3\nreqeusts==2.32.3\ncolourama==0.1.6\n", encoding="utf-8"
    )
    result = scan(Config(roots=(tmp_path,)))
    ours = sorted(
        (f.rule_id, f.location.path, f.location.line, f.arg_dict["name"])
        for f in result.findings
        if f.rule_id.startswith("AIB30")
    )
    assert ours == [
        ("AIB301", "requirements.txt", 2, "reqeusts"),
        ("AIB302", "requirements.txt", 3, "colourama"),
    ]


@pytest.mark.parametrize(
    "name",
    [
        "a" * 100_000,
        "requests" + "-x" * 50_000,
        "-".join(["py"] * 20_000),
        "r\u0435" * 30_000,
        "\x00\x01requests\xff",
    ],
)
def test_hostile_names_get_an_answer_not_a_crash(name: str) -> None:
    assert check_name(name) is None


@pytest.mark.parametrize(
    ("a", "b", "full", "banded"),
    [
        ("requests", "reqeusts", 1, 1),
        ("colouramas", "colorama", 2, 2),
        ("botoceor", "botocore", 2, 2),
        ("abcdef", "fedcba", 5, 3),
        ("", "abc", 3, 3),
        ("same", "same", 0, 0),
    ],
)
def test_osa_distance_full_and_banded(a: str, b: str, full: int, banded: int) -> None:
    from aibom.checks.typosquat_index import _osa

    assert _osa(a, b) == full
    assert _osa(a, b, limit=2) == banded


def test_scan_checks_pyproject_and_conda_pip_sections_but_not_conda_packages(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1.0"\n'
        'dependencies = ["python3-dateutil>=2.8", "numpy"]\n',
        encoding="utf-8",
    )
    (tmp_path / "environment.yml").write_text(
        "name: demo\nchannels: [conda-forge]\ndependencies:\n  - pytorch=2.3\n  - pip\n"
        "  - pip:\n      - tocrh==2.3.0\n      - scikitlearn==1.5.0\n",
        encoding="utf-8",
    )
    result = scan(Config(roots=(tmp_path,)))
    ours = sorted(
        (f.rule_id, f.location.path, f.location.line, f.arg_dict["name"])
        for f in result.findings
        if f.rule_id.startswith("AIB30")
    )
    assert ours == [
        ("AIB301", "environment.yml", 7, "tocrh"),
        ("AIB301", "environment.yml", 8, "scikitlearn"),
        ("AIB302", "pyproject.toml", 4, "python3-dateutil"),
    ]
