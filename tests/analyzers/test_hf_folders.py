from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from aibom.config import Config
from aibom.model import Artifact, ArtifactIssue, ComponentKind, Inventory, Location, ScanError
from aibom.scan import collect

HF = Path(__file__).resolve().parents[2] / "fixtures" / "models" / "hf"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
SNAP = f"models--acme--tiny-bert/snapshots/{COMMIT}"


def inventory(root: Path) -> Inventory:
    return collect(Config(roots=(root,), workers=1))


def by_path(inv: Inventory) -> dict[str, Artifact]:
    return {a.path: a for a in inv.artifacts}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_hub_cache_snapshot_identity_and_card() -> None:
    inv = inventory(HF)
    arts = by_path(inv)
    model = arts[SNAP]
    assert model.kind is ComponentKind.MODEL
    assert model.format == "huggingface"
    assert model.name == "acme/tiny-bert"
    assert model.version == COMMIT
    assert model.purl == f"pkg:huggingface/acme/tiny-bert@{COMMIT}"
    assert model.licenses == ["apache-2.0"]
    assert model.framework == "transformers"
    assert model.size == sum(f.stat().st_size for f in (HF / SNAP).iterdir())
    assert model.model_card == {
        "modelParameters": {
            "task": "feature-extraction",
            "architectureFamily": "bert",
            "modelArchitecture": "BertModel",
            "datasets": [
                {
                    "type": "dataset",
                    "name": "acme/tiny-corpus",
                    "contents": {"url": "https://huggingface.co/datasets/acme/tiny-corpus"},
                },
                {
                    "type": "dataset",
                    "name": "wikipedia",
                    "contents": {"url": "https://huggingface.co/datasets/wikipedia"},
                },
            ],
        },
        "properties": [{"name": "aibom:base-model", "value": "google-bert/bert-base-uncased"}],
    }
    assert model.properties == {
        "aibom:hf:name-source": "hub cache path",
        "aibom:hf:model_type": "bert",
        "aibom:hf:architectures": "BertModel",
        "aibom:hf:torch_dtype": "float32",
        "cdx:ai-ml:model:hyperparameter:context_length": "64",
        "cdx:ai-ml:model:hyperparameter:hidden_size": "8",
        "cdx:ai-ml:model:hyperparameter:num_hidden_layers": "1",
        "cdx:ai-ml:model:hyperparameter:vocab_size": "5",
        "aibom:hf:transformers_version": "4.46.0",
        "aibom:base-model": "google-bert/bert-base-uncased",
        "cdx:ai-ml:model:language": "en,fr",
        "cdx:ai-ml:model:parameter:count": "40",
        "cdx:ai-ml:tokenizer:hyperparameter:tokenizer_class": "BertTokenizer",
    }
    assert model.facts["datasets"] == ["acme/tiny-corpus", "wikipedia"]
    assert model.facts["pipeline_tag"] == "feature-extraction"
    assert model.issues == []
    assert model.incomplete == []
    weights = arts[f"{SNAP}/model.safetensors"]
    assert weights.parent == SNAP
    assert weights.kind is ComponentKind.MODEL
    assert weights.purl == f"pkg:huggingface/acme/tiny-bert@{COMMIT}#model.safetensors"
    side = {p: (a.kind, a.format, a.sha256, a.parent) for p, a in arts.items() if a.parent == SNAP}
    assert side == {
        f"{SNAP}/README.md": (
            ComponentKind.FILE,
            "markdown",
            sha(HF / SNAP / "README.md"),
            SNAP,
        ),
        f"{SNAP}/config.json": (ComponentKind.FILE, "json", sha(HF / SNAP / "config.json"), SNAP),
        f"{SNAP}/tokenizer_config.json": (
            ComponentKind.FILE,
            "json",
            sha(HF / SNAP / "tokenizer_config.json"),
            SNAP,
        ),
        f"{SNAP}/model.safetensors": (
            ComponentKind.MODEL,
            "safetensors",
            sha(HF / SNAP / "model.safetensors"),
            SNAP,
        ),
    }
    assert inv.errors == []


def test_sharded_folder_missing_and_unindexed() -> None:
    arts = by_path(inventory(HF))
    model = arts["sharded"]
    assert model.issues == [
        ArtifactIssue(
            "hf:missing-shard",
            "model.safetensors.index.json lists model-00002-of-00002.safetensors",
            Location("sharded/model.safetensors.index.json"),
            (
                ("index", "model.safetensors.index.json"),
                ("shard", "model-00002-of-00002.safetensors"),
            ),
        ),
        ArtifactIssue(
            "hf:unindexed-weight",
            "extra.safetensors is not listed in model.safetensors.index.json",
            Location("sharded/extra.safetensors"),
            (("index", "model.safetensors.index.json"), ("file", "extra.safetensors")),
        ),
    ]
    assert model.facts["shards"] == [
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    ]
    # no commit: no purl
    # a local folder is named by its path; `_name_or_path` is the base it started from
    assert (model.name, model.version, model.purl) == (None, None, None)
    assert [a.name for a in model.ancestors] == ["acme/tiny-bert"]
    assert model.properties["aibom:hf:name-or-path"] == "acme/tiny-bert"
    assert "cdx:ai-ml:model:parameter:count" not in model.properties  # a shard is missing
    # shards are model files, linked to their folder
    shard = arts["sharded/model-00001-of-00002.safetensors"]
    assert shard.kind is ComponentKind.MODEL
    assert shard.properties["aibom:shard-of"] == "sharded"
    assert arts["sharded/extra.safetensors"].kind is ComponentKind.MODEL


def test_custom_code_folder() -> None:
    arts = by_path(inventory(HF))
    model = arts["custom-code"]
    assert [(i.kind, i.location, i.arg_dict) for i in model.issues] == [
        (
            "hf:custom-code",
            Location("custom-code/config.json"),
            {
                "file": "config.json",
                "classes": "AutoConfig -> modeling_ok.TinyConfig, AutoModel -> "
                "modeling_ok.TinyModel, AutoModelForCausalLM -> modeling_evil.EvilModel",
            },
        ),
        (
            "hf:custom-code",
            Location("custom-code/tokenizer_config.json"),
            {
                "file": "tokenizer_config.json",
                "classes": "AutoTokenizer -> other-org/tokenizers--tokenization_x.Tok "
                "(code from other-org/tokenizers)",
            },
        ),
    ]
    assert model.properties["aibom:hf:trust-remote-code"] == "required"
    assert model.facts["python_files"] == ["modeling_evil.py", "modeling_ok.py"]
    assert model.facts["python_imports"] == [
        "base64",
        "math",
        "os",
        "subprocess",
        "torch",
        "transformers",
    ]
    evil = arts["custom-code/modeling_evil.py"]
    assert (evil.kind, evil.format, evil.parent) == (ComponentKind.FILE, "python", "custom-code")
    assert [(i.kind, i.location.line) for i in evil.issues] == [
        ("remote-code:command", 9),
        ("remote-code:eval", 18),
        ("remote-code:file-outside", 19),
        ("remote-code-later:command", 22),
    ]
    assert arts["custom-code/modeling_ok.py"].issues == []


def test_hub_blobs_are_not_listed_twice(tmp_path: Path) -> None:
    repo = tmp_path / "models--acme--tiny-bert"
    blobs = repo / "blobs"
    snap = repo / "snapshots" / COMMIT
    blobs.mkdir(parents=True)
    snap.mkdir(parents=True)
    for name in ("config.json", "model.safetensors"):
        digest = sha(HF / SNAP / name)
        shutil.copy(HF / SNAP / name, blobs / digest)
        os.symlink(f"../../blobs/{digest}", snap / name)
    save_file({"x": np.ones(1, np.float32)}, blobs / "orphan")
    arts = by_path(inventory(tmp_path))
    weights_digest = sha(HF / SNAP / "model.safetensors")
    assert f"models--acme--tiny-bert/blobs/{weights_digest}" not in arts
    assert "models--acme--tiny-bert/blobs/orphan" in arts
    snap_rel = f"models--acme--tiny-bert/snapshots/{COMMIT}"
    assert arts[f"{snap_rel}/model.safetensors"].parent == snap_rel
    assert arts[snap_rel].purl == f"pkg:huggingface/acme/tiny-bert@{COMMIT}"


def write_model(folder: Path, config: object, card: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = config if isinstance(config, str) else json.dumps(config)
    (folder / "config.json").write_text(text)
    if card is not None:
        (folder / "README.md").write_text(card)
    save_file({"w": np.ones((2, 3), np.float32)}, folder / "model.safetensors")


def test_local_dir_download_commit_and_scan_root_as_model(tmp_path: Path) -> None:
    write_model(tmp_path, {"model_type": "gpt2", "_name_or_path": "openai-community/gpt2"})
    meta = tmp_path / ".cache" / "huggingface" / "download"
    meta.mkdir(parents=True)
    (meta / "config.json.metadata").write_text(f'{"a" * 40}\n"etag"\n1700000000.0\n')
    arts = by_path(inventory(tmp_path))
    model = arts["."]
    assert model.purl == f"pkg:huggingface/openai-community/gpt2@{'a' * 40}"
    assert arts["model.safetensors"].parent == "."
    assert model.properties["cdx:ai-ml:model:parameter:count"] == "6"
    assert not any(p.startswith(".cache/") for p in arts)


def test_local_name_or_path_is_not_an_identity(tmp_path: Path) -> None:
    write_model(tmp_path / "m", {"model_type": "bert", "_name_or_path": "/home/me/ckpt"})
    model = by_path(inventory(tmp_path))["m"]
    assert (model.name, model.purl) == (None, None)


def test_card_and_weights_without_config(tmp_path: Path) -> None:
    folder = tmp_path / "lora"
    folder.mkdir()
    (folder / "README.md").write_text("---\nlicense: other\nlicense_name: acme-license\n---\n")
    save_file({"w": np.ones(2, np.float32)}, folder / "adapter.safetensors")
    model = by_path(inventory(tmp_path))["lora"]
    assert model.licenses == ["acme-license"]
    assert model.model_card is None


def test_malformed_files_are_scan_errors(tmp_path: Path) -> None:
    write_model(tmp_path / "a", '{"model_type": "bert",\n  "x": }')
    write_model(
        tmp_path / "b",
        {"model_type": "bert"},
        card="---\nlicense: [apache-2.0\ndatasets: x\n---\n",
    )
    write_model(tmp_path / "c", {"model_type": "bert"}, card="---\nlicense: mit\n")
    (tmp_path / "b" / "model.safetensors.index.json").write_text("[1, 2]")
    inv = inventory(tmp_path)
    assert sorted(inv.errors, key=lambda e: e.location) == [
        ScanError(Location("a/config.json", 2), "invalid JSON: Expecting value (column 8)"),
        ScanError(
            Location("b/README.md", 3),
            "invalid YAML front matter: expected ',' or ']', but got ':'",
        ),
        ScanError(Location("b/model.safetensors.index.json"), "index has no valid weight_map"),
        ScanError(Location("c/README.md", 1), "model card front matter is not closed"),
    ]
    arts = by_path(inv)
    assert "a" not in arts  # config.json unreadable and no card: not recognised as a model
    assert arts["b"].incomplete == [
        "model.safetensors.index.json has no valid weight_map: shards not checked"
    ]


def test_model_card_is_valid_cyclonedx_1_6() -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    card = by_path(inventory(HF))[SNAP].model_card
    assert card is not None

    def bom(model_card: object) -> str:
        component = {
            "type": "machine-learning-model",
            "name": "acme/tiny-bert",
            "bom-ref": "model",
            "modelCard": model_card,
        }
        return json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "version": 1,
                "components": [component],
            }
        )

    validator = JsonStrictValidator(SchemaVersion.V1_6)
    assert validator.validate_str(bom(card)) is None
    broken = json.loads(json.dumps(card))
    broken["modelParameters"]["datasets"][0]["kind"] = "x"  # the schema allows no extra keys
    assert validator.validate_str(bom(broken)) is not None


def test_chat_templates_in_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "chat"
    write_model(folder, {"model_type": "llama"})
    benign = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}{% endfor %}"
    (folder / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "chat_template": [
                    {"name": "default", "template": benign},
                    {"name": "tool_use", "template": "{{ cycler.__init__.__globals__.os }}"},
                ]
            }
        )
    )
    (folder / "chat_template.jinja").write_text("{{ ''|attr('__class__') }}")
    model = by_path(inventory(tmp_path))["chat"]
    assert model.facts["chat_templates"] == [
        "chat_template.jinja:chat_template",
        "tokenizer_config.json:default",
        "tokenizer_config.json:tool_use",
    ]
    # the taxonomy's template:chat marks a template component; the text is a tokenizer
    # hyperparameter
    assert model.properties["cdx:ai-ml:tokenizer:hyperparameter:chat_template"] == benign
    assert [(i.kind, i.location, i.detail) for i in model.issues] == [
        (
            "hf:chat-template",
            Location("chat/tokenizer_config.json"),
            "tokenizer_config.json (tool_use) accesses __globals__; accesses __init__; "
            "refers to os",
        ),
        (
            "hf:chat-template",
            Location("chat/chat_template.jinja"),
            "chat_template.jinja (chat_template) accesses __class__; "
            "uses the |attr filter to reach attributes by name",
        ),
    ]


def test_onnx_external_data_files_are_recorded(tmp_path: Path) -> None:
    formats = HF.parent / "formats"
    shutil.copy(formats / "external_ok.onnx", tmp_path / "model.onnx")
    shutil.copy(formats / "external_ok.onnx.data", tmp_path / "external_ok.onnx.data")
    inv = inventory(tmp_path)
    data = by_path(inv)["external_ok.onnx.data"]
    assert (data.kind, data.format, data.sha256, data.facts, data.incomplete) == (
        ComponentKind.DATA,
        "onnx-external-data",
        sha(formats / "external_ok.onnx.data"),
        {"external_data_of": "model.onnx"},
        [],
    )


def test_onnx_external_data_named_like_weights_is_not_an_unknown_model(tmp_path: Path) -> None:
    import onnx

    model = onnx.load(HF.parent / "formats" / "tiny.onnx")
    onnx.save_model(
        model,
        tmp_path / "m.onnx",
        save_as_external_data=True,
        location="weights.bin",
        size_threshold=0,
    )
    inv = inventory(tmp_path)
    data = by_path(inv)["weights.bin"]
    assert (data.kind, data.format, data.incomplete) == (
        ComponentKind.DATA,
        "onnx-external-data",
        [],
    )
    assert inv.complete


def test_peft_adapter_folder(tmp_path: Path) -> None:
    folder = tmp_path / "lora"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(
        json.dumps({"peft_type": "LORA", "base_model_name_or_path": "meta-llama/Llama-3.2-1B"})
    )
    save_file({"lora_A": np.ones((2, 4), np.float32)}, folder / "adapter_model.safetensors")
    model = by_path(inventory(tmp_path))["lora"]
    assert model.framework == "peft"
    assert model.properties["aibom:peft:type"] == "LORA"
    assert model.properties["aibom:base-model"] == "meta-llama/Llama-3.2-1B"
    assert model.properties["cdx:ai-ml:model:parameter:count"] == "8"


def test_yaml_alias_bomb_in_a_model_card(tmp_path: Path) -> None:
    lines = ["---", 'a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 12):  # 9**12 strings if anything expanded the aliases
        name, prev = chr(97 + i), chr(96 + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb = "\n".join(lines) + "\nlicense: *l\ndatasets: *l\n---\n"
    write_model(tmp_path / "m", {"model_type": "bert"}, card=bomb)
    model = by_path(inventory(tmp_path))["m"]
    assert model.licenses == []  # not a string: ignored, and never expanded
    assert "datasets" not in model.facts


def test_helpers_called_at_load_from_another_file(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    write_model(folder, {"model_type": "x", "auto_map": {"AutoModel": "modeling_x.XModel"}})
    (folder / "modeling_x.py").write_text(
        "from . import tools\n"
        "from .helpers import setup, Loader\n\n"
        "class XModel:\n"
        "    def __init__(self, config):\n"
        "        setup()\n"
        "        Loader.fetch()\n"
        "        tools.prepare()\n"
    )
    (folder / "helpers.py").write_text(
        "import os, subprocess\n\n"
        "def setup():\n"
        '    os.system("id")\n\n'
        "def unused():\n"
        '    os.system("x")\n\n'
        "class Loader:\n"
        "    @staticmethod\n"
        "    def fetch():\n"
        '        subprocess.run(["wget", "x"])\n'
    )
    (folder / "tools.py").write_text("import pickle\n\ndef prepare():\n    pickle.loads(b'')\n")
    arts = by_path(inventory(tmp_path))
    assert [(i.kind, i.location.line) for i in arts["m/helpers.py"].issues] == [
        ("remote-code:command", 4),
        ("remote-code-later:command", 7),
        ("remote-code:command", 12),
    ]
    assert [(i.kind, i.location.line) for i in arts["m/tools.py"].issues] == [
        ("remote-code:deserialize", 4)
    ]
    assert arts["m/modeling_x.py"].issues == []


def test_scripts_no_auto_map_imports_do_not_run_at_load(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    write_model(folder, {"model_type": "x", "auto_map": {"AutoModel": "modeling_x.XModel"}})
    (folder / "modeling_x.py").write_text("import os\nos.system('id')\n")
    (folder / "convert.py").write_text(
        "import subprocess\nsubprocess.run(['git', 'lfs', 'pull'])\n"
    )
    plain = tmp_path / "plain"
    write_model(plain, {"model_type": "x"})
    (plain / "train.py").write_text("import os\nos.system('accelerate launch train.py')\n")
    arts = by_path(inventory(tmp_path))
    assert [(i.kind, i.arg_dict["where"]) for i in arts["m/modeling_x.py"].issues] == [
        ("remote-code:command", "module level")
    ]
    assert [(i.kind, i.arg_dict["where"]) for i in arts["m/convert.py"].issues] == [
        ("remote-code-later:command", "module level, in a file no auto_map imports")
    ]
    assert arts["m/convert.py"].facts["imported_on_load"] is False
    assert [i.kind for i in arts["plain/train.py"].issues] == ["remote-code-later:command"]


def test_custom_pipelines_need_remote_code(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    write_model(
        folder,
        {
            "model_type": "x",
            "custom_pipelines": {"text-classification": {"impl": "pipe.MyPipeline"}},
        },
    )
    (folder / "pipe.py").write_text("import os\nos.system('id')\n")
    arts = by_path(inventory(tmp_path))
    assert [(i.kind, i.arg_dict["classes"]) for i in arts["p"].issues] == [
        ("hf:custom-code", "pipeline text-classification -> pipe.MyPipeline")
    ]
    assert [i.kind for i in arts["p/pipe.py"].issues] == ["remote-code:command"]


def test_trainer_files_are_not_unindexed_weights(tmp_path: Path) -> None:
    folder = tmp_path / "ckpt"
    write_model(folder, {"model_type": "bert"})
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model-00001-of-00001.bin").write_bytes(b"PK\x05\x06" + bytes(18))
    (folder / "training_args.bin").write_bytes(b"PK\x05\x06" + bytes(18))
    (folder / "stray.bin").write_bytes(b"PK\x05\x06" + bytes(18))
    (folder / "pytorch_model.bin.index.json").write_text(
        json.dumps({"weight_map": {"a": "pytorch_model-00001-of-00001.bin"}})
    )
    model = by_path(inventory(tmp_path))["ckpt"]
    assert [(i.kind, i.arg_dict.get("file")) for i in model.issues] == [
        ("hf:unindexed-weight", "stray.bin")
    ]


def test_snapshot_named_after_a_ref(tmp_path: Path) -> None:
    repo = tmp_path / "models--acme--tiny-bert"
    shutil.copytree(HF / SNAP, repo / "snapshots" / "main")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)
    model = by_path(inventory(tmp_path))["models--acme--tiny-bert/snapshots/main"]
    assert model.purl == f"pkg:huggingface/acme/tiny-bert@{COMMIT}"


def test_nested_model_folders(tmp_path: Path) -> None:
    write_model(
        tmp_path / "pipe",
        {"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.30.0"},
    )
    write_model(tmp_path / "pipe" / "unet", {"_class_name": "UNet2DConditionModel"})
    arts = by_path(inventory(tmp_path))
    assert arts["pipe"].framework == "diffusers"
    assert arts["pipe"].parent is None
    assert arts["pipe/unet"].parent == "pipe"
    assert arts["pipe/unet/model.safetensors"].parent == "pipe/unet"
    assert arts["pipe/model.safetensors"].parent == "pipe"


def test_custom_code_missing_from_the_folder(tmp_path: Path) -> None:
    write_model(tmp_path / "m", {"model_type": "x", "auto_map": {"AutoModel": "modeling_y.Y"}})
    model = by_path(inventory(tmp_path))["m"]
    assert [i.detail for i in model.issues] == [
        "AutoModel -> modeling_y.Y (modeling_y.py not in the folder: fetched when loaded)"
    ]
