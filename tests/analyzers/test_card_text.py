"""Model and dataset card text: cards made with huggingface_hub's templates and one in the
style transformers.Trainer writes (fixtures/data/make_data.py)."""

from __future__ import annotations

from pathlib import Path

import yaml

from aibom.analyzers import card_text as ct

CARDS = Path(__file__).resolve().parents[2] / "fixtures" / "data" / "cards"


def _card(name: str) -> tuple[dict[str, object], str]:
    text = (CARDS / name / "README.md").read_text()
    return yaml.safe_load(text.split("---")[1]), text


def test_model_index_becomes_performance_metrics() -> None:
    front, _ = _card("model")
    metrics = ct.model_index_metrics(front)
    assert [(m.type, m.value, m.dataset) for m in metrics] == [
        ("accuracy", "0.91", "acme/reviews"),
        ("f1", "0.9", "acme/reviews"),
    ]
    assert ct.performance_metrics(metrics)[0] == {
        "type": "accuracy",
        "value": "0.91",
        "slice": "Acme Reviews (test)",
    }


def test_standard_sections_become_considerations() -> None:
    _, text = _card("model")
    found = ct.considerations(ct.sections(text))
    assert found["useCases"] == ["Classify the sentiment of short English film reviews."]
    assert any(
        t.startswith("Out of scope: Decisions about people") for t in found["technicalLimitations"]
    )
    (ethics,) = found["ethicalConsiderations"]
    assert "sarcasm" in ethics["name"]
    # the template's default recommendation sentence is not a mitigation strategy
    assert "mitigationStrategy" not in ethics


def test_placeholders_are_not_facts() -> None:
    _, text = _card("model")
    for value in ct.sections(text).values():
        assert "More Information Needed" not in value
        assert "<!--" not in value


def test_trainer_card() -> None:
    front, text = _card("trainer")
    assert ct.considerations(ct.sections(text)) == {
        "useCases": ["Sentiment of English film reviews. Not evaluated on other domains."]
    }
    (metric,) = ct.model_index_metrics(front)
    assert (metric.type, metric.value, metric.slice) == ("accuracy", "0.9316", "imdb (test)")


def test_environment_from_front_matter_and_section() -> None:
    front, text = _card("model")
    facts = dict(ct.environment(front, ct.sections(text)).facts)
    assert facts["co2-eq-emissions-grams"] == "300"
    assert facts["hardware"] == "1x A100"
    assert facts["hours-used"] == "2"
    assert facts["cloud-provider"] == "AWS"


def test_dataset_card_facts() -> None:
    front, text = _card("dataset")
    assert ct.looks_like_dataset_card(front)
    card = ct.dataset_card(front, text)
    assert card.licenses == ["cc-by-4.0"]
    facts = dict(card.facts)
    assert facts["task-categories"] == "text-classification"
    assert facts["annotations-creators"] == "crowdsourced"
    assert facts["size-categories"] == "n<1K"
    assert card.summary == "Short English film reviews labelled positive or negative."


def test_model_card_is_not_a_dataset_card() -> None:
    front, _ = _card("model")
    assert not ct.looks_like_dataset_card(front)


def test_parameter_count_format() -> None:
    assert ct.parameter_count(8_030_261_248) == "8B"
    assert ct.parameter_count(1_700_000) == "1.7M"
    assert ct.parameter_count(124_439_808) == "124M"
    assert ct.parameter_count(1_234_000_000_000) == "1.2T"
    assert ct.parameter_count(999) == "999"


def test_tokenizer_hyperparameters() -> None:
    config = {
        "tokenizer_class": "LlamaTokenizer",
        "eos_token": {"content": "</s>"},
        "padding_side": "left",
    }
    assert ct.tokenizer_hyperparameters(config) == [
        ("tokenizer_class", "LlamaTokenizer"),
        ("eos_token", "</s>"),
        ("padding_side", "left"),
    ]


def test_hostile_model_index_shapes() -> None:
    assert ct.model_index_metrics({"model-index": "x"}) == []
    assert (
        ct.model_index_metrics(
            {"model-index": [{"results": [{"metrics": [{"type": "a", "value": {"x": 1}}]}]}]}
        )
        == []
    )
    assert ct.model_index_metrics({"model-index": [None, 3, {"results": None}]}) == []
