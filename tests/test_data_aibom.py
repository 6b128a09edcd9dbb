"""Data sets, DVC pipelines, lineage and model cards in the AIBOM, on the fixtures made by
fixtures/data/make_data.py with DVC, pyarrow, pandas and huggingface_hub."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from aibom.analyzers.data_sets import tree_digest
from aibom.bom.cyclonedx import SPEC_VERSIONS, render_bom
from aibom.bom.validate import validate_text
from aibom.config import Config
from aibom.scan import ScanResult, scan

DATA = Path(__file__).resolve().parent.parent / "fixtures" / "data"


def _scan(root: Path) -> ScanResult:
    return scan(Config(roots=(root,), reproducible=True))


def _doc(result: ScanResult, spec: str = "1.6") -> dict[str, Any]:
    return json.loads(render_bom(result, "json", spec))


def _all(components: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for comp in components:
        out[comp["name"]] = comp
        out.update(_all(comp.get("components", [])))
    return out


def _props(comp: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in comp.get("properties", [])}


@pytest.mark.parametrize(
    "folder", ["files", "images", "dvc-project", "hub-cache", "cards", "models", "releases"]
)
@pytest.mark.parametrize("spec", SPEC_VERSIONS)
def test_data_aiboms_validate_for_every_spec(folder: str, spec: str) -> None:
    result = _scan(DATA / folder)
    for fmt in ("json", "xml"):
        assert validate_text(render_bom(result, fmt, spec)) == [], (folder, spec, fmt)


def test_data_files_are_data_components_with_media_type_and_header_facts() -> None:
    comps = _all(_doc(_scan(DATA / "files"))["components"])
    parquet = comps["train.parquet"]
    assert parquet["type"] == "data"
    assert parquet["mime-type"] == "application/vnd.apache.parquet"
    digest = hashlib.sha256((DATA / "files/train.parquet").read_bytes()).hexdigest()
    assert {"alg": "SHA-256", "content": digest} in parquet["hashes"]
    props = _props(parquet)
    assert props["aibom:data:rows"] == "40"
    assert props["aibom:data:columns"] == "id,text,label"
    assert comps["train.csv"]["mime-type"] == "text/csv"
    assert _props(comps["labels.tsv"])["aibom:data:columns"] == "id,label"
    assert comps["train.feather"]["mime-type"] == "application/vnd.apache.arrow.file"


def test_a_folder_of_many_small_files_is_one_component() -> None:
    result = _scan(DATA / "images")
    comps = _doc(result)["components"]
    assert len(comps) == 1
    (folder,) = comps
    assert folder["type"] == "data"
    assert _props(folder)["aibom:data:file-count"] == "300"
    entries = [
        (p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in (DATA / "images").iterdir()
    ]
    assert folder["hashes"] == [{"alg": "SHA-256", "content": tree_digest(entries)}]


def test_summary_digest_changes_with_one_byte(tmp_path: Path) -> None:
    shutil.copytree(DATA / "images", tmp_path / "images")
    before = _doc(_scan(tmp_path))["components"][0]["hashes"]
    target = tmp_path / "images" / "img_00007.png"
    target.write_bytes(target.read_bytes() + b"\0")
    after = _doc(_scan(tmp_path))["components"][0]["hashes"]
    assert before != after


def test_dvc_records_are_linked_and_checked() -> None:
    comps = _all(_doc(_scan(DATA / "dvc-project"))["components"])
    raw = _props(comps["data/raw.csv"])
    assert raw["aibom:dvc:tracked-by"] == "data/raw.csv.dvc"
    assert (
        raw["aibom:dvc:md5"]
        == hashlib.md5((DATA / "dvc-project/data/raw.csv").read_bytes()).hexdigest()
    )
    images = comps["data/images"]
    props = _props(images)
    # the directory MD5 computed here equals the one DVC wrote in images.dvc
    assert (
        props["aibom:dvc:dir-md5"] == props["aibom:dvc:md5"] == "229730fd6df2f57e6729e3860948b536"
    )
    assert props["aibom:data:file-count"] == "20"
    # scripts, params and metrics the stages name are components with hashes
    for name in ("src/train.py", "src/evaluate.py", "params.yaml", "metrics.json"):
        assert comps[name]["hashes"], name


def test_dvc_mismatch_is_an_issue(tmp_path: Path) -> None:
    shutil.copytree(DATA / "dvc-project", tmp_path / "p")
    (tmp_path / "p/data/raw.csv").write_text("id,text,label\n0,poisoned,1\n")
    result = _scan(tmp_path / "p")
    raw = next(a for a in result.inventory.artifacts if a.path == "data/raw.csv")
    assert [i.kind for i in raw.issues] == ["dvc:hash-mismatch"]


def test_dvc_tracked_path_not_in_the_workspace_keeps_dvc_identity(tmp_path: Path) -> None:
    shutil.copytree(DATA / "dvc-project", tmp_path / "p")
    (tmp_path / "p/data/raw.csv").unlink()
    comps = _all(_doc(_scan(tmp_path / "p"))["components"])
    raw = comps["data/raw.csv"]
    assert raw["hashes"] == [{"alg": "MD5", "content": "777b91bec0b6e7b8e875f2c23c8cdd83"}]
    assert _props(raw)["aibom:dvc:in-workspace"] == "false"


def test_dvc_stages_become_formulation() -> None:
    doc = _doc(_scan(DATA / "dvc-project"))
    (formula,) = doc["formulation"]
    (workflow,) = formula["workflows"]
    tasks = {t["name"]: t for t in workflow["tasks"]}
    assert list(tasks) == ["prepare", "train", "evaluate"]
    assert tasks["evaluate"]["taskTypes"] == ["test"]
    assert tasks["train"]["steps"][0]["commands"] == [{"executed": "python src/train.py"}]
    refs = {i["resource"]["ref"] for i in tasks["train"]["inputs"] if "resource" in i}
    assert {"file:src/train.py", "file:data/prepared/train.csv", "file:params.yaml"} <= refs
    params = next(i["parameters"] for i in tasks["train"]["inputs"] if "parameters" in i)
    assert params == [{"name": "params.yaml:train.epochs", "value": "3"}]
    outputs = tasks["evaluate"]["outputs"]
    assert outputs == [{"type": "metrics", "resource": {"ref": "file:metrics.json"}}]
    deps = {d["ref"]: d.get("dependsOn", []) for d in workflow["taskDependencies"]}
    assert deps["task:dvc:dvc.yaml:train"] == ["task:dvc:dvc.yaml:prepare"]
    assert deps["task:dvc:dvc.yaml:evaluate"] == [
        "task:dvc:dvc.yaml:prepare",
        "task:dvc:dvc.yaml:train",
    ]
    every_ref = {c["bom-ref"] for c in _all(doc["components"]).values()}
    for task in tasks.values():
        for entry in [*task.get("inputs", []), *task.get("outputs", [])]:
            if "resource" in entry:
                assert entry["resource"]["ref"] in every_ref


def test_hub_cache_dataset_repo() -> None:
    comps = _doc(_scan(DATA / "hub-cache"))["components"]
    (dataset,) = comps
    assert dataset["name"] == "acme/reviews"
    assert dataset["version"] == "3f1c0ffee5d2b7a9c8e4d6f0a1b2c3d4e5f60718"
    assert dataset["licenses"] == [{"license": {"id": "CC-BY-4.0"}}]
    assert dataset["supplier"] == {"name": "acme"}
    assert dataset["data"][0]["type"] == "dataset"
    props = _props(dataset)
    assert props["aibom:dataset:task-categories"] == "text-classification"
    assert props["aibom:dataset:annotations-creators"] == "crowdsourced"
    # the parquet file is inside it, once (the blob it links to is not a second component)
    (inner,) = dataset["components"]
    assert inner["name"].endswith("data/train-00000-of-00001.parquet")


def test_lineage_base_models_are_components_with_pedigree() -> None:
    doc = _doc(_scan(DATA / "models"))
    comps = _all(doc["components"])
    finetuned = comps["finetuned"]  # named by its path, not by the base it started from
    assert finetuned["pedigree"]["ancestors"] == [
        {
            "type": "machine-learning-model",
            "name": "bert-base-uncased",
            "purl": "pkg:huggingface/bert-base-uncased",
        }
    ]
    edges = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert "hf-model:bert-base-uncased" in edges[finetuned["bom-ref"]]
    assert "hf-dataset:acme/reviews" in edges[finetuned["bom-ref"]]
    adapter = comps["lora-adapter"]
    assert adapter["pedigree"]["ancestors"][0]["name"] == "meta-llama/Llama-3.2-1B"
    assert _props(adapter)["cdx:ai-ml:model:parameter:tune_method"] == "lora"


def test_model_card_quantitative_analysis_and_considerations() -> None:
    comps = _all(_doc(_scan(DATA / "models"), "1.6")["components"])
    card = comps["finetuned"]["modelCard"]
    assert card["quantitativeAnalysis"]["performanceMetrics"] == [
        {"type": "accuracy", "value": "0.91", "slice": "Acme Reviews (test)"},
        {"type": "f1", "value": "0.9", "slice": "Acme Reviews (test)"},
    ]
    considerations = card["considerations"]
    assert considerations["useCases"] == ["Classify the sentiment of short English film reviews."]
    env = {
        p["name"]: p["value"] for p in considerations["environmentalConsiderations"]["properties"]
    }
    assert env["aibom:card:co2-eq-emissions-grams"] == "300"
    props = _props(comps["finetuned"])
    assert props["cdx:ai-ml:tokenizer:hyperparameter:tokenizer_class"] == "BertTokenizer"
    assert props["aibom:card:co2-eq-emissions-grams"] == "300"  # mirrored for 1.5 readers


def test_environmental_considerations_left_out_for_1_5() -> None:
    comps = _all(_doc(_scan(DATA / "models"), "1.5")["components"])
    considerations = comps["finetuned"]["modelCard"]["considerations"]
    assert "environmentalConsiderations" not in considerations
    assert considerations["useCases"]


def test_dataset_card_folder_carries_the_licence() -> None:
    comps = _all(_doc(_scan(DATA / "releases/dataset-licence-changed/v2"))["components"])
    assert comps["data"]["type"] == "data"
    assert comps["data"]["licenses"] == [{"license": {"id": "CC-BY-NC-4.0"}}]
    # a folder with a dataset card is not a model folder
    assert comps["models/classifier"]["type"] == "machine-learning-model"


def test_lfs_pointer_where_data_should_be() -> None:
    result = _scan(DATA / "lfs")
    comps = _all(_doc(result)["components"])
    parquet = comps["data/train.parquet"]
    assert parquet["type"] == "data"  # the pointed-to file's identity, as data
    digest = hashlib.sha256((DATA / "files/train.parquet").read_bytes()).hexdigest()
    assert parquet["hashes"] == [{"alg": "SHA-256", "content": digest}]
    assert comps["model/model.safetensors"]["type"] == "machine-learning-model"
    reported = {f.location.path for f in result.findings if f.rule_id == "AIB903"}
    assert reported == {"data/train.parquet", "images.zip", "model/model.safetensors"}


def test_a_tree_of_shard_folders_is_one_data_set(tmp_path: Path) -> None:
    for shard in ("000", "001"):
        folder = tmp_path / "images" / shard
        folder.mkdir(parents=True)
        for i in range(60):  # 120 files in all: each shard alone is below the threshold
            (folder / f"{i}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes([i]))
    (tmp_path / "train.py").write_text("print('train')\n")
    comps = _doc(_scan(tmp_path))["components"]
    (images,) = [c for c in comps if c["type"] == "data"]
    assert images["name"] == "images"
    assert _props(images)["aibom:data:file-count"] == "120"


def test_data_read_from_a_url_is_inventoried(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(
        'import pandas as pd\nframe = pd.read_parquet("s3://acme-data/reviews.parquet")\n'
    )
    result = _scan(tmp_path)
    comps = _all(_doc(result)["components"])
    data = comps["s3://acme-data/reviews.parquet"]
    assert data["type"] == "data" and data["bom-ref"] == "url-data:s3://acme-data/reviews.parquet"
    assert [f.rule_id for f in result.findings] == ["AIB805"]


def test_stage_output_not_in_the_workspace_keeps_the_locked_md5(tmp_path: Path) -> None:
    shutil.copytree(DATA / "dvc-project", tmp_path / "p")
    (tmp_path / "p/model/weights.json").unlink()  # as in a clone before `dvc pull`
    comps = _all(_doc(_scan(tmp_path / "p"))["components"])
    weights = comps["model/weights.json"]
    assert weights["hashes"] == [{"alg": "MD5", "content": "832e498b59f4bf5cb1fa7c7fec8f5512"}]
    assert _props(weights)["aibom:dvc:in-workspace"] == "false"
