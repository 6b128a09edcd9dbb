"""Checks on code references (AIB601-AIB629): exact findings for the fixture files."""

from __future__ import annotations

from pathlib import Path

from aibom import sources
from aibom.checks.code_refs import CHECKS, code_findings
from aibom.config import Config
from aibom.model import Dependency, FileRef, Finding, Inventory, Location, SourceKind
from aibom.rules import all_rules, get_rule
from aibom.scan import run_checks
from aibom.sources.code_refs import analyse_source

COMMIT = "4f1c2d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e"


def findings_for(fixtures: Path, name: str, deps: list[Dependency] | None = None) -> list[Finding]:
    collected = analyse_source((fixtures / "code" / name).read_bytes(), name)
    inventory = Inventory(roots=(".",))
    inventory.add(collected)
    inventory.dependencies.extend(deps or [])
    return list(code_findings(inventory, Config()))


def rendered(findings: list[Finding]) -> list[tuple[str, int | None, str]]:
    return [(f.rule_id, f.location.line, get_rule(f.rule_id).render(f)) for f in findings]


def torch_dep(version: str | None, specifier: str = "") -> Dependency:
    return Dependency(
        "torch",
        Location("requirements.txt", 1),
        SourceKind.REQUIREMENTS,
        version=version,
        specifier=specifier,
    )


def test_check_table_matches_rule_file() -> None:
    ids = {rid for rid, rule in all_rules().items() if rule.group == "code"}
    assert set().union(*(c.rule_ids for c in CHECKS)) == ids


def test_hub_reference_findings(fixtures: Path) -> None:
    assert rendered(findings_for(fixtures, "hub_refs.py")) == [
        (
            "AIB601",
            21,
            "model acme-ai/tokenizer is loaded by AutoTokenizer.from_pretrained without "
            "revision= (it follows the default branch); a branch or tag can be moved to "
            "other files",
        ),
        (
            "AIB601",
            23,
            "model acme-ai/big is loaded by M.from_pretrained at revision 'main', a branch, "
            "tag or short hash, not a full commit; a branch or tag can be moved to other files",
        ),
        (
            "AIB601",
            24,
            "model acme-ai/classifier is loaded by pipeline at revision 'v1.0', a branch, tag "
            "or short hash, not a full commit; a branch or tag can be moved to other files",
        ),
        (
            "AIB611",
            25,
            'pipeline("summarization") names no model: transformers downloads its current '
            "default for the task, at no fixed revision",
        ),
        (
            "AIB601",
            27,
            "dataset acme-ai/corpus is loaded by snapshot_download without revision= (it "
            "follows the default branch); a branch or tag can be moved to other files",
        ),
        (
            "AIB601",
            28,
            "model sentence-transformers/all-MiniLM-L6-v2 is loaded by SentenceTransformer "
            "without revision= (it follows the default branch); a branch or tag can be moved "
            "to other files",
        ),
        (
            "AIB601",
            29,
            "model cross-encoder/ms-marco-MiniLM-L-6-v2 is loaded by CrossEncoder at revision "
            "'abc1234', a branch, tag or short hash, not a full commit; a branch or tag can be "
            "moved to other files",
        ),
        (
            "AIB601",
            30,
            "timm pretrained model resnet50 is loaded by timm.create_model by registry name, "
            'which downloads the Hub\'s default branch (write "hf-hub:<repo>@<commit>" to pin '
            "it); a branch or tag can be moved to other files",
        ),
        (
            "AIB601",
            33,
            "model acme-ai/chat-7b is loaded by LLM without revision= (it follows the default "
            "branch); a branch or tag can be moved to other files",
        ),
        (
            "AIB602",
            33,
            "LLM passes trust_remote_code=True for acme-ai/chat-7b: Python files from the "
            "repository are downloaded and executed",
        ),
        (
            "AIB601",
            35,
            "dataset acme-ai/reviews-2 is loaded by ld without revision= (it follows the "
            "default branch); a branch or tag can be moved to other files",
        ),
        (
            "AIB610",
            37,
            "t.hub.load(\"pytorch/vision\") is pinned to 'v0.10.0', a branch or tag, not a full "
            "commit: torch.hub imports the repository's hubconf.py and runs it",
        ),
        (
            "AIB601",
            41,
            "model acme-ai/adapter is loaded by __import__('peft').PeftModel.from_pretrained "
            "without revision= (it follows the default branch); a branch or tag can be moved "
            "to other files",
        ),
        (
            "AIB601",
            45,
            "dataset acme-ai/files is loaded by ld at revision 'main', a branch, tag or short "
            "hash, not a full commit; a branch or tag can be moved to other files",
        ),
        (
            "AIB601",
            46,
            "model acme-ai/snap is loaded by HfApi().snapshot_download without revision= (it "
            "follows the default branch); a branch or tag can be moved to other files",
        ),
        (
            "AIB601",
            47,
            "model acme-ai/gen is loaded by pipeline without revision= (it follows the default "
            "branch); a branch or tag can be moved to other files",
        ),
        (
            "AIB602",
            47,
            "pipeline passes trust_remote_code=True for acme-ai/gen: Python files from the "
            "repository are downloaded and executed",
        ),
        (
            "AIB601",
            49,
            "model acme-ai/sd is loaded by M.from_single_file at revision 'main', a branch, tag "
            "or short hash, not a full commit; a branch or tag can be moved to other files",
        ),
        (
            "AIB601",
            51,
            "dataset acme-ai/d is loaded by requests.get at revision 'v1', a branch, tag or "
            "short hash, not a full commit; a branch or tag can be moved to other files",
        ),
    ]


def test_unsafe_loader_findings_with_torch_unpinned(fixtures: Path) -> None:
    found = findings_for(fixtures, "unsafe_loaders.py", [torch_dep(None, ">=2.0")])
    assert [(f.rule_id, f.location.line) for f in found] == [
        ("AIB604", 21),
        ("AIB603", 22),
        ("AIB605", 25),
        ("AIB605", 26),
        ("AIB605", 27),
        ("AIB605", 28),
        ("AIB605", 29),
        ("AIB606", 30),
        ("AIB607", 31),
        ("AIB608", 32),
        ("AIB608", 34),
        ("AIB609", 35),
        ("AIB605", 37),
        ("AIB603", 38),
        ("AIB605", 39),
    ]
    messages = dict(((f.rule_id, f.location.line), get_rule(f.rule_id).render(f)) for f in found)
    assert messages[("AIB604", 21)] == (
        "torch.load(weights/model.pt) does not pass weights_only=True and torch is not pinned, "
        "so an older torch that unpickles by default may be installed"
    )
    assert messages[("AIB603", 22)] == (
        "torch.load(weights/model.pt) passes weights_only=False: loading the file can run "
        "arbitrary code"
    )
    assert messages[("AIB606", 30)] == (
        "joblib.load on classifier.joblib unpickles the file: a crafted model file runs code "
        "when loaded"
    )
    assert messages[("AIB608", 34)] == (
        "np.load on x.npy passes allow_pickle=True: object arrays in the file are unpickled"
    )
    assert messages[("AIB609", 35)] == (
        "keras.models.load_model on model.keras passes safe_mode=False: Lambda layers in the "
        "file can run arbitrary code"
    )
    assert messages[("AIB605", 26)] == (
        "loads deserialises pickle data: loading untrusted data runs arbitrary code"
    )


def test_bare_torch_load_depends_on_the_pinned_torch(fixtures: Path) -> None:
    def aib604(deps: list[Dependency]) -> list[str]:
        return [
            get_rule("AIB604").render(f)
            for f in findings_for(fixtures, "unsafe_loaders.py", deps)
            if f.rule_id == "AIB604"
        ]

    # torch 2.6 made weights_only=True the default: a bare torch.load is then safe
    assert aib604([torch_dep("2.6.0")]) == []
    assert aib604([torch_dep("2.13.0"), torch_dep("2.6.0")]) == []
    assert aib604([torch_dep("2.5.1")]) == [
        "torch.load(weights/model.pt) does not pass weights_only=True and torch 2.5.1 "
        "defaults to weights_only=False"
    ]
    assert aib604([torch_dep("2.5.1"), torch_dep("2.6.0")]) == [
        "torch.load(weights/model.pt) does not pass weights_only=True and torch 2.5.1 "
        "defaults to weights_only=False"
    ]
    assert aib604([]) == [
        "torch.load(weights/model.pt) does not pass weights_only=True and the project does "
        "not pin torch, so the default depends on the installed version"
    ]


def test_dynamic_values_become_info_findings(fixtures: Path) -> None:
    assert rendered(findings_for(fixtures, "dynamic.py", [torch_dep("2.6.0")])) == [
        (
            "AIB629",
            15,
            "AutoModel.from_pretrained: the model id is not a literal (variable name); aibom "
            "cannot tell which model is loaded, so it is missing from the AIBOM",
        ),
        (
            "AIB629",
            16,
            "AutoModel.from_pretrained: revision is not a literal (computed at run time); aibom "
            "cannot tell whether acme-ai/fixed is pinned to a commit",
        ),
        (
            "AIB629",
            17,
            "AutoModel.from_pretrained: the model id is not a literal (f-string); aibom cannot "
            "tell which model is loaded, so it is missing from the AIBOM",
        ),
        (
            "AIB629",
            18,
            "AutoModel.from_pretrained: the model id is not a literal (variable NAME); aibom "
            "cannot tell which model is loaded, so it is missing from the AIBOM",
        ),
        (
            "AIB629",
            23,
            "AutoModel.from_pretrained: the model id is not a literal (variable TEMPLATE); aibom "
            "cannot tell which model is loaded, so it is missing from the AIBOM",
        ),
        (
            "AIB629",
            27,
            "torch.load: weights_only is not a literal (computed at run time); aibom cannot "
            "tell whether the load can run code",
        ),
        (
            "AIB601",
            28,
            "model acme-ai/remote is loaded by AutoModel.from_pretrained without revision= (it "
            "follows the default branch); a branch or tag can be moved to other files",
        ),
        (
            "AIB629",
            28,
            "AutoModel.from_pretrained: trust_remote_code is not a literal (computed at run "
            "time); aibom cannot tell whether remote code is executed",
        ),
        (
            "AIB601",
            30,
            "model acme-ai/template is loaded by AutoModel.from_pretrained without revision= "
            "(it follows the default branch); a branch or tag can be moved to other files",
        ),
    ]


def test_pinned_references_are_quiet() -> None:
    source = f"""
import torch
from transformers import AutoModel
from huggingface_hub import snapshot_download
AutoModel.from_pretrained("acme-ai/m", revision="{COMMIT}")
snapshot_download("acme-ai/d", repo_type="dataset", revision="{COMMIT}")
torch.hub.load("owner/repo:{COMMIT}", "entry")
torch.load("m.pt", weights_only=True)
""".encode()
    inventory = Inventory(roots=(".",))
    inventory.add(analyse_source(source, "ok.py"))
    assert len(inventory.code_refs) == 4
    assert list(code_findings(inventory, Config())) == []


def test_fixture_folder_through_the_collectors_and_the_check_table(fixtures: Path) -> None:
    config = Config(roots=(fixtures / "code",), workers=1)
    inventory = Inventory(roots=(".",))
    for path in sorted((fixtures / "code").iterdir()):
        kind = sources.classify(path.name)
        if kind is None:
            continue
        ref = FileRef(path, path.name, path.stat().st_size)
        inventory.add(sources.get_collector(kind)(ref, config))
    wanted = {*set().union(*(c.rule_ids for c in CHECKS)), "AIB901", "AIB904"}
    findings = run_checks(inventory, config, only=wanted)
    by_rule: dict[str, list[str]] = {}
    for f in findings:
        by_rule.setdefault(f.rule_id, []).append(str(f.location))
    assert by_rule["AIB901"] == ["broken_syntax.py:3", "nul_bytes.py"]
    # a notebook cell Python would refuse to compile is a gap, not an unreadable file
    assert by_rule["AIB904"] == ["notebook.ipynb:1 (cell 6)"]
    assert by_rule["AIB602"] == ["hub_refs.py:33", "hub_refs.py:47", "notebook.ipynb:3 (cell 3)"]
    assert "notebook.ipynb:2 (cell 5)" in by_rule["AIB604"]
    assert "latin1.py:4" in by_rule["AIB604"]
    assert not inventory.complete


def test_trust_remote_code_on_a_pinned_commit_is_low() -> None:
    source = f"""
from transformers import AutoModel
AutoModel.from_pretrained("acme-ai/custom", trust_remote_code=True, revision="{COMMIT}")
AutoModel.from_pretrained("acme-ai/custom", trust_remote_code=True, revision="v2")
""".encode()
    inventory = Inventory(roots=(".",))
    inventory.add(analyse_source(source, "r.py"))
    assert rendered(list(code_findings(inventory, Config()))) == [
        (
            "AIB612",
            3,
            f"AutoModel.from_pretrained runs the Python files of acme-ai/custom at commit {COMMIT}: "
            "check that this exact code was reviewed",
        ),
        (
            "AIB601",
            4,
            "model acme-ai/custom is loaded by AutoModel.from_pretrained at revision 'v2', a "
            "branch, tag or short hash, not a full commit; a branch or tag can be moved to other "
            "files",
        ),
        (
            "AIB602",
            4,
            "AutoModel.from_pretrained passes trust_remote_code=True for acme-ai/custom: Python "
            "files from the repository are downloaded and executed",
        ),
    ]


def test_inline_suppression_moves_the_finding_aside() -> None:
    from aibom.policy import apply_policy

    source = (
        b"import torch\n"
        b"a = torch.load('ours.pt', weights_only=False)  # aibom: ignore[AIB603] built by us\n"
        b"b = torch.load('theirs.pt', weights_only=False)\n"
    )
    inventory = Inventory(roots=(".",))
    inventory.add(analyse_source(source, "train.py"))
    findings = list(code_findings(inventory, Config()))
    kept, suppressed = apply_policy(findings, inventory, Config())
    assert [(f.rule_id, f.location.line) for f in kept] == [("AIB603", 3)]
    assert [(f.rule_id, f.location.line) for f in suppressed] == [("AIB603", 2)]
