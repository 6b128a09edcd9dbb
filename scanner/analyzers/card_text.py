"""Model and dataset cards beyond the front matter's identity fields.

- `model-index` (the structured evaluation results the Hub and `huggingface_hub.EvalResult`
  write) -> CycloneDX `quantitativeAnalysis.performanceMetrics`;
- the standard card sections (huggingface_hub's template: "Uses" / "Direct Use" /
  "Out-of-Scope Use", "Bias, Risks, and Limitations", "Recommendations", "Environmental
  Impact"; and the `transformers.Trainer` template's "Intended uses & limitations") ->
  CycloneDX `considerations`;
- `co2_eq_emissions` front matter and the "Environmental Impact" bullets -> environmental
  facts (CycloneDX's `energyConsumptions` needs kWh and an energy provider, which cards do not
  state, so they are kept as properties of `environmentalConsiderations`);
- parameter counts in the taxonomy's format (`1.7M`, `8B`), tokenizer hyperparameters from
  `tokenizer_config.json`, and the facts of a dataset card.

Template placeholders ("[More Information Needed]", the default recommendation sentence,
HTML comments) are not facts and are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 1000  # characters kept of one section
MAX_METRICS = 100
MAX_SECTIONS = 200

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_EMPTY_BULLET = re.compile(r"^\s*[-*]\s*\*\*[^*]+\*\*\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_PLACEHOLDERS = (
    re.compile(r"\[more information needed\]", re.IGNORECASE),
    re.compile(r"^more information needed\.?$", re.IGNORECASE | re.MULTILINE),
    re.compile(
        r"users \(both direct and downstream\) should be made aware of the risks, biases and "
        r"limitations of the model\. more information needed for further recommendations\.",
        re.IGNORECASE,
    ),
)


def _clean(text: str) -> str:
    text = _COMMENT.sub("", text)
    for pattern in _PLACEHOLDERS:
        text = pattern.sub("", text)
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out = "\n".join(line for line in lines if line.strip() and not _EMPTY_BULLET.match(line))
    return out[:MAX_TEXT]


def body_of(card_text: str) -> str:
    """The markdown after the YAML front matter (all of it when there is none)."""
    lines = card_text.splitlines()
    if lines and lines[0].strip() == "---":
        end = next((i for i, line in enumerate(lines) if i and line.strip() == "---"), None)
        if end is not None:
            return "\n".join(lines[end + 1 :])
    return card_text


def sections(card_text: str) -> dict[str, str]:
    """Heading (lower case, "[optional]" dropped) -> its own text (not its subsections),
    cleaned of placeholders. Fenced code blocks are not searched for headings."""
    out: dict[str, str] = {}
    current: str | None = None
    buf: list[str] = []
    fenced = False
    for line in body_of(card_text).splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            if current is not None and current not in out:
                out[current] = _clean("\n".join(buf))
            current = re.sub(r"\s*\[optional\]\s*", " ", match.group(2)).strip().lower()
            buf = []
            if len(out) >= MAX_SECTIONS:
                break
            continue
        buf.append(line)
    if current is not None and current not in out:
        out[current] = _clean("\n".join(buf))
    return {k: v for k, v in out.items() if v}


# heading -> which considerations field it fills
USE_CASES = (
    "direct use",
    "downstream use",
    "intended uses & limitations",
    "intended use",
    "intended uses",
    "uses",
    "how to use",
)
LIMITATIONS = (
    "limitations",
    "bias, risks, and limitations",
    "risks and limitations",
    "limitations and bias",
    "bias, risks and limitations",
    "out-of-scope use",
)
ETHICS = (
    "bias, risks, and limitations",
    "bias, risks and limitations",
    "ethical considerations",
    "bias",
    "limitations and bias",
    "risks",
)
MITIGATION = ("recommendations",)
USERS = ("intended users", "users")


def considerations(card_sections: dict[str, str]) -> dict[str, Any]:
    """CycloneDX `considerations` from a card's standard sections (empty when none)."""
    out: dict[str, Any] = {}
    uses = [card_sections[h] for h in USE_CASES if h in card_sections]
    if uses:
        out["useCases"] = _unique(uses)
    limits = []
    for heading in LIMITATIONS:
        text = card_sections.get(heading)
        if text:
            limits.append(f"Out of scope: {text}" if heading == "out-of-scope use" else text)
    if limits:
        out["technicalLimitations"] = _unique(limits)
    users = [card_sections[h] for h in USERS if h in card_sections]
    if users:
        out["users"] = _unique(users)
    risk = next((card_sections[h] for h in ETHICS if h in card_sections), None)
    mitigation = next((card_sections[h] for h in MITIGATION if h in card_sections), None)
    if risk:
        entry = {"name": risk}
        if mitigation:
            entry["mitigationStrategy"] = mitigation
        out["ethicalConsiderations"] = [entry]
    return out


def _unique(values: list[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


_BULLET = re.compile(r"^\s*[-*]\s*\*\*(.+?):?\*\*:?\s*(.*)$")
ENVIRONMENT_BULLETS = {
    "hardware type": "hardware",
    "hours used": "hours-used",
    "cloud provider": "cloud-provider",
    "compute region": "compute-region",
    "carbon emitted": "carbon-emitted",
}


@dataclass
class Environment:
    """Environmental facts a card states: (name, value) pairs, names stable and short."""

    facts: list[tuple[str, str]] = field(default_factory=list)


def environment(front: dict[str, Any], card_sections: dict[str, str]) -> Environment:
    env = Environment()
    co2 = front.get("co2_eq_emissions")
    if isinstance(co2, (int, float)) and not isinstance(co2, bool):
        env.facts.append(("co2-eq-emissions-grams", _number(co2)))
    elif isinstance(co2, dict):
        grams = co2.get("emissions")
        if isinstance(grams, (int, float)) and not isinstance(grams, bool):
            env.facts.append(("co2-eq-emissions-grams", _number(grams)))
        for key, name in (
            ("source", "co2-source"),
            ("training_type", "training-type"),
            ("geographical_location", "compute-region"),
            ("hardware_used", "hardware"),
        ):
            value = co2.get(key)
            if isinstance(value, (str, int, float)) and str(value).strip():
                env.facts.append((name, str(value)[:200]))
    text = card_sections.get("environmental impact", "")
    known = {name for name, _ in env.facts}
    for line in text.splitlines():
        match = _BULLET.match(line)
        if not match:
            continue
        label = ENVIRONMENT_BULLETS.get(match.group(1).strip().lower())
        stated = match.group(2).strip()
        if label and stated and label not in known:
            env.facts.append((label, stated[:200]))
            known.add(label)
    return env


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# ---------------------------------------------------------------- model-index


@dataclass(frozen=True)
class Metric:
    type: str
    value: str
    slice: str | None = None  # dataset (and split) it was computed on
    dataset: str | None = None  # the dataset's id (`dataset.type`), for lineage
    task: str | None = None


def model_index_metrics(front: dict[str, Any]) -> list[Metric]:
    """Every metric of every result of the card's `model-index`, bounded."""
    index = front.get("model-index")
    out: list[Metric] = []
    if not isinstance(index, list):
        return out
    for model in index[:MAX_METRICS]:
        results = model.get("results") if isinstance(model, dict) else None
        for result in results[:MAX_METRICS] if isinstance(results, list) else []:
            if not isinstance(result, dict):
                continue
            task: dict[str, Any] = _mapping(result.get("task"))
            dataset: dict[str, Any] = _mapping(result.get("dataset"))
            dataset_id = _text(dataset.get("type"))
            shown = _text(dataset.get("name")) or dataset_id
            split = _text(dataset.get("split"))
            where = f"{shown} ({split})" if shown and split else shown
            metrics = result.get("metrics")
            for metric in metrics[:MAX_METRICS] if isinstance(metrics, list) else []:
                if not isinstance(metric, dict):
                    continue
                kind = _text(metric.get("type")) or _text(metric.get("name"))
                value = metric.get("value")
                if kind is None or value is None or isinstance(value, (dict, list)):
                    continue
                out.append(
                    Metric(kind, str(value)[:100], where, dataset_id, _text(task.get("type")))
                )
                if len(out) >= MAX_METRICS:
                    return out
    return out


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
        return str(value).strip()[:200]
    return None


def performance_metrics(metrics: list[Metric]) -> list[dict[str, str]]:
    out = []
    for metric in metrics:
        entry = {"type": metric.type, "value": metric.value}
        if metric.slice:
            entry["slice"] = metric.slice
        out.append(entry)
    return out


# ---------------------------------------------------------------- taxonomy formats


def parameter_count(count: int) -> str:
    """The taxonomy's format: a number and M, B or T (`1.7M`, `8B`, `1.2T`); below a
    million the plain number (the taxonomy names no smaller unit)."""
    for unit, scale in (("T", 10**12), ("B", 10**9), ("M", 10**6)):
        if count >= scale:
            value = count / scale
            text = f"{value:.1f}".rstrip("0").rstrip(".") if value < 100 else f"{value:.0f}"
            return f"{text}{unit}"
    return str(count)


# peft_type -> the taxonomy's tune_method keyword
TUNE_METHODS = {
    "LORA": "lora",
    "ADALORA": "lora",
    "LOHA": "adapter",
    "LOKR": "adapter",
    "IA3": "adapter",
    "PROMPT_TUNING": "prompt",
    "P_TUNING": "prompt",
    "PREFIX_TUNING": "prompt",
    "MULTITASK_PROMPT_TUNING": "prompt",
    "ADAPTION_PROMPT": "adapter",
}

TOKENIZER_KEYS = (
    "tokenizer_class",
    "bos_token",
    "eos_token",
    "pad_token",
    "unk_token",
    "padding_side",
    "errors",
)


def tokenizer_hyperparameters(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(taxonomy name suffix, value) pairs from a `tokenizer_config.json`."""
    out = []
    for key in TOKENIZER_KEYS:
        value = config.get(key)
        if isinstance(value, dict):  # AddedToken serialised as {"content": ...}
            value = value.get("content")
        if isinstance(value, str) and value:
            out.append((key, value[:200]))
    length = config.get("model_max_length")
    if isinstance(length, int) and not isinstance(length, bool) and length < 10**9:
        out.append(("_undefined:model_max_length", str(length)))
    return out


# ---------------------------------------------------------------- dataset cards

DATASET_CARD_KEYS = (
    "task_categories",
    "task_ids",
    "size_categories",
    "source_datasets",
    "annotations_creators",
    "language_creators",
    "multilinguality",
    "dataset_info",
    "configs",
    "pretty_name",
)


@dataclass
class DatasetCard:
    licenses: list[str] = field(default_factory=list)
    pretty_name: str | None = None
    facts: list[tuple[str, str]] = field(default_factory=list)  # (short name, value)
    summary: str | None = None


def looks_like_dataset_card(front: dict[str, Any]) -> bool:
    return any(key in front for key in DATASET_CARD_KEYS) and "model-index" not in front


def dataset_card(front: dict[str, Any], card_text: str) -> DatasetCard:
    card = DatasetCard()
    licenses = _strings(front.get("license"))
    if licenses == ["other"] and _strings(front.get("license_name")):
        licenses = _strings(front.get("license_name"))
    card.licenses = licenses
    name = _text(front.get("pretty_name"))
    card.pretty_name = name
    for key in (
        "task_categories",
        "task_ids",
        "size_categories",
        "source_datasets",
        "annotations_creators",
        "language_creators",
        "multilinguality",
        "language",
    ):
        values = _strings(front.get(key))
        if values:
            card.facts.append((key.replace("_", "-"), ",".join(values)))
    found = sections(card_text)
    titled = next((v for k, v in found.items() if k.startswith("dataset card for")), None)
    summary = found.get("dataset summary") or titled
    card.summary = summary[:MAX_TEXT] if summary else None
    return card


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        return [str(v).strip() for v in value[:200] if isinstance(v, str) and v.strip()]
    return []
