"""Known vulnerabilities: the offline OSV database, pip-audit's services through recorded
responses (no network), alias merging, the result cache, and the checks (AIB501-AIB506)."""

from __future__ import annotations

import json
import re
import time
import zipfile
from pathlib import Path

import pytest
import requests
import yaml
from packaging.version import Version
from requests.adapters import BaseAdapter

from aibom.checks.vulns import CHECKS, fix_text, unaudited_findings, vulnerability_findings
from aibom.config import Config
from aibom.enrich.osv import AdvisoryError, Range, cvss3_base_score, range_contains
from aibom.enrich.osv_db import load_database
from aibom.enrich.vulns import audit_online, audit_targets, enrich_vulnerabilities, merge_aliases
from aibom.errors import InputError, NetworkError
from aibom.model import (
    AuditResult,
    Dependency,
    FileRef,
    Finding,
    Inventory,
    Location,
    ScanError,
    SourceKind,
    Unaudited,
    Vulnerability,
)
from aibom.rules import all_rules, get_rule
from aibom.sources.requirements import collect as collect_requirements

REQUESTS_2_30_SUMMARY = "Unintended leak of Proxy-Authorization header in requests"


@pytest.fixture
def db_path(fixtures: Path) -> Path:
    return fixtures / "osv-db"


def vuln_app(fixtures: Path) -> Inventory:
    path = fixtures / "projects" / "vuln-app" / "requirements.txt"
    collected = collect_requirements(
        FileRef(path, "requirements.txt", path.stat().st_size), Config(roots=(path.parent,))
    )
    assert collected.errors == []
    inventory = Inventory(roots=(".",))
    inventory.add(collected)
    return inventory


def summary(
    vulns: list[Vulnerability],
) -> list[tuple[str, str, str, tuple[str, ...], tuple[str, ...], str | None]]:
    return [(v.package, v.version, v.id, v.aliases, v.fixed_versions, v.severity) for v in vulns]


# --------------------------------------------------------------------------- ranges


def rng(*events: tuple[str, str]) -> Range:
    return Range("ECOSYSTEM", events)


@pytest.mark.parametrize(
    ("version", "expected"),
    [("1.9", False), ("2.3.0", True), ("2.30.0", True), ("2.31.0", False), ("3.0", False)],
)
def test_introduced_fixed(version: str, expected: bool) -> None:
    assert (
        range_contains(rng(("introduced", "2.3.0"), ("fixed", "2.31.0")), Version(version))
        is expected
    )


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.1", True),
        ("1.26.16", True),
        ("1.26.17", False),
        ("1.99", False),
        ("2.0.0", True),
        ("2.0.5", True),
        ("2.0.6", False),
    ],
)
def test_two_ranges_in_one_event_list_in_any_order(version: str, expected: bool) -> None:
    events = rng(
        ("introduced", "2.0.0"), ("fixed", "2.0.6"), ("introduced", "0"), ("fixed", "1.26.17")
    )
    assert range_contains(events, Version(version)) is expected


@pytest.mark.parametrize(
    ("version", "expected"), [("0.4", False), ("0.5.0", True), ("0.9.2", True), ("0.9.3", False)]
)
def test_last_affected_is_inclusive(version: str, expected: bool) -> None:
    assert (
        range_contains(rng(("introduced", "0.5.0"), ("last_affected", "0.9.2")), Version(version))
        is expected
    )


def test_limit_and_open_ended_ranges() -> None:
    assert range_contains(rng(("introduced", "0"), ("limit", "3.0")), Version("2.9")) is True
    assert range_contains(rng(("introduced", "0"), ("limit", "3.0")), Version("3.0")) is False
    assert range_contains(rng(("introduced", "1.0")), Version("99")) is True
    assert range_contains(rng(("introduced", "1.0")), Version("0.9")) is False


def test_invalid_event_version_is_an_advisory_error() -> None:
    with pytest.raises(
        AdvisoryError, match="fixed version 'not-a-version' is not a PEP 440 version"
    ):
        range_contains(rng(("introduced", "0"), ("fixed", "not-a-version")), Version("1.0"))


@pytest.mark.parametrize(
    ("vector", "score"),
    [
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N", 6.1),  # GHSA-j8r2-6x86-q33q (NVD: 6.1)
        ("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N", 5.6),  # GHSA-9wx4-h78v-vm56 (NVD: 5.6)
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N", 8.1),  # PYSEC-2023-192 (NVD: 8.1)
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", None),
        ("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", None),
    ],
)
def test_cvss3_base_score(vector: str, score: float | None) -> None:
    assert cvss3_base_score(vector) == score


# --------------------------------------------------------------------------- local database

PACKAGES = {
    "requests",
    "urllib3",
    "acme-modelkit",
    "acme-tokenizers",
    "acme-weights",
    "acme-datasets",
    "acme-evil",
    "acme-broken",
}


def test_database_reads_only_relevant_files_and_reports_malformed_ones(db_path: Path) -> None:
    db = load_database(db_path, PACKAGES)
    assert (db.files_read, db.files_parsed) == (15, 13)  # zzz-unrelated, acme-stealer not parsed
    root = db_path.as_posix()
    assert db.errors == [
        ScanError(
            Location(f"{root}/vulns/acme-broken/PYSEC-2099-106.yaml", 8),
            # libyaml's wording when PyYAML has its C loader, the pure-Python one's otherwise
            "invalid YAML: did not find expected ',' or ']'"
            if hasattr(yaml, "CSafeLoader")
            else "invalid YAML: expected ',' or ']', but got '<stream end>'",
        ),
        ScanError(
            Location(f"{root}/vulns/acme-broken/PYSEC-2099-107.json"),
            "not a valid OSV advisory: `affected` must be a list",
        ),
    ]


def test_database_queries_merge_aliases_across_files(db_path: Path) -> None:
    db = load_database(db_path, PACKAGES)
    results = []
    for package, version in [
        ("requests", "2.30.0"),
        ("requests", "2.31.0"),
        ("requests", "2.32.2"),
        ("urllib3", "1.26.16"),
        ("urllib3", "2.0.6"),
        ("acme-modelkit", "1.4.0"),
        ("acme-modelkit", "2.0.2"),
        ("acme-tokenizers", "0.9.2"),
        ("acme-tokenizers", "0.9.3"),
        ("acme-weights", "2.0.0"),
        ("acme-weights", "2.0.2"),
        ("acme-datasets", "3.1.0"),
        ("acme-datasets", "2.5"),
        ("acme-evil", "0.1.0"),
    ]:
        results += merge_aliases(db.query(package, version))
    assert summary(results) == [
        (
            "requests",
            "2.30.0",
            "PYSEC-2023-74",
            ("GHSA-j8r2-6x86-q33q", "CVE-2023-32681"),
            ("2.31.0",),
            "medium",
        ),
        ("requests", "2.30.0", "GHSA-9wx4-h78v-vm56", ("CVE-2024-35195",), ("2.32.2",), "medium"),
        ("requests", "2.31.0", "GHSA-9wx4-h78v-vm56", ("CVE-2024-35195",), ("2.32.2",), "medium"),
        (
            "urllib3",
            "1.26.16",
            "PYSEC-2023-192",
            ("GHSA-v845-jxx5-vc9f", "CVE-2023-43804"),
            ("1.26.17", "2.0.6"),
            "high",
        ),
        # PYSEC-2099-101 and GHSA-9999-m4kt-0001 share only CVE-2099-1001; GitHub's rating wins
        (
            "acme-modelkit",
            "1.4.0",
            "PYSEC-2099-101",
            ("GHSA-9999-m4kt-0001", "CVE-2099-1001"),
            ("1.4.1", "2.0.3"),
            "critical",
        ),
        ("acme-modelkit", "2.0.2", "PYSEC-2099-101", ("CVE-2099-1001",), ("1.4.1", "2.0.3"), None),
        ("acme-tokenizers", "0.9.2", "PYSEC-2099-102", ("CVE-2099-1002",), (), "low"),
        ("acme-weights", "2.0.0", "PYSEC-2099-103", (), (), None),  # listed as "2.0"
        # acme-datasets 3.1.0: only the withdrawn PYSEC-2099-104 names it
        ("acme-datasets", "2.5", "PYSEC-2099-105", (), ("3.0.0",), None),
        ("acme-evil", "0.1.0", "MAL-2099-1", (), (), "critical"),
    ]


def test_merged_record_keeps_the_summary_and_links(db_path: Path) -> None:
    db = load_database(db_path, {"requests"})
    merged = merge_aliases(db.query("requests", "2.30.0"))[0]
    assert merged.description == REQUESTS_2_30_SUMMARY
    assert merged.url == "https://github.com/psf/requests/security/advisories/GHSA-j8r2-6x86-q33q"
    assert merged.cvss == "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N"
    assert merged.source == f"local:{db_path.as_posix()}"


def test_zip_export_is_read_like_a_folder(db_path: Path, tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted((db_path / "vulns" / "urllib3").iterdir()):
            zf.write(path, path.name)
        zf.writestr("MAL-2099-1.json", (db_path / "vulns/acme-evil/MAL-2099-1.json").read_bytes())
    db = load_database(archive, {"urllib3", "acme-evil"})
    assert db.errors == []
    assert [v.id for v in db.query("urllib3", "1.26.16")] == ["PYSEC-2023-192"]
    assert [v.id for v in db.query("acme-evil", "0.1.1")] == ["MAL-2099-1"]


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "PYSEC-2099-300.yaml"
    bomb.write_text(
        "a: &a [acme-bomb, acme-bomb]\nb: &b [*a, *a]\nc: [*b, *b]\nid: PYSEC-2099-300\n"
    )
    db = load_database(tmp_path, {"acme-bomb"})
    assert db.errors == [
        ScanError(
            Location(bomb.as_posix(), 2), "invalid YAML: YAML aliases are not allowed in advisories"
        )
    ]


def test_missing_database_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="vulnerability database not found"):
        load_database(tmp_path / "nope", {"requests"})
    not_zip = tmp_path / "db.txt"
    not_zip.write_text("x")
    with pytest.raises(InputError, match=r"must be a folder of OSV advisories or an OSV all\.zip"):
        load_database(not_zip, {"requests"})


# --------------------------------------------------------------------------- targets


def test_audit_targets_and_reasons(fixtures: Path) -> None:
    inventory = vuln_app(fixtures)
    inventory.dependencies.append(
        Dependency(
            "conda-thing",
            Location("environment.yml", 3),
            SourceKind.CONDA,
            ecosystem="conda",
            version="1.0",
        )
    )
    targets, unaudited = audit_targets(inventory.dependencies)
    assert sorted(targets) == [
        ("acme-broken", "1.0"),
        ("acme-datasets", "3.1.0"),
        ("acme-evil", "0.1.0"),
        ("acme-modelkit", "1.4.0"),
        ("acme-tokenizers", "0.9.2"),
        ("acme-weights", "2.0.0"),
        ("requests", "2.30.0"),
        ("urllib3", "1.26.16"),
    ]
    assert targets[("acme-modelkit", "1.4.0")] == "acme_modelkit"
    assert unaudited == [
        Unaudited(
            "acme-stealer",
            "acme-stealer",
            "not pinned (>=1.0): any matching version may be installed",
            (Location("requirements.txt", 14),),
        ),
        Unaudited(
            "conda-thing",
            "conda-thing",
            "conda package: no conda advisory source is queried",
            (Location("environment.yml", 3),),
        ),
        Unaudited(
            "numpy",
            "numpy",
            "not pinned (>=1.26): any matching version may be installed",
            (Location("requirements.txt", 11),),
        ),
        Unaudited(
            "safetensors",
            "safetensors",
            "not pinned (no version specifier): any version may be installed",
            (Location("requirements.txt", 12),),
        ),
        Unaudited(
            "torch",
            "torch",
            "direct reference (vcs) without a version",
            (Location("requirements.txt", 13),),
        ),
    ]


def test_a_package_locked_elsewhere_is_audited_not_reported_unpinned() -> None:
    deps = [
        Dependency(
            "numpy", Location("pyproject.toml", 8), SourceKind.PYPROJECT, specifier=">=1.26"
        ),
        Dependency(
            "numpy", Location("uv.lock", 40), SourceKind.UV_LOCK, version="2.1.3", direct=False
        ),
    ]
    targets, unaudited = audit_targets(deps)
    assert targets == {("numpy", "2.1.3"): "numpy"}
    assert unaudited == []


# --------------------------------------------------------------------------- enrich + checks


def test_offline_enrich_and_findings(fixtures: Path, db_path: Path) -> None:
    inventory = vuln_app(fixtures)
    config = Config(vuln_db=db_path)
    enrich_vulnerabilities(inventory, config)
    assert [(v.package, v.id) for v in inventory.vulnerabilities] == [
        ("acme-evil", "MAL-2099-1"),
        ("acme-modelkit", "PYSEC-2099-101"),
        ("acme-stealer", "MAL-2099-2"),
        ("acme-tokenizers", "PYSEC-2099-102"),
        ("acme-weights", "PYSEC-2099-103"),
        ("requests", "PYSEC-2023-74"),
        ("requests", "GHSA-9wx4-h78v-vm56"),
        ("urllib3", "PYSEC-2023-192"),
    ]
    assert [e.location.path.rsplit("/", 1)[-1] for e in inventory.errors] == [
        "PYSEC-2099-106.yaml",
        "PYSEC-2099-107.json",
    ]
    assert inventory.audit.sources == [f"local:{db_path.as_posix()}"]
    assert inventory.audit.audited[:2] == [
        "acme-broken==1.0",
        "acme-datasets==3.1.0",
    ]

    findings = [*vulnerability_findings(inventory, config), *unaudited_findings(inventory, config)]
    assert [(f.rule_id, f.location.line) for f in findings] == [
        ("AIB504", 9),
        ("AIB504", 5),
        ("AIB504", 14),
        ("AIB506", 6),
        ("AIB501", 7),
        ("AIB505", 3),
        ("AIB505", 3),
        ("AIB501", 4),
        ("AIB502", 14),
        ("AIB502", 11),
        ("AIB502", 12),
        ("AIB502", 13),
    ]
    text = {
        (f.rule_id, f.arg_dict.get("id", f.arg_dict.get("name"))): get_rule(f.rule_id).render(f)
        for f in findings
    }
    assert text[("AIB501", "PYSEC-2023-192")] == (
        "urllib3 1.26.16 is affected by PYSEC-2023-192 (GHSA-v845-jxx5-vc9f, CVE-2023-43804): "
        "urllib3 is a user-friendly HTTP client library for Python. urllib3 doesn't treat the "
        "`Cookie` HTTP header special or provide any helpers for managing... "
        "(high, CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N); fixed in "
        "1.26.17, 2.0.6: upgrade to urllib3>=1.26.17"
    )
    assert text[("AIB505", "PYSEC-2023-74")] == (
        "requests 2.30.0 is affected by PYSEC-2023-74 (GHSA-j8r2-6x86-q33q, CVE-2023-32681): "
        f"{REQUESTS_2_30_SUMMARY} (medium, CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N); "
        "fixed in 2.31.0: upgrade to requests>=2.31.0"
    )
    assert text[("AIB501", "PYSEC-2099-103")] == (
        "acme-weights 2.0.0 is affected by PYSEC-2099-103: acme-weights follows symbolic links "
        "out of the cache folder when unpacking. (not rated by the advisory; treated as high); "
        "no fixed version is published"
    )
    assert text[("AIB504", "MAL-2099-1")] == (
        "acme-evil 0.1.0 is affected by MAL-2099-1: Malicious code in acme-evil (PyPI) "
        "(critical); no fixed version is published"
    )
    assert text[("AIB504", "MAL-2099-2")] == (
        "acme-stealer (every version) is affected by MAL-2099-2: Malicious code in acme-stealer "
        "(PyPI) (critical); no fixed version is published"
    )
    assert text[("AIB502", "numpy")] == (
        "numpy could not be audited for known vulnerabilities: not pinned (>=1.26): any "
        "matching version may be installed"
    )


def test_vulnerability_reported_at_every_declaration() -> None:
    inventory = Inventory(roots=(".",))
    inventory.dependencies += [
        Dependency(
            "requests", Location("requirements.txt", 2), SourceKind.REQUIREMENTS, version="2.31.0"
        ),
        Dependency("requests", Location("uv.lock", 10), SourceKind.UV_LOCK, version="2.31.0"),
        Dependency(
            "requests",
            Location("old/requirements.txt", 1),
            SourceKind.REQUIREMENTS,
            version="2.32.3",
        ),
    ]
    inventory.vulnerabilities.append(
        Vulnerability(
            "GHSA-9wx4-h78v-vm56",
            "requests",
            "2.31.0",
            fixed_versions=("2.32.2",),
            severity="medium",
        )
    )
    assert [str(f.location) for f in vulnerability_findings(inventory, Config())] == [
        "requirements.txt:2",
        "uv.lock:10",
    ]


@pytest.mark.parametrize(
    ("version", "fixes", "expected"),
    [
        ("1.26.16", ("1.26.17", "2.0.6"), "fixed in 1.26.17, 2.0.6: upgrade to urllib3>=1.26.17"),
        ("2.0.1", ("1.26.17", "2.0.6"), "fixed in 1.26.17, 2.0.6: upgrade to urllib3>=2.0.6"),
        ("3.0", ("1.26.17", "2.0.6"), "fixed in 1.26.17, 2.0.6, none above 3.0"),
        ("1.0", (), "no fixed version is published"),
    ],
)
def test_fix_text(version: str, fixes: tuple[str, ...], expected: str) -> None:
    assert fix_text(Vulnerability("X", "urllib3", version, fixed_versions=fixes)) == expected


def test_check_table_matches_rule_file() -> None:
    ids = {rid for rid, rule in all_rules().items() if rule.group == "vulns"}
    assert set().union(*(c.rule_ids for c in CHECKS)) == ids


# --------------------------------------------------------------------------- online (recorded)


class Recorded(BaseAdapter):
    """Serves fixtures/pip-audit/<service>/<name>-<version>.json; no file: HTTP 404 (what
    PyPI answers for an unknown project). `fail` makes every request fail."""

    def __init__(self, folder: Path, service: str, fail: object = None) -> None:
        super().__init__()
        self.folder = folder / service
        self.service = service
        self.fail = fail
        self.calls: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        if self.service == "osv":
            assert request.url == "https://api.osv.dev/v1/query"
            query = json.loads(request.body or b"{}")
            assert query["package"]["ecosystem"] == "PyPI"
            name = f"{query['package']['name']}-{query['version']}"
        else:
            _, project, version, _ = request.path_url.strip("/").split("/")
            name = f"{project}-{version}"
        self.calls.append(name)
        if isinstance(self.fail, BaseException):
            raise self.fail
        response = requests.Response()
        response.request = request
        response.url = request.url or ""
        path = self.folder / f"{name}.json"
        if isinstance(self.fail, int):
            response.status_code, response._content = self.fail, b"upstream error"
        elif path.exists():
            response.status_code, response._content = 200, path.read_bytes()
        else:
            response.status_code, response._content = 404, b'{"message": "Not Found"}'
        return response

    def close(self) -> None:
        pass


def session_for(adapter: Recorded) -> requests.Session:
    session = requests.Session()
    session.mount("https://", adapter)
    return session


def online_config(tmp_path: Path, service: str, ttl: int = 3600) -> Config:
    return Config(
        audit=True,
        vuln_service=service,
        cache_dir=tmp_path / "cache",
        cache_ttl_seconds=ttl,
        timeout_seconds=5,
    )


def test_online_osv_through_pip_audit(fixtures: Path, tmp_path: Path) -> None:
    inventory = vuln_app(fixtures)
    targets, _ = audit_targets(inventory.dependencies)
    adapter = Recorded(fixtures / "pip-audit", "osv")
    found, skipped = audit_online(
        targets, online_config(tmp_path, "osv"), session=session_for(adapter)
    )
    assert sorted(adapter.calls) == sorted(f"{k}-{v}" for k, v in targets)
    assert skipped == {}
    # pip-audit names a GHSA record by its CVE alias; merging makes one record per flaw
    merged = merge_aliases(found[("requests", "2.30.0")])
    assert summary(merged) == [
        (
            "requests",
            "2.30.0",
            "PYSEC-2023-74",
            ("GHSA-j8r2-6x86-q33q", "CVE-2023-32681"),
            ("2.31.0",),
            "medium",
        ),
        ("requests", "2.30.0", "GHSA-9wx4-h78v-vm56", ("CVE-2024-35195",), ("2.32.2",), "medium"),
    ]
    assert [v.source for v in merged] == ["osv", "osv"]
    assert summary(found[("urllib3", "1.26.16")]) == [
        (
            "urllib3",
            "1.26.16",
            "PYSEC-2023-192",
            ("CVE-2023-43804", "GHSA-v845-jxx5-vc9f"),
            ("1.26.17", "2.0.6"),
            "high",
        )
    ]
    assert found[("acme-evil", "0.1.0")] == []  # OSV knows nothing about the made-up names


def test_online_pypi_reports_unknown_packages_as_not_audited(
    fixtures: Path, tmp_path: Path
) -> None:
    inventory = vuln_app(fixtures)
    adapter = Recorded(fixtures / "pip-audit", "pypi")
    config = online_config(tmp_path, "pypi")
    from aibom.enrich import vulns

    original = vulns.audit_online
    try:
        vulns.audit_online = lambda targets, cfg: original(
            targets, cfg, session=session_for(adapter)
        )  # type: ignore[assignment]
        enrich_vulnerabilities(inventory, config)
    finally:
        vulns.audit_online = original  # type: ignore[assignment]
    assert [(v.package, v.id, v.url) for v in inventory.vulnerabilities] == [
        ("requests", "PYSEC-2023-74", "https://osv.dev/vulnerability/PYSEC-2023-74"),
        ("requests", "GHSA-9wx4-h78v-vm56", "https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56"),
        ("urllib3", "PYSEC-2023-192", "https://osv.dev/vulnerability/PYSEC-2023-192"),
    ]
    # PyPI's JSON API carries no severity: the finding says so and is reported as high
    assert {v.severity for v in inventory.vulnerabilities} == {None}
    reasons = {u.package: u.reason for u in inventory.audit.unaudited}
    assert reasons["acme-evil"] == (
        "the pypi service skipped it (Dependency not found on PyPI and could not be audited: "
        "acme-evil (0.1.0))"
    )
    assert sorted(reasons) == [
        "acme-broken",
        "acme-datasets",
        "acme-evil",
        "acme-modelkit",
        "acme-stealer",
        "acme-tokenizers",
        "acme-weights",
        "numpy",
        "safetensors",
        "torch",
    ]
    assert inventory.audit.sources == ["pypi"]


def test_results_are_cached_for_the_ttl(fixtures: Path, tmp_path: Path) -> None:
    targets = {("requests", "2.30.0"): "requests", ("acme-evil", "0.1.0"): "acme-evil"}
    config = online_config(tmp_path, "osv", ttl=3600)
    first = Recorded(fixtures / "pip-audit", "osv")
    found1, _ = audit_online(targets, config, session=session_for(first))
    assert sorted(first.calls) == ["acme-evil-0.1.0", "requests-2.30.0"]

    second = Recorded(fixtures / "pip-audit", "osv")
    found2, _ = audit_online(targets, config, session=session_for(second))
    assert second.calls == []  # answered from the cache
    assert found2 == found1

    for path in (tmp_path / "cache" / "vulns" / "osv").iterdir():  # age the cache past the TTL
        record = json.loads(path.read_text())
        record["fetched_at"] = time.time() - 3601
        path.write_text(json.dumps(record))
    third = Recorded(fixtures / "pip-audit", "osv")
    audit_online(targets, config, session=session_for(third))
    assert sorted(third.calls) == ["acme-evil-0.1.0", "requests-2.30.0"]

    no_cache = Recorded(fixtures / "pip-audit", "osv")
    audit_online(
        targets, online_config(tmp_path / "other", "osv", ttl=0), session=session_for(no_cache)
    )
    audit_online(
        targets, online_config(tmp_path / "other", "osv", ttl=0), session=session_for(no_cache)
    )
    assert len(no_cache.calls) == 4
    assert not (tmp_path / "other" / "cache" / "vulns").exists()


@pytest.mark.parametrize(
    ("fail", "message"),
    [
        (500, r"vulnerability lookup of requests==2\.30\.0 failed: HTTP 500 \(service: osv\)"),
        (
            requests.exceptions.ReadTimeout("read timed out"),
            r"vulnerability lookup of requests==2\.30\.0 failed after \d+\.\ds: timed out "
            r"\(read\) \(service: osv\)",
        ),
        (
            # pip-audit turns a connect timeout into its own ConnectionError
            requests.exceptions.ConnectTimeout("connect timed out"),
            r"vulnerability lookup of requests==2\.30\.0 failed: Could not connect to OSV's "
            r"vulnerability feed \(service: osv\)",
        ),
        (
            requests.exceptions.ConnectionError(
                "HTTPSConnectionPool(host='api.osv.dev', port=443): Max retries exceeded "
                "(Caused by NameResolutionError(\"Failed to resolve 'api.osv.dev' "
                '([Errno -2] Name or service not known)"))'
            ),
            r"vulnerability lookup of requests==2\.30\.0 failed after \d+\.\ds: cannot "
            r"connect: Name or service not known \(service: osv\)",
        ),
    ],
)
def test_service_failures_are_network_errors_naming_the_service(
    fixtures: Path, tmp_path: Path, fail: object, message: str
) -> None:
    adapter = Recorded(fixtures / "pip-audit", "osv", fail=fail)
    with pytest.raises(NetworkError) as caught:
        audit_online(
            {("requests", "2.30.0"): "requests"},
            online_config(tmp_path, "osv"),
            session=session_for(adapter),
        )
    assert re.fullmatch(message, str(caught.value)), str(caught.value)
    assert caught.value.hint == "retry later, raise `timeout`, or audit offline with --vuln-db PATH"
    # nothing is cached from a failed lookup
    assert list((tmp_path / "cache").rglob("*.json")) == []


def test_offline_and_online_results_merge(fixtures: Path, db_path: Path, tmp_path: Path) -> None:
    from aibom.enrich import vulns

    inventory = Inventory(roots=(".",))
    inventory.dependencies.append(
        Dependency(
            "requests", Location("requirements.txt", 1), SourceKind.REQUIREMENTS, version="2.30.0"
        )
    )
    adapter = Recorded(fixtures / "pip-audit", "osv")
    original = vulns.audit_online
    try:
        vulns.audit_online = lambda targets, cfg: original(
            targets, cfg, session=session_for(adapter)
        )  # type: ignore[assignment]
        enrich_vulnerabilities(inventory, online_config(tmp_path, "osv").replace(vuln_db=db_path))
    finally:
        vulns.audit_online = original  # type: ignore[assignment]
    assert [(v.id, v.source) for v in inventory.vulnerabilities] == [
        ("PYSEC-2023-74", f"local:{db_path.as_posix()},osv"),
        ("GHSA-9wx4-h78v-vm56", f"local:{db_path.as_posix()},osv"),
    ]


@pytest.mark.network
def test_live_osv_lookup(tmp_path: Path) -> None:  # pragma: no cover - AIBOM_NETWORK_TESTS=1
    found, _ = audit_online({("requests", "2.30.0"): "requests"}, online_config(tmp_path, "osv"))
    ids = {i for v in found[("requests", "2.30.0")] for i in (v.id, *v.aliases)}
    assert {"CVE-2023-32681", "CVE-2024-35195"} <= ids


def test_findings_are_plain_data() -> None:
    finding = Finding.make("AIB502", Location("requirements.txt", 3), name="x", reason="r", more="")
    assert (
        get_rule("AIB502").render(finding) == "x could not be audited for known vulnerabilities: r"
    )


# --------------------------------------------------------------------------- command line


def test_cli_offline_audit_writes_vulnerabilities_and_findings(
    fixtures: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from aibom.cli import main

    project = fixtures / "projects" / "vuln-app"
    result = CliRunner().invoke(
        main,
        ["scan", str(project), "--vuln-db", str(fixtures / "osv-db"), "--format", "json", "-q"],
    )
    # two advisories about acme-broken could not be read: the audit is incomplete (exit 2)
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    text = json.dumps(report)
    for rule_id in ("AIB501", "AIB502", "AIB504", "AIB505", "AIB506"):
        assert f'"{rule_id}"' in text
    assert "PYSEC-2023-192" in text and "MAL-2099-2" in text


def test_cli_service_failure_is_an_error_naming_the_service(
    fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from aibom.cli import main
    from aibom.enrich import vulns

    adapter = Recorded(fixtures / "pip-audit", "osv", fail=503)
    original = vulns.audit_online
    monkeypatch.setattr(
        vulns,
        "audit_online",
        lambda targets, cfg: original(targets, cfg, session=session_for(adapter)),
    )
    monkeypatch.setenv("AIBOM_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(
        main, ["scan", str(fixtures / "projects" / "vuln-app"), "--audit", "-q"]
    )
    assert result.exit_code == 2
    assert "failed: HTTP 503 (service: osv)" in result.stderr
    assert "audit offline with --vuln-db PATH" in result.stderr


def test_unauditable_package_reported_once_with_its_other_places() -> None:
    deps = [
        Dependency(
            "numpy", Location("requirements.txt", 4), SourceKind.REQUIREMENTS, specifier=">=1.26"
        ),
        Dependency(
            "numpy", Location("pyproject.toml", 9), SourceKind.PYPROJECT, specifier=">=1.26"
        ),
        Dependency("numpy", Location("requirements-dev.txt", 2), SourceKind.REQUIREMENTS),
    ]
    inventory = Inventory(roots=(".",))
    inventory.dependencies += deps
    inventory.audit = AuditResult(unaudited=audit_targets(deps)[1])
    found = list(unaudited_findings(inventory, Config()))
    assert [(str(f.location), get_rule(f.rule_id).render(f)) for f in found] == [
        (
            "pyproject.toml:9",
            "numpy could not be audited for known vulnerabilities: not pinned (>=1.26): any "
            "matching version may be installed (declared in 2 more places)",
        )
    ]
