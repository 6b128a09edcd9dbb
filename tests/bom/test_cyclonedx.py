"""The CycloneDX AIBOM: schema validity (1.5/1.6/1.7, JSON/XML), determinism, redaction,
modelCard, hashes, evidence, graph, findings and vulnerabilities, read back as plain data."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from aibom.bom.cyclonedx import SPEC_VERSIONS, build_document, render_bom, write_bom
from aibom.bom.read import parse_bom
from aibom.bom.validate import validate_text
from aibom.config import Config
from aibom.errors import InputError
from aibom.model import (
    Artifact,
    CodeReference,
    Dependency,
    Finding,
    Hash,
    IndexOption,
    Inventory,
    Location,
    PickleImport,
    ProjectInfo,
    ScanError,
    SourceKind,
    Vulnerability,
)
from aibom.scan import ScanResult, scan

PROJECTS = Path(__file__).resolve().parents[2] / "fixtures" / "projects"
H1 = "a" * 64
H2 = "b" * 64
COMMIT = "0123456789abcdef0123456789abcdef01234567"
SECRET = "hunter2token"


def _deps() -> list[Dependency]:
    req = SourceKind.REQUIREMENTS
    return [
        Dependency(
            "Requests",
            Location("requirements.txt", 3),
            req,
            specifier="==2.31.0",
            version="2.31.0",
            hashes=(Hash("sha256", H1),),
            licenses=("Apache-2.0",),
        ),
        Dependency(
            "requests",
            Location("uv.lock", 10),
            SourceKind.UV_LOCK,
            version="2.31.0",
            requires=("urllib3",),
            direct=False,
            hashes=(Hash("sha256", H2),),
        ),
        Dependency(
            "urllib3",
            Location("uv.lock", 20),
            SourceKind.UV_LOCK,
            version="2.2.3",
            direct=False,
            licenses=("MIT",),
        ),
        Dependency("urllib3", Location("requirements.txt", 4), req, specifier=">=2,<3"),
        Dependency(
            "private",
            Location("requirements.txt", 5),
            req,
            url=f"git+https://bot:{SECRET}@git.example.com/o/p.git@v1",
            url_kind="vcs",
            extras=("fast",),
            raw=f"private @ git+https://bot:{SECRET}@git.example.com",
        ),
        Dependency(
            "weird-hash",
            Location("requirements.txt", 6),
            req,
            specifier="==1.0",
            version="1.0",
            hashes=(Hash("sha256", "nothex"), Hash("whirlpool", "ab")),
        ),
        Dependency(
            "dual",
            Location("requirements.txt", 7),
            req,
            specifier="==1.0",
            version="1.0",
            licenses=("MIT OR Apache-2.0", "BSD-3-Clause"),
        ),
    ]


def _artifacts() -> list[Artifact]:
    card = {
        "modelParameters": {
            "approach": {"type": "self-supervised"},
            "task": "fill-mask",
            "architectureFamily": "bert",
            "modelArchitecture": "BertForMaskedLM",
            "datasets": [
                {
                    "type": "dataset",
                    "name": "wikipedia",
                    "contents": {"url": "https://huggingface.co/datasets/wikipedia"},
                }
            ],
            "inputs": [{"format": "text"}],
            "outputs": [{"format": "text"}],
        },
        "considerations": {"useCases": ["masked language modelling"]},
        "properties": [{"name": "aibom:base-model", "value": "google/bert"}],
    }
    return [
        Artifact(
            path="models/bert",
            format="huggingface",
            size=300,
            name="acme/bert-tiny",
            version=COMMIT,
            purl=f"pkg:huggingface/acme/bert-tiny@{COMMIT}",
            licenses=["apache-2.0"],
            model_card=card,
            properties={
                "cdx:ai-ml:model:parameter:count": "4386",
                "aibom:hf:source": f"https://u:{SECRET}@hf.example.com/x",
            },
        ),
        Artifact(
            path="models/bert/model.safetensors",
            format="safetensors",
            size=200,
            sha256=H1,
            parent="models/bert",
            properties={"aibom:dtypes": "F32"},
        ),
        Artifact(
            path="models/head.pkl",
            format="pickle",
            size=100,
            sha256=H2,
            framework="scikit-learn",
            pickle_imports=[
                PickleImport("posix", "system", called=True),
                PickleImport("sklearn.linear_model", "LogisticRegression"),
            ],
            incomplete=["pickle stream truncated at byte 90"],
        ),
        Artifact(path="data/train.csv", format="csv", size=10, sha256=H1, kind="data"),  # type: ignore[arg-type]
    ]


def _result(reproducible: bool = True, shuffle: int | None = None) -> ScanResult:
    inv = Inventory(roots=("proj",))
    inv.project = ProjectInfo(
        "demo-app", "1.2.0", Location("pyproject.toml", 2), licenses=("MIT",), description="A demo"
    )
    inv.dependencies = _deps()
    inv.artifacts = _artifacts()
    inv.code_refs = [
        CodeReference(
            "hub-model",
            "AutoModel.from_pretrained",
            Location("app.py", 4),
            target="acme/bert-tiny",
            revision=COMMIT,
        ),
        CodeReference("hub-dataset", "load_dataset", Location("train.py", 3), target="imdb"),
    ]
    inv.vulnerabilities = [
        Vulnerability(
            "GHSA-9wx4-h78v-vm56",
            "requests",
            "2.31.0",
            aliases=("CVE-2024-35195",),
            fixed_versions=("2.32.0",),
            description="Session verify=False persists",
            source="osv",
            url="https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56",
            severity="medium",
            cvss="CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N",
        ),
    ]
    inv.errors = [ScanError(Location("bad.pkl"), f"cannot fetch https://x:{SECRET}@h/a")]
    inv.index_options = [
        IndexOption(
            "--extra-index-url",
            f"https://ci:{SECRET}@pkgs.example.com/simple",
            Location("requirements.txt", 1),
            had_credentials=True,
        ),
        IndexOption("--trusted-host", "pkgs.example.com", Location("requirements.txt", 2)),
    ]
    findings = [
        Finding.make(
            "AIB101", Location("requirements.txt", 4), name="urllib3", spec=">=2,<3", hint="2.2.3"
        ),
        Finding.make(
            "AIB101", Location("requirements.txt", 4), name="urllib3", spec=">=2,<3", hint="2.2.3"
        ),
        Finding.make("AIB101", Location("other.txt", 1), name="x", spec="", hint="1"),
    ]
    if shuffle is not None:
        rng = random.Random(shuffle)
        for items in (inv.dependencies, inv.artifacts, inv.code_refs, findings):
            rng.shuffle(items)  # type: ignore[arg-type]
    return ScanResult(inv, findings, Config(reproducible=reproducible))


@pytest.fixture(autouse=True)
def _no_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


# ---------------------------------------------------------------- schema validity


@pytest.mark.parametrize("spec", SPEC_VERSIONS)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_full_aibom_validates(spec: str, fmt: str) -> None:
    text = render_bom(_result(), fmt, spec)
    assert validate_text(text) == []


def test_official_validator_accepts_it_too(tmp_path: Path) -> None:
    """The library's own validator (full rfc3987 URL checks) agrees, in a fresh process."""
    for spec in SPEC_VERSIONS:
        (tmp_path / f"bom-{spec}.json").write_text(render_bom(_result(), "json", spec))
    code = (
        "import sys\n"
        "from cyclonedx.schema import OutputFormat, SchemaVersion\n"
        "from cyclonedx.validation import make_schemabased_validator\n"
        "for spec in ('1.5', '1.6', '1.7'):\n"
        "    v = make_schemabased_validator(OutputFormat.JSON, SchemaVersion.from_version(spec))\n"
        "    text = open(sys.argv[1] + f'/bom-{spec}.json').read()\n"
        "    err = v.validate_str(text)\n"
        "    print(spec, err)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.splitlines() == ["1.5 None", "1.6 None", "1.7 None"]


FIXTURE_PROJECTS = (
    sorted(p.name for p in PROJECTS.iterdir() if p.is_dir()) if PROJECTS.is_dir() else []
)


@pytest.mark.parametrize("name", FIXTURE_PROJECTS)
def test_fixture_projects_give_valid_and_reproducible_aiboms(name: str) -> None:
    result = scan(Config(roots=(PROJECTS / name,), reproducible=True))
    for spec in SPEC_VERSIONS:
        for fmt in ("json", "xml"):
            text = render_bom(result, fmt, spec)
            assert validate_text(text) == [], (name, spec, fmt)
    again = scan(Config(roots=(PROJECTS / name,), reproducible=True))
    assert render_bom(again, "json", "1.6") == render_bom(result, "json", "1.6")


# ---------------------------------------------------------------- determinism


def test_reproducible_output_is_byte_identical_whatever_the_input_order() -> None:
    first = render_bom(_result(), "json", "1.6")
    assert render_bom(_result(), "json", "1.6") == first
    for seed in range(4):
        assert render_bom(_result(shuffle=seed), "json", "1.6") == first
    xml = render_bom(_result(), "xml", "1.6")
    assert render_bom(_result(shuffle=7), "xml", "1.6") == xml


def test_reproducible_has_no_serial_no_timestamp_and_says_so() -> None:
    doc = json.loads(render_bom(_result(), "json", "1.6"))
    assert "serialNumber" not in doc
    assert "timestamp" not in doc["metadata"]
    assert {"name": "cdx:reproducible", "value": "true"} in doc["metadata"]["properties"]


def test_source_date_epoch_sets_the_timestamp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    doc = json.loads(render_bom(_result(), "json", "1.6"))
    assert doc["metadata"]["timestamp"] == "2023-11-14T22:13:20Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH"):
        render_bom(_result(), "json", "1.6")


def test_default_output_has_a_random_serial_and_the_current_time() -> None:
    one = json.loads(render_bom(_result(reproducible=False), "json", "1.6"))
    two = json.loads(render_bom(_result(reproducible=False), "json", "1.6"))
    assert one["serialNumber"].startswith("urn:uuid:")
    assert one["serialNumber"] != two["serialNumber"]
    assert one["metadata"]["timestamp"].endswith("Z")
    assert {"name": "cdx:reproducible", "value": "true"} not in one["metadata"]["properties"]


def test_cli_two_reproducible_runs_write_identical_files(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from aibom.cli import main

    outputs = []
    for i in range(2):
        out = tmp_path / f"run{i}.cdx.json"
        res = CliRunner().invoke(
            main, ["scan", str(PROJECTS / "uv-app"), "-o", str(out), "--reproducible", "-q"]
        )
        assert res.exit_code in (0, 1), res.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert b'"name": "uv-app"' in outputs[0]


# ---------------------------------------------------------------- secrets


@pytest.mark.parametrize("spec", SPEC_VERSIONS)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_credentials_never_appear(spec: str, fmt: str) -> None:
    text = render_bom(_result(), fmt, spec)
    assert SECRET not in text
    assert "bot:" not in text
    assert "***@git.example.com/o/p.git@v1" in text


# ---------------------------------------------------------------- fields


def _doc(spec: str = "1.6") -> dict:  # type: ignore[type-arg]
    return json.loads(render_bom(_result(), "json", spec))


def _component(doc: dict, ref: str) -> dict:  # type: ignore[type-arg]
    def walk(items: list) -> dict | None:  # type: ignore[type-arg]
        for item in items:
            if item["bom-ref"] == ref:
                return item
            found = walk(item.get("components", []))
            if found:
                return found
        return None

    found = walk(doc["components"])
    assert found is not None, ref
    return found


def _props(comp: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(p["name"], p["value"]) for p in comp.get("properties", [])]


def test_library_component_fields() -> None:
    comp = _component(_doc(), "pkg:pypi/requests@2.31.0")
    assert comp == {
        "bom-ref": "pkg:pypi/requests@2.31.0",
        "type": "library",
        "name": "requests",
        "version": "2.31.0",
        "scope": "required",
        "purl": "pkg:pypi/requests@2.31.0",
        "licenses": [{"license": {"id": "Apache-2.0"}}],
        "externalReferences": [
            {
                "type": "distribution",
                "url": "https://pypi.org/simple/requests/",
                "hashes": [{"alg": "SHA-256", "content": H1}, {"alg": "SHA-256", "content": H2}],
            }
        ],
        "properties": [
            {"name": "aibom:graph", "value": "uv.lock"},
            {"name": "aibom:source", "value": "requirements"},
            {"name": "aibom:source", "value": "uv.lock"},
        ],
        "evidence": {
            "occurrences": [
                {"location": "requirements.txt", "line": 3},
                {"location": "uv.lock", "line": 10},
            ]
        },
    }


def test_range_specifier_and_licence_expression() -> None:
    doc = _doc()
    urllib3 = _component(doc, "pkg:pypi/urllib3@2.2.3")
    assert ("aibom:specifier", ">=2,<3") in _props(urllib3)
    assert urllib3["licenses"] == [{"license": {"id": "MIT"}}]
    dual = _component(doc, "pkg:pypi/dual@1.0")
    assert dual["licenses"] == [{"expression": "BSD-3-Clause AND (MIT OR Apache-2.0)"}]


def test_vcs_reference_and_extras() -> None:
    comp = _component(
        _doc(), "pkg:pypi/private?vcs_url=git%2Bhttps://%2A%2A%2A%40git.example.com/o/p.git%40v1"
    )
    assert (
        comp["purl"]
        == "pkg:pypi/private?vcs_url=git%2Bhttps://%2A%2A%2A%40git.example.com/o/p.git%40v1"
    )
    assert comp["externalReferences"] == [
        {"type": "vcs", "url": "git+https://***@git.example.com/o/p.git@v1"}
    ]
    assert ("cdx:python:package:required-extra", "fast") in _props(comp)
    assert "version" not in comp


def test_unrecognised_hashes_are_kept_as_properties_not_dropped() -> None:
    comp = _component(_doc(), "pkg:pypi/weird-hash@1.0")
    assert "externalReferences" not in comp
    assert ("aibom:hash:unrecognised", "sha256:nothex") in _props(comp)
    assert ("aibom:hash:unrecognised", "whirlpool:ab") in _props(comp)


def test_model_components_properties_and_nesting() -> None:
    doc = _doc()
    folder = _component(doc, "file:models/bert")
    assert folder["type"] == "machine-learning-model"
    assert folder["name"] == "acme/bert-tiny"
    assert folder["version"] == COMMIT
    assert folder["purl"] == f"pkg:huggingface/acme/bert-tiny@{COMMIT}"
    assert folder["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    assert [c["bom-ref"] for c in folder["components"]] == ["file:models/bert/model.safetensors"]
    weights = folder["components"][0]
    assert weights["hashes"] == [{"alg": "SHA-256", "content": H1}]
    assert _props(weights) == [
        ("aibom:analysis", "complete"),
        ("aibom:dtypes", "F32"),
        ("aibom:format", "safetensors"),
        ("aibom:path", "models/bert/model.safetensors"),
        ("aibom:size", "200"),
    ]
    head = _component(doc, "file:models/head.pkl")
    assert _props(head) == [
        ("aibom:analysis", "incomplete"),
        ("aibom:format", "pickle"),
        ("aibom:framework", "scikit-learn"),
        ("aibom:incomplete", "pickle stream truncated at byte 90"),
        ("aibom:path", "models/head.pkl"),
        ("aibom:pickle:global", "posix.system"),
        ("aibom:pickle:global", "sklearn.linear_model.LogisticRegression"),
        ("aibom:size", "100"),
    ]
    assert _component(doc, "file:data/train.csv")["type"] == "data"
    assert ("cdx:ai-ml:model:parameter:count", "4386") in _props(folder)
    assert ("aibom:hf:source", "https://***@hf.example.com/x") in _props(folder)


@pytest.mark.parametrize("spec", SPEC_VERSIONS)
def test_model_card_is_injected_and_valid(spec: str) -> None:
    doc = _doc(spec)
    card = _component(doc, "file:models/bert")["modelCard"]
    assert card == {
        "bom-ref": "modelcard:file:models/bert",
        "modelParameters": {
            "approach": {"type": "self-supervised"},
            "task": "fill-mask",
            "architectureFamily": "bert",
            "modelArchitecture": "BertForMaskedLM",
            "datasets": [{"ref": "hf-dataset:wikipedia"}],
            "inputs": [{"format": "text"}],
            "outputs": [{"format": "text"}],
        },
        "considerations": {"useCases": ["masked language modelling"]},
        "properties": [{"name": "aibom:base-model", "value": "google/bert"}],
    }
    data = _component(doc, "hf-dataset:wikipedia")
    assert data["type"] == "data"
    assert validate_text(json.dumps(doc)) == []


def test_invalid_model_card_content_is_caught_by_validation() -> None:
    result = _result()
    result.inventory.artifacts[0].model_card = {"modelParameters": {"bogus": 1}}
    errors = validate_text(render_bom(result, "json", "1.6"))
    assert errors == [
        "$.components[1].modelCard.modelParameters (in modelcard:file:models/bert): "
        "Additional properties are not allowed "
        "('bogus' was unexpected)"
    ]


def test_evidence_lines_per_spec_version() -> None:
    comp16 = _component(_doc("1.6"), "hf-model:acme/bert-tiny@" + COMMIT)
    assert comp16["evidence"] == {"occurrences": [{"location": "app.py", "line": 4}]}
    comp15 = _component(_doc("1.5"), "hf-model:acme/bert-tiny@" + COMMIT)
    assert comp15["evidence"] == {"occurrences": [{"location": "app.py#L4"}]}


def test_metadata() -> None:
    from aibom import __version__

    meta = _doc()["metadata"]
    assert meta["tools"] == {
        "components": [
            {
                "type": "application",
                "name": "aibom",
                "version": __version__,
                "bom-ref": f"tool:aibom@{__version__}",
            }
        ]
    }
    assert meta["component"] == {
        "type": "application",
        "bom-ref": "root:demo-app",
        "name": "demo-app",
        "version": "1.2.0",
        "description": "A demo",
        "licenses": [{"license": {"id": "MIT"}}],
        "evidence": {"occurrences": [{"location": "pyproject.toml", "line": 2}]},
    }
    assert meta["properties"] == [
        {"name": "cdx:reproducible", "value": "true"},
        {"name": "aibom:scan:complete", "value": "false"},
        {
            "name": "aibom:package-index",
            "value": "--extra-index-url https://***@pkgs.example.com/simple",
        },
        {"name": "aibom:scan:error", "value": "bad.pkl: cannot fetch https://***@h/a"},
    ]


def test_dependency_graph() -> None:
    deps = {d["ref"]: d.get("dependsOn", []) for d in _doc()["dependencies"]}
    assert deps["pkg:pypi/requests@2.31.0"] == ["pkg:pypi/urllib3@2.2.3"]
    assert deps["file:models/bert"] == [
        "file:models/bert/model.safetensors",
        "hf-dataset:wikipedia",
    ]
    assert deps["root:demo-app"] == [
        "file:data/train.csv",
        "file:models/bert",
        "file:models/head.pkl",
        "hf-dataset:imdb",
        f"hf-model:acme/bert-tiny@{COMMIT}",
        "pkg:pypi/dual@1.0",
        "pkg:pypi/private?vcs_url=git%2Bhttps://%2A%2A%2A%40git.example.com/o/p.git%40v1",
        "pkg:pypi/requests@2.31.0",
        "pkg:pypi/urllib3@2.2.3",
        "pkg:pypi/weird-hash@1.0",
    ]
    assert deps["pkg:pypi/urllib3@2.2.3"] == []


def test_findings_are_vulnerabilities_with_source_aibom() -> None:
    vulns = _doc()["vulnerabilities"]
    fp = Finding.make(
        "AIB101", Location("requirements.txt", 4), name="urllib3", spec=">=2,<3", hint="2.2.3"
    ).fingerprint
    other = Finding.make("AIB101", Location("other.txt", 1), name="x", spec="", hint="1")
    # two identical findings are one entry; the one without a component affects the root
    assert [v["bom-ref"] for v in vulns] == sorted(
        [
            f"finding:{fp}",
            f"finding:{other.fingerprint}",
            "vuln:GHSA-9wx4-h78v-vm56:requests@2.31.0",
        ]
    )
    entry = next(v for v in vulns if v["bom-ref"] == f"finding:{fp}")
    from aibom.rules import get_rule

    rule = get_rule("AIB101")
    assert entry == {
        "bom-ref": f"finding:{fp}",
        "id": "AIB101",
        "source": {"name": "aibom", "url": entry["source"]["url"]},
        "ratings": [{"source": {"name": "aibom"}, "severity": "high", "method": "other"}],
        "cwes": list(rule.cwe),
        "description": rule.render(
            Finding.make(
                "AIB101",
                Location("requirements.txt", 4),
                name="urllib3",
                spec=">=2,<3",
                hint="2.2.3",
            )
        ),
        "recommendation": rule.remediation.strip(),
        "affects": [{"ref": "pkg:pypi/urllib3@2.2.3"}],
        "properties": [
            {"name": "aibom:location", "value": "requirements.txt:4"},
            {"name": "aibom:fingerprint", "value": fp},
            {"name": "aibom:rule-slug", "value": rule.slug},
        ],
    }
    assert "urllib3" in entry["description"]
    root_entry = next(v for v in vulns if v["bom-ref"] == f"finding:{other.fingerprint}")
    assert root_entry["affects"] == [{"ref": "root:demo-app"}]


def test_real_vulnerability_entry() -> None:
    vulns = _doc()["vulnerabilities"]
    entry = next(v for v in vulns if v["id"] == "GHSA-9wx4-h78v-vm56")
    assert entry == {
        "bom-ref": "vuln:GHSA-9wx4-h78v-vm56:requests@2.31.0",
        "id": "GHSA-9wx4-h78v-vm56",
        "source": {"name": "OSV", "url": "https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56"},
        "references": [{"id": "CVE-2024-35195", "source": {"name": "NVD"}}],
        "ratings": [
            {
                "severity": "medium",
                "source": {
                    "name": "OSV",
                    "url": "https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56",
                },
                "method": "CVSSv31",
                "vector": "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N",
            }
        ],
        "description": "Session verify=False persists",
        "recommendation": "Upgrade requests to 2.32.0 or later.",
        "affects": [{"ref": "pkg:pypi/requests@2.31.0"}],
        "properties": [
            {"name": "aibom:package", "value": "requests@2.31.0"},
            {"name": "aibom:vuln-database", "value": "osv"},
            {"name": "aibom:fixed-version", "value": "2.32.0"},
        ],
    }


# ---------------------------------------------------------------- read back (diff)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_diff_reader_reads_what_we_write(fmt: str) -> None:
    bom = parse_bom(render_bom(_result(), fmt, "1.6").encode(), "x")
    comps = {c.bom_ref: c for c in bom.components}
    assert bom.root_ref == "root:demo-app"
    from aibom import __version__

    # the XML reader takes the tool's name only
    assert bom.producer == (f"aibom {__version__}" if fmt == "json" else "aibom")
    requests = comps["pkg:pypi/requests@2.31.0"]
    assert requests.dist_hashes == frozenset({("sha-256", H1), ("sha-256", H2)})
    assert comps["file:models/bert/model.safetensors"].parent_ref == "file:models/bert"
    assert comps["file:models/bert/model.safetensors"].hashes == {"sha-256": H1}
    assert bom.edges["pkg:pypi/requests@2.31.0"] == {"pkg:pypi/urllib3@2.2.3"}
    findings = {f.id: f for f in bom.findings}
    assert findings["AIB101"].is_aibom_finding
    assert findings["GHSA-9wx4-h78v-vm56"].affects == ("pkg:pypi/requests@2.31.0",)
    if fmt == "json":
        assert comps["file:models/bert"].model_card["modelParameters"]["task"] == "fill-mask"  # type: ignore[index]


def test_xml_carries_the_model_card() -> None:
    text = render_bom(_result(), "xml", "1.6")
    assert '<modelCard bom-ref="modelcard:file:models/bert">' in text
    assert "<ref>hf-dataset:wikipedia</ref>" in text
    assert '<hash alg="SHA-256">' + H1 + "</hash>" in text


# ---------------------------------------------------------------- writing


def test_write_bom_picks_the_format_from_the_name(tmp_path: Path) -> None:
    result = _result()
    write_bom(result, tmp_path / "a.cdx.json", "1.6")
    write_bom(result, tmp_path / "a.XML", "1.7")
    assert json.loads((tmp_path / "a.cdx.json").read_text())["specVersion"] == "1.6"
    assert (tmp_path / "a.XML").read_text().startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    assert 'xmlns="http://cyclonedx.org/schema/bom/1.7"' in (tmp_path / "a.XML").read_text()
    with pytest.raises(InputError) as info:
        write_bom(result, tmp_path / "a.yaml", "1.6")
    assert info.value.hint == "name it *.json, *.cdx.json or *.xml (or '-' for JSON on stdout)"
    with pytest.raises(InputError, match="unsupported CycloneDX spec version"):
        render_bom(result, "json", "1.4")


def test_write_bom_dash_is_json_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    write_bom(_result(), Path("-"), "1.6")
    assert json.loads(capsys.readouterr().out)["bomFormat"] == "CycloneDX"


def test_json_layout_one_component_per_line() -> None:
    text = render_bom(_result(), "json", "1.6")
    lines = text.splitlines()
    assert lines[0] == "{"
    assert lines[1] == '  "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",'
    comp_lines = [line for line in lines if line.startswith('    {"bom-ref": "pkg:pypi/')]
    assert len(comp_lines) == 5
    assert json.loads(text) == build_document(_result(), "1.6")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_non_utf8_file_names_and_control_characters_are_escaped(fmt: str, tmp_path: Path) -> None:
    inv = Inventory(roots=("proj",))
    # a file name that was not UTF-8 (decoded with surrogateescape) and a control character
    inv.artifacts = [
        Artifact(path="caf\udce9\x01.pkl", format="pickle", size=3, sha256=H1, name="x\x02y")
    ]
    result = ScanResult(inv, [], Config(reproducible=True))
    out = tmp_path / f"bom.{fmt}"
    write_bom(result, out, "1.6")
    text = out.read_text(encoding="utf-8")
    assert validate_text(text) == []
    bom = parse_bom(text.encode(), "x")
    refs = {c.bom_ref for c in bom.components}
    expected = "file:caf\\xe9\x01.pkl" if fmt == "json" else "file:caf\\xe9\\x01.pkl"
    assert expected in refs


def test_demo_project_models_findings_and_card() -> None:
    result = scan(Config(roots=(PROJECTS / "demo",), reproducible=True))
    doc = json.loads(render_bom(result, "json", "1.6"))
    folder = _component(doc, "file:models/classifier")
    assert [c["bom-ref"] for c in folder["components"]] == [
        "file:models/classifier/README.md",
        "file:models/classifier/config.json",
        "file:models/classifier/model.safetensors",
    ]
    assert folder["modelCard"]["modelParameters"]["datasets"] == [
        {"ref": "hf-dataset:acme/support-tickets"}
    ]
    assert _component(doc, "hf-dataset:acme/support-tickets")["type"] == "data"
    weights = _component(doc, "file:models/classifier/model.safetensors")
    assert weights["hashes"] == [
        {
            "alg": "SHA-256",
            "content": "b1e43ede98e6599a6a15fd63d361550b0437665c1537738a2252752b46599a85",
        }
    ]
    head = _component(doc, "file:models/legacy_head.pkl")
    assert ("aibom:pickle:global", "os.system") in _props(head)
    affects = {v["id"]: v["affects"][0]["ref"] for v in doc["vulnerabilities"]}
    assert affects["AIB201"] == "file:models/legacy_head.pkl"
    assert affects["AIB301"] == "pkg:pypi/reqeusts@2.31.0"
    assert affects["AIB601"] == "hf-model:acme/support-encoder"
    for spec in SPEC_VERSIONS:
        assert validate_text(render_bom(result, "xml", spec)) == []


def test_cyclonedx_python_lib_reads_the_json() -> None:
    """Consumers using the library can load aibom's AIBOMs (it drops modelCard, as documented)."""
    from cyclonedx.model.bom import Bom

    doc = json.loads(render_bom(_result(), "json", "1.6"))
    bom = Bom.from_json(doc)  # type: ignore[attr-defined]
    assert sorted(str(c.bom_ref) for c in bom.components) == sorted(
        c["bom-ref"] for c in doc["components"]
    )
    requests = next(c for c in bom.components if str(c.bom_ref) == "pkg:pypi/requests@2.31.0")
    assert str(requests.purl) == "pkg:pypi/requests@2.31.0"
    dist = next(iter(requests.external_references))
    assert sorted(h.content for h in dist.hashes) == [H1, H2]
    assert sorted(v.id for v in bom.vulnerabilities) == ["AIB101", "AIB101", "GHSA-9wx4-h78v-vm56"]


def test_audit_against_the_offline_database_fixture() -> None:
    project = PROJECTS / "vuln-app"
    db = PROJECTS.parent / "osv-db"
    result = scan(Config(roots=(project,), reproducible=True, vuln_db=db))
    doc = json.loads(render_bom(result, "json", "1.6"))
    vulns = {v["bom-ref"]: v for v in doc["vulnerabilities"] if v["source"]["name"] != "aibom"}
    urllib3 = vulns["vuln:PYSEC-2023-192:urllib3@1.26.16"]
    assert urllib3["affects"] == [{"ref": "pkg:pypi/urllib3@1.26.16"}]
    assert urllib3["source"] == {
        "name": "OSV",
        "url": "https://github.com/urllib3/urllib3/security/advisories/GHSA-v845-jxx5-vc9f",
    }
    assert urllib3["references"] == [
        {"id": "CVE-2023-43804", "source": {"name": "NVD"}},
        {"id": "GHSA-v845-jxx5-vc9f", "source": {"name": "GitHub"}},
    ]
    assert urllib3["recommendation"] == "Upgrade urllib3 to 1.26.17 or 2.0.6 or later."
    assert urllib3["properties"] == [
        {"name": "aibom:package", "value": "urllib3@1.26.16"},
        {"name": "aibom:vuln-database", "value": "local"},
        {"name": "aibom:fixed-version", "value": "1.26.17"},
        {"name": "aibom:fixed-version", "value": "2.0.6"},
    ]
    # an advisory for every version affects the package's component whatever its version
    assert vulns["vuln:MAL-2099-2:acme-stealer@*"]["affects"] == [{"ref": "pkg:pypi/acme-stealer"}]
    assert f"local:{db}" not in json.dumps(doc)
    assert validate_text(json.dumps(doc)) == []


def test_conda_fixture_channel_credentials_are_redacted() -> None:
    result = scan(Config(roots=(PROJECTS / "conda-env",), reproducible=True))
    for fmt in ("json", "xml"):
        text = render_bom(result, fmt, "1.6")
        assert "c0nda-t0ken" not in text
        assert "ci-bot" not in text
    doc = json.loads(render_bom(result, "json", "1.6"))
    assert {
        "name": "aibom:package-index",
        "value": "--channel https://***@conda.internal.example.com/ml-private",
    } in doc["metadata"]["properties"]


def test_distribution_reference_points_at_the_index_the_lock_names() -> None:
    inv = Inventory(roots=("proj",))
    inv.dependencies = [
        Dependency(
            "Private_Pkg",
            Location("uv.lock", 3),
            SourceKind.UV_LOCK,
            version="1.0",
            hashes=(Hash("sha256", H1),),
            properties=(("aibom:index", f"https://ci:{SECRET}@pkgs.example.com/simple/"),),
        ),
    ]
    doc = json.loads(render_bom(ScanResult(inv, [], Config(reproducible=True)), "json", "1.6"))
    comp = _component(doc, "pkg:pypi/private-pkg@1.0")
    assert comp["externalReferences"] == [
        {
            "type": "distribution",
            "url": "https://***@pkgs.example.com/simple/private-pkg/",
            "hashes": [{"alg": "SHA-256", "content": H1}],
        }
    ]
    assert ("aibom:index", "https://***@pkgs.example.com/simple/") in _props(comp)


def test_free_text_licences_map_to_spdx_ids_and_unknown_text_stays_named() -> None:
    from aibom.bom.cyclonedx import _licenses

    assert _licenses(["Apache 2.0 License"]) == [{"license": {"id": "Apache-2.0"}}]
    assert _licenses(["3-Clause BSD License"]) == [{"license": {"id": "BSD-3-Clause"}}]
    assert _licenses(["Mozilla Public License 2.0 (MPL 2.0)"]) == [{"license": {"id": "MPL-2.0"}}]
    # a family name that denotes no single licence, and unknown text, stay named licences
    assert _licenses(["BSD License"]) == [{"license": {"name": "BSD License"}}]
    assert _licenses(["ACME Proprietary"]) == [{"license": {"name": "ACME Proprietary"}}]
