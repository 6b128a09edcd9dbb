"""The one table from `ArtifactIssue.kind` (what an analyzer recorded) to the rule that reports
it. The pickle checks (`checks/pickles.py`), the model-format checks
(`checks/model_formats.py`) and the data checks (`checks/data.py`) each report the rules of
their group; a test asserts every issue
kind an analyzer writes is in this table.
"""

from __future__ import annotations

from ..model import ArtifactIssue

# ArtifactIssue.kind -> rule id. "remote-code:*" (runs when the model is loaded) and
# "remote-code-later:*" (runs only when some function is called) are matched by prefix.
ISSUE_RULES: dict[str, str] = {
    "safetensors:malformed": "AIB220",
    "gguf:chat-template": "AIB225",
    "hf:chat-template": "AIB225",
    "gguf:malformed": "AIB226",
    "onnx:external-data-escapes": "AIB230",
    "onnx:external-data-missing": "AIB231",
    "onnx:custom-domain": "AIB232",
    "onnx:malformed": "AIB233",
    "keras:lambda": "AIB235",
    "keras:external-module": "AIB236",
    "keras:dangerous-reference": "AIB237",
    "hdf5:external-link": "AIB237",
    "hf:custom-code": "AIB240",
    "hf:missing-shard": "AIB241",
    "hf:unindexed-weight": "AIB242",
    "remote-code:": "AIB245",
    "remote-code-later:": "AIB246",
}


# pickle containers (rules/rules_pickle.toml)
ISSUE_RULES.update(
    {
        "torchscript:code": "AIB207",
        "numpy:object-array": "AIB208",
        "zip:tampering": "AIB209",
        "pickle:global-mutation": "AIB210",
        "pickle:extension": "AIB211",
        "pickle:trailing-data": "AIB212",
    }
)
# data (rules/rules_data.toml)
ISSUE_RULES["dvc:hash-mismatch"] = "AIB801"

PICKLE_ISSUE_RULE_IDS = frozenset({"AIB207", "AIB208", "AIB209", "AIB210", "AIB211", "AIB212"})
DATA_ISSUE_RULE_IDS = frozenset({"AIB801"})
FORMAT_RULE_IDS = frozenset(ISSUE_RULES.values()) - PICKLE_ISSUE_RULE_IDS - DATA_ISSUE_RULE_IDS


def rule_for(issue: ArtifactIssue) -> str | None:
    """The rule an issue kind maps to ("remote-code:*" kinds by prefix), None if unmapped."""
    if issue.kind in ISSUE_RULES:
        return ISSUE_RULES[issue.kind]
    if ":" not in issue.kind:
        return None
    return ISSUE_RULES.get(issue.kind.split(":", 1)[0] + ":")
