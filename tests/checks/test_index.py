"""Index look-ups (`--online`) through `httpx.MockTransport` serving PyPI answers recorded in
fixtures/index/, and the checks AIB401-AIB408 that judge them."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from aibom.config import Config
from aibom.enrich.index import enrich_from_index, page_key
from aibom.model import Dependency, Hash, Inventory, Location, SourceKind
from aibom.scan import run_checks
from aibom.sources.requirements import parse_requirements_text

INDEX = Path(__file__).resolve().parent.parent.parent / "fixtures" / "index"
PYPI = "https://pypi.org/simple/"
PRIVATE = "https://download.pytorch.org/whl/nightly/cpu/"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
NOW = datetime(2026, 11, 22, tzinfo=UTC)
SIX_WHEEL = "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"
SIX_SDIST = "ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81"
IDNA_WHEEL = "946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3"

# A private index page made for the tests (not recorded): torchtriton as PyTorch's nightly
# index served it, in the PEP 691 shape.
PRIVATE_TORCHTRITON = {
    "meta": {"api-version": "1.0"},
    "name": "torchtriton",
    "files": [
        {
            "filename": "torchtriton-2.0.0+0d7e753227-cp311-cp311-linux_x86_64.whl",
            "url": "https://download.pytorch.org/whl/nightly/torchtriton-2.0.0.whl",
            "hashes": {"sha256": "ab" * 32},
        }
    ],
}


class Recorder:
    """A MockTransport handler: recorded PyPI pages, a private page, counts and concurrency."""

    def __init__(self, delay: float = 0.0) -> None:
        self.requests: list[httpx.Request] = []
        self.delay = delay
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            if self.delay:
                time.sleep(self.delay)
            return self.answer(request)
        finally:
            with self.lock:
                self.active -= 1

    def answer(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url == PRIVATE + "torchtriton/":
            return httpx.Response(
                200, json=PRIVATE_TORCHTRITON, headers={"content-type": JSON_TYPE}
            )
        if url.startswith(PYPI):
            name = url[len(PYPI) :].strip("/")
            page = INDEX / f"{name}.json"
            if page.is_file():
                return httpx.Response(
                    200, content=page.read_bytes(), headers={"content-type": JSON_TYPE}
                )
        return httpx.Response(404)


def _inventory(text: str, path: str = "requirements.txt") -> Inventory:
    inventory = Inventory(roots=(".",))
    inventory.add(parse_requirements_text(text, path))
    return inventory


def _config(tmp_path: Path, **changes: object) -> Config:
    return Config(online=True, cache_dir=tmp_path / "cache", **changes)  # type: ignore[arg-type]


def _findings(inventory: Inventory, config: Config) -> list[tuple[str, int | None, str]]:
    ids = {f"AIB40{i}" for i in range(1, 9)}
    return [
        (f.rule_id, f.location.line, f.arg_dict.get("name", ""))
        for f in run_checks(inventory, config)
        if f.rule_id in ids
    ]


def test_hashes_yanks_missing_versions_and_packages(tmp_path: Path) -> None:
    inventory = _inventory(
        f"six==1.17.0 --hash=sha256:{SIX_WHEEL} --hash=sha256:{SIX_SDIST}\n"
        f"idna==3.10 --hash=sha256:{'00' * 32}\n"
        "requests==2.32.0\n"
        "urllib3==9.9.9\n"
        "python3-dateutil==2.8.2\n"
        "requests-unpinned-range>=1\n"
    )
    config = _config(tmp_path)
    enrich_from_index(inventory, config, transport=httpx.MockTransport(Recorder()), now=NOW)
    assert inventory.errors == []
    findings = run_checks(inventory, config)
    index_findings = [f for f in findings if f.rule_id.startswith("AIB40")]
    from aibom.rules import get_rule

    assert [
        (f.rule_id, f.location.line, get_rule(f.rule_id).render(f)) for f in index_findings
    ] == [
        (
            "AIB401",
            2,
            "idna==3.10: sha256:0000000000000000… matches no file that "
            "https://pypi.org/simple/ publishes for this version",
        ),
        (
            "AIB402",
            3,
            "requests==2.32.0 is yanked on https://pypi.org/simple/: "
            "Yanked due to conflicts with CVE-2024-35195 mitigation",
        ),
        (
            "AIB405",
            4,
            "urllib3==9.9.9 is not published on https://pypi.org/simple/ (latest: 2.8.0)",
        ),
        (
            "AIB404",
            5,
            "python3-dateutil does not exist on https://pypi.org/simple/: a typo, or a "
            "package that was removed (often for malware)",
        ),
        (
            "AIB404",
            6,
            "requests-unpinned-range does not exist on https://pypi.org/simple/: a typo, or a "
            "package that was removed (often for malware)",
        ),
    ]


def test_private_package_missing_from_public_index_is_dependency_confusion(
    tmp_path: Path,
) -> None:
    inventory = _inventory(f"--extra-index-url {PRIVATE}\ntorchtriton==2.0.0\n")
    recorder = Recorder()
    config = _config(tmp_path)
    enrich_from_index(inventory, config, transport=httpx.MockTransport(recorder), now=NOW)
    assert sorted(str(r.url) for r in recorder.requests) == [
        PRIVATE + "torchtriton/",
        PYPI + "torchtriton/",
    ]
    assert all(r.headers["accept"].startswith(JSON_TYPE) for r in recorder.requests)
    findings = run_checks(inventory, config)
    assert [(f.rule_id, f.arg_dict) for f in findings if f.rule_id.startswith("AIB40")] == [
        (
            "AIB403",
            {"name": "torchtriton", "private": PRIVATE, "public": PYPI},
        )
    ]


def test_new_project_and_new_release(tmp_path: Path) -> None:
    inventory = _inventory("pytorch-triton==0.0.1\nsix==1.17.0\n")
    recorder = httpx.MockTransport(Recorder())
    config = _config(tmp_path, new_package_days=30)
    # pytorch-triton's only file: 2022-12-30; six 1.17.0: 2024-12-04
    enrich_from_index(inventory, config, transport=recorder, now=datetime(2023, 1, 2, tzinfo=UTC))
    assert _findings(inventory, config) == [("AIB406", 1, "pytorch-triton")]
    finding = next(f for f in run_checks(inventory, config) if f.rule_id == "AIB406")
    assert finding.arg_dict["first_upload"] == "2022-12-30"
    assert finding.arg_dict["days"] == "2"
    assert inventory.index is not None
    inventory.index.checked_at = "2024-12-10T00:00:00+00:00"
    assert _findings(inventory, config) == [("AIB407", 2, "six")]
    inventory.index.checked_at = NOW.isoformat()
    assert _findings(inventory, config) == []


def test_lock_entries_use_the_index_the_lock_names(tmp_path: Path) -> None:
    dep = Dependency(
        name="six",
        location=Location("uv.lock", 12),
        source=SourceKind.UV_LOCK,
        version="1.17.0",
        specifier="==1.17.0",
        hashes=(Hash("sha256", SIX_WHEEL), Hash("sha256", "11" * 32)),
        properties=(("aibom:index", "https://pypi.org/simple"),),
    )
    inventory = Inventory(roots=(".",), dependencies=[dep])
    config = _config(tmp_path)
    enrich_from_index(inventory, config, transport=httpx.MockTransport(Recorder()), now=NOW)
    assert _findings(inventory, config) == [("AIB401", 12, "six")]


def test_errors_name_the_index_and_fail_closed(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        name = str(request.url).rstrip("/").rsplit("/", 1)[-1]
        if name == "six":
            raise httpx.ConnectTimeout("timed out", request=request)
        if name == "idna":
            return httpx.Response(503)
        if name == "urllib3":
            return httpx.Response(200, text="<html></html>", headers={"content-type": "text/html"})
        return httpx.Response(200, content=b"{nope", headers={"content-type": JSON_TYPE})

    inventory = _inventory("six==1.17.0\nidna==3.10\nurllib3==2.2.3\nrequests==2.32.3\n")
    config = _config(tmp_path)
    enrich_from_index(inventory, config, transport=httpx.MockTransport(handler), now=NOW)
    assert [(e.location.line, e.reason) for e in inventory.errors] == [
        (1, "index look-up failed for six at https://pypi.org/simple/: timed out"),
        (2, "index look-up failed for idna at https://pypi.org/simple/: HTTP 503"),
        (
            3,
            "index look-up failed for urllib3 at https://pypi.org/simple/: answered "
            "text/html, not the JSON simple API (PEP 691)",
        ),
        (
            4,
            "index look-up failed for requests at https://pypi.org/simple/: invalid JSON "
            "(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
        ),
    ]
    assert not inventory.complete
    assert _findings(inventory, config) == []
    assert [f.rule_id for f in run_checks(inventory, config)] == ["AIB901"] * 4


def test_disk_cache_serves_repeat_look_ups_until_it_expires(tmp_path: Path) -> None:
    config = _config(tmp_path, cache_ttl_seconds=3600)
    first = Recorder()
    enrich_from_index(
        _inventory("six==1.17.0\nnope-not-here==1\n"), config, transport=httpx.MockTransport(first)
    )
    assert len(first.requests) == 2

    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("network is down", request=request)

    inventory = _inventory("six==1.17.0\nnope-not-here==1\n")
    enrich_from_index(inventory, config, transport=httpx.MockTransport(offline), now=NOW)
    assert inventory.errors == []
    assert inventory.index is not None
    assert inventory.index.pages[page_key(PYPI, "six")].status == 200
    assert inventory.index.pages[page_key(PYPI, "nope-not-here")].status == 404
    # expire the cache: the next look-up goes to the network again
    for entry in (tmp_path / "cache" / "index").rglob("*.json"):
        data = json.loads(entry.read_text("utf-8"))
        data["fetched"] -= 7200
        entry.write_text(json.dumps(data), "utf-8")
    again = Recorder()
    enrich_from_index(_inventory("six==1.17.0\n"), config, transport=httpx.MockTransport(again))
    assert [str(r.url) for r in again.requests] == [PYPI + "six/"]
    # ttl 0: no cache at all
    none = Recorder()
    enrich_from_index(
        _inventory("six==1.17.0\n"),
        config.replace(cache_ttl_seconds=0),
        transport=httpx.MockTransport(none),
    )
    assert len(none.requests) == 1


def test_requests_run_concurrently_with_a_bound(tmp_path: Path) -> None:
    names = [f"pkg-{i}" for i in range(20)]
    recorder = Recorder(delay=0.05)
    inventory = _inventory("".join(f"{n}==1.0\n" for n in names))
    enrich_from_index(
        inventory, _config(tmp_path, cache_ttl_seconds=0), transport=httpx.MockTransport(recorder)
    )
    assert len(recorder.requests) == 20
    assert 2 <= recorder.max_active <= 8


def test_credentialed_index_is_not_queried_and_leaves_versions_undecided(tmp_path: Path) -> None:
    inventory = _inventory(
        "--index-url https://user:secret@pypi.internal.example/simple\nsix==9.9.9\n"
    )
    recorder = Recorder()
    config = _config(tmp_path)
    enrich_from_index(inventory, config, transport=httpx.MockTransport(recorder), now=NOW)
    assert [str(r.url) for r in recorder.requests] == [PYPI + "six/"]
    assert all("secret" not in str(r.url) for r in recorder.requests)
    assert inventory.index is not None
    assert inventory.index.unqueried == ["https://***@pypi.internal.example/simple/"]
    assert _findings(inventory, config) == []


@pytest.mark.network
def test_live_lookup_on_pypi(tmp_path: Path) -> None:
    inventory = _inventory(f"six==1.17.0 --hash=sha256:{SIX_WHEEL}\nrequests==2.32.0\n")
    config = _config(tmp_path, cache_ttl_seconds=0)
    enrich_from_index(inventory, config)
    assert inventory.errors == []
    assert _findings(inventory, config) == [("AIB402", 2, "requests")]
    assert os.environ.get("AIBOM_NETWORK_TESTS") == "1"


def test_scan_online_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`aibom scan --online` through the CLI: the pipeline calls the look-up and the findings
    reach the report (the real httpx client, with the recorded pages as its transport)."""
    from click.testing import CliRunner

    from aibom.cli import main

    real_client = httpx.Client
    transport = httpx.MockTransport(Recorder())

    def client(*args: object, **kwargs: object) -> httpx.Client:
        kwargs["transport"] = transport
        return real_client(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx, "Client", client)
    monkeypatch.setenv("AIBOM_CACHE_DIR", str(tmp_path / "cache"))
    project = tmp_path / "app"
    project.mkdir()
    (project / "requirements.txt").write_text(
        f"six==1.17.0 --hash=sha256:{SIX_WHEEL}\nrequests==2.32.0 --hash=sha256:{'ab' * 32}\n",
        "utf-8",
    )
    done = CliRunner().invoke(
        main, ["scan", "--online", "--quiet", "--format", "json", str(project)]
    )
    report = json.loads(done.stdout)
    found = sorted((f["rule"], f["location"]["line"]) for f in report["findings"])
    assert found == [("AIB401", 2), ("AIB402", 2)]
    offline = CliRunner().invoke(main, ["scan", "--quiet", "--format", "json", str(project)])
    assert json.loads(offline.stdout)["findings"] == []


def test_malformed_pages_are_errors_and_odd_entries_are_skipped() -> None:
    from aibom.enrich.index import parse_page
    from aibom.model import IndexPage as Page

    assert parse_page([], Page(PYPI, "x")) == "not a PEP 691 project page (no files list)"
    assert (
        parse_page({"files": {}}, Page(PYPI, "x")) == "not a PEP 691 project page (no files list)"
    )
    assert parse_page({"meta": {"api-version": "2.0"}, "files": []}, Page(PYPI, "x")) == (
        "unsupported simple API version 2.0"
    )
    page = Page(PYPI, "x")
    body = {
        "meta": {"api-version": "1.4"},
        "project-status": {"status": "quarantined"},
        "files": [
            "not a dict",
            {"filename": 7},
            {"filename": "x-1.0.egg", "hashes": {"sha256": "aa"}},
            {"filename": "x-1.0.tar.gz", "hashes": ["nope"], "yanked": 1},
            {"filename": "x-1.0-py3-none-any.whl", "hashes": {"SHA256": "AB"}, "upload-time": 5},
        ],
    }
    assert parse_page(body, page) is None
    assert page.project_status == "quarantined"
    assert page.versions == {
        "1.0": [
            {
                "filename": "x-1.0.tar.gz",
                "hashes": {},
                "yanked": True,
                "upload_time": None,
                "requires_python": None,
            },
            {
                "filename": "x-1.0-py3-none-any.whl",
                "hashes": {"sha256": "ab"},
                "yanked": False,
                "upload_time": None,
                "requires_python": None,
            },
        ]
    }


def test_quarantined_project_is_reported(tmp_path: Path) -> None:
    body = json.loads((INDEX / "six.json").read_text("utf-8"))
    body["project-status"] = {"status": "quarantined"}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body, headers={"content-type": JSON_TYPE})

    inventory = _inventory("six==1.17.0\n")
    config = _config(tmp_path)
    enrich_from_index(inventory, config, transport=httpx.MockTransport(handler), now=NOW)
    assert _findings(inventory, config) == [("AIB408", 1, "six")]


def test_damaged_cache_entry_is_fetched_again(tmp_path: Path) -> None:
    config = _config(tmp_path, cache_ttl_seconds=3600)
    enrich_from_index(
        _inventory("six==1.17.0\n"), config, transport=httpx.MockTransport(Recorder())
    )
    for entry in (tmp_path / "cache" / "index").rglob("*.json"):
        entry.write_bytes(b"\x00garbage")
    again = Recorder()
    inventory = _inventory("six==1.17.0\n")
    enrich_from_index(inventory, config, transport=httpx.MockTransport(again))
    assert [str(r.url) for r in again.requests] == [PYPI + "six/"]
    assert inventory.errors == []
