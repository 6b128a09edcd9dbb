from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import gguf as gguf_lib
import numpy as np
import pytest

from aibom.analyzers import gguf_files as gguf
from aibom.config import Config
from aibom.model import ArtifactIssue, FileRef, Location

FORMATS = Path(__file__).resolve().parents[2] / "fixtures" / "models" / "formats"
BENIGN_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'system' %}<<SYS>>"
    "{{ message['content'] }}<</SYS>>{% else %}[{{ message['role'] }}] "
    "{{ message['content'] | trim }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}[assistant] {% endif %}"
)


def run(path: Path):
    ref = FileRef(path, path.name, path.stat().st_size)
    collected = gguf.analyze_file(ref, "gguf", Config())
    assert len(collected.artifacts) == 1
    return collected.artifacts[0]


def test_real_file_facts() -> None:
    artifact = run(FORMATS / "tiny.gguf")
    path = FORMATS / "tiny.gguf"
    assert artifact.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert artifact.format == "gguf"
    assert artifact.framework == "ggml"
    assert artifact.licenses == ["apache-2.0"]
    assert artifact.facts == {
        "version": 3,
        "tensors": 2,
        "parameters": 48,
        "tensor_types": {"F16": 1, "F32": 1},
        "metadata_keys": 10,
        "architecture": "llama",
        "name": "Tiny Llama",
        "license": "apache-2.0",
        "quantization": "F16",
        "context_length": 2048,
        "embedding_length": 8,
        "block_count": 1,
        "vocab_size": 5,
        "tokenizer": "llama",
        "chat_templates": {"tokenizer.chat_template": BENIGN_TEMPLATE},
    }
    assert artifact.properties == {
        "aibom:gguf:architecture": "llama",
        "aibom:gguf:name": "Tiny Llama",
        "cdx:ai-ml:model:hyperparameter:quantization": "F16",
        "cdx:ai-ml:model:hyperparameter:context_length": "2048",
        "cdx:ai-ml:model:hyperparameter:hidden_size": "8",
        "cdx:ai-ml:model:hyperparameter:num_hidden_layers": "1",
        "cdx:ai-ml:model:hyperparameter:vocab_size": "5",
        "cdx:ai-ml:model:tokenizer": "llama",
        "cdx:ai-ml:tokenizer:hyperparameter:chat_template": BENIGN_TEMPLATE,
        "cdx:ai-ml:model:parameter:count": "48",
        "aibom:tensors": "2",
        "aibom:dtypes": "F16,F32",
    }
    assert artifact.issues == []
    assert artifact.incomplete == []


def test_malicious_chat_template_fixture() -> None:
    artifact = run(FORMATS / "evil_template.gguf")
    assert artifact.issues == [
        ArtifactIssue(
            "gguf:chat-template",
            "tokenizer.chat_template accesses __base__; accesses __builtins__; "
            "accesses __class__; accesses __import__; accesses __name__; "
            "accesses __subclasses__; refers to _module; refers to popen",
            Location("evil_template.gguf"),
            (("key", "tokenizer.chat_template"),),
        )
    ]
    assert artifact.incomplete == []


def test_truncated_fixture() -> None:
    artifact = run(FORMATS / "truncated.gguf")
    detail = "key needs 20 bytes at offset 197 but only 3 remain"
    assert artifact.issues == [ArtifactIssue("gguf:malformed", detail, Location("truncated.gguf"))]
    assert artifact.incomplete == [f"malformed GGUF: {detail}"]


BENIGN_TEMPLATES = [
    BENIGN_TEMPLATE,
    # ChatML (Qwen, many fine-tunes)
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
    # Mistral-style with raise_exception and loop variables
    "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != "
    "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate') }}"
    "{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + "
    "' [/INST]' }}{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}",
    # tool names normalised with a lone underscore
    "{% for tool in tools %}{{ tool['name'] | replace('-', '_') }}{% endfor %}",
    # Llama 3.1 style: namespace, tools | tojson, strftime_now, system message text
    "{% set ns = namespace(system='') %}{% if tools is not none %}{{ tools | tojson(indent=4) }}"
    "{% endif %}{{ strftime_now('%d %b %Y') }}{% set system_message = messages[0]['content']"
    "|trim %}You are a helpful assistant; never run os.system or popen.",
]


@pytest.mark.parametrize("template", BENIGN_TEMPLATES)
def test_benign_templates_have_no_problems(template: str) -> None:
    assert gguf.template_problems(template) == []


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            "{{ self.__init__.__globals__.__builtins__ }}",
            ["accesses __builtins__", "accesses __globals__", "accesses __init__"],
        ),
        (
            "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
            [
                "accesses __globals__",
                "accesses __init__",
                "refers to os",
                "refers to popen",
            ],
        ),
        (
            "{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
            [
                "spells an underscore with an escape sequence",
                "uses the |attr filter to reach attributes by name",
            ],
        ),
        ("{{ lipsum['popen'] }}", ["looks up 'popen' by subscript"]),
        (
            "{% set u = '_' ~ '_' %}{{ x[u ~ 'class' ~ u] }}",
            ["builds a name from underscore strings"],
        ),
        ("{{ x.system('id') }}", ["calls system()"]),
        ("{% set a = '__cla' ~ 'ss__' %}{{ x[a] }}", ["builds a name from underscore strings"]),
        ("{{ '_' * 2 ~ 'class' }}", ["builds a name from underscore strings"]),
        ("{{ '%c%c'|format(95, 95) }}", ["builds characters from numbers (%c)"]),
        ("{{ self._TemplateReference__context }}", ["refers to _TemplateReference__context"]),
    ],
)
def test_ssti_templates(template: str, expected: list[str]) -> None:
    assert gguf.template_problems(template) == expected


def header(version: int, n_tensors: int, n_kv: int) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, n_tensors, n_kv)


def gstr(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "x.gguf"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"GGUF\x09\x00\x00\x00" + bytes(16), "unsupported GGUF version 9"),
        (header(3, 0, 2**60), "key-value count 1152921504606846976 cannot fit in the file"),
        (header(3, 2**40, 0), "tensor count 1099511627776 cannot fit in the file"),
        (
            header(3, 0, 1) + gstr("k") + struct.pack("<I", 99) + bytes(8),
            "key 'k' has unknown value type 99",
        ),
        (
            header(3, 0, 1) + gstr("k") + struct.pack("<IQ", 8, 2**62) + b"abc",
            "k needs 4611686018427387904 bytes at offset 45 but only 3 remain",
        ),
        (
            header(3, 0, 1) + gstr("k") + struct.pack("<IIQ", 9, 4, 2**40) + bytes(8),
            "array k needs 4398046511104 bytes at offset 49 but only 8 remain",
        ),
        (
            header(3, 0, 1)
            + gstr("k")
            + struct.pack("<IIQ", 9, 8, 17)
            + gstr("a") * 16
            + struct.pack("<Q", 2**40),
            "string in array k needs 1099511627776 bytes at offset 201 but only 0 remain",
        ),
        (
            header(3, 0, 2) + (gstr("k") + struct.pack("<IB", 0, 1)) * 2,
            "duplicate key 'k'",
        ),
        (
            header(3, 0, 1) + gstr("general.alignment") + struct.pack("<II", 4, 3) + bytes(40),
            "general.alignment 3 is not a power of two",
        ),
        (
            header(3, 1, 0) + gstr("t") + struct.pack("<IQIQ", 1, 4, 0, 8) + bytes(64),
            "tensor 't' offset 8 is not aligned to 32",
        ),
        (
            header(3, 1, 0) + gstr("t") + struct.pack("<IQIQ", 1, 4096, 0, 0) + bytes(64),
            "tensor 't' (F32 [4096]) at offset 0 runs past the end of the file",
        ),
        (
            header(3, 1, 0) + gstr("t") + struct.pack("<I", 99) + bytes(64),
            "tensor 't' has 99 dimensions (at most 8)",
        ),
        (
            header(3, 2, 0) + (gstr("t") + struct.pack("<IQIQ", 1, 8, 0, 0)) * 2 + bytes(128),
            "duplicate tensor name 't'",
        ),
        (
            header(3, 2, 0)
            + gstr("a")
            + struct.pack("<IQIQ", 1, 16, 0, 0)
            + gstr("b")
            + struct.pack("<IQIQ", 1, 16, 0, 32)
            + bytes(256),
            "tensor 'b' overlaps tensor 'a'",
        ),
    ],
)
def test_malformed_headers(tmp_path: Path, data: bytes, detail: str) -> None:
    artifact = run(write(tmp_path, data))
    assert [i.detail for i in artifact.issues] == [detail]
    assert [i.kind for i in artifact.issues] == ["gguf:malformed"]
    assert artifact.incomplete == [f"malformed GGUF: {detail}"]


def test_unknown_tensor_type_is_incomplete_not_clean(tmp_path: Path) -> None:
    data = header(3, 1, 0) + gstr("t") + struct.pack("<IQIQ", 1, 4, 250, 0) + bytes(64)
    artifact = run(write(tmp_path, data))
    assert artifact.issues == []
    assert artifact.incomplete == ["unknown ggml tensor type(s) 250: their sizes were not checked"]
    assert artifact.facts["tensor_types"] == {"type250": 1}


def test_big_endian_file_written_by_gguf(tmp_path: Path) -> None:
    path = tmp_path / "be.gguf"
    writer = gguf_lib.GGUFWriter(str(path), "llama", endianess=gguf_lib.GGUFEndian.BIG)
    writer.add_name("be")
    writer.add_context_length(128)
    writer.add_tensor("w", np.ones(4, dtype=np.float32).byteswap())
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    artifact = run(path)
    assert artifact.issues == []
    assert artifact.facts["byte_order"] == "big"
    assert artifact.facts["context_length"] == 128
    assert artifact.facts["name"] == "be"
    assert artifact.facts["parameters"] == 4


def test_quantised_tensor_sizes(tmp_path: Path) -> None:
    path = tmp_path / "q.gguf"
    writer = gguf_lib.GGUFWriter(str(path), "llama")
    writer.add_file_type(gguf_lib.LlamaFileType.MOSTLY_Q8_0)
    raw = np.zeros((2, 34), dtype=np.uint8)  # two Q8_0 blocks of 32 values
    writer.add_tensor("q", raw, raw_dtype=gguf_lib.GGMLQuantizationType.Q8_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    artifact = run(path)
    assert artifact.issues == []
    assert artifact.facts["tensor_types"] == {"Q8_0": 1}
    assert artifact.facts["parameters"] == 64
    assert artifact.facts["quantization"] == "Q8_0"


def test_type_tables_match_the_gguf_package() -> None:
    for type_id, (name, block, size) in gguf.GGML_TYPES.items():
        qtype = gguf_lib.GGMLQuantizationType(type_id)
        assert qtype.name == name
        assert gguf_lib.GGML_QUANT_SIZES[qtype] == (block, size)
    for type_id, name in gguf.FILE_TYPES.items():
        assert (
            gguf_lib.LlamaFileType(type_id).name.removeprefix("MOSTLY_").removeprefix("ALL_")
            == name
        )


def test_gguf_v1_uses_32_bit_counts(tmp_path: Path) -> None:
    def s32(text: str) -> bytes:
        return struct.pack("<I", len(text)) + text.encode()

    body = b"GGUF" + struct.pack("<III", 1, 1, 1)
    body += s32("general.architecture") + struct.pack("<I", 8) + s32("llama")
    body += s32("t") + struct.pack("<II", 1, 4) + struct.pack("<IQ", 0, 0)
    body += bytes(-len(body) % 32) + bytes(16)
    artifact = run(write(tmp_path, body))
    assert artifact.issues == []
    assert artifact.incomplete == []
    assert (artifact.facts["version"], artifact.facts["architecture"]) == (1, "llama")
    assert artifact.facts["parameters"] == 4


def test_base_model_and_source_metadata(tmp_path: Path) -> None:
    path = tmp_path / "ft.gguf"
    writer = gguf_lib.GGUFWriter(str(path), "llama")
    writer.add_base_model_count(2)
    writer.add_base_model_name(0, "Llama 3.2 1B")
    writer.add_base_model_organization(0, "Meta Llama")
    writer.add_base_model_repo_url(0, "https://huggingface.co/meta-llama/Llama-3.2-1B")
    writer.add_base_model_name(1, "tiny")
    writer.add_base_model_organization(1, "acme")
    writer.add_source_url("https://huggingface.co/acme/ft")
    writer.add_tensor("w", np.ones(4, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    artifact = run(path)
    assert artifact.facts["base_models"] == ["meta-llama/Llama-3.2-1B", "acme/tiny"]
    assert artifact.facts["source_url"] == "https://huggingface.co/acme/ft"
    assert artifact.properties["aibom:base-model"] == "meta-llama/Llama-3.2-1B,acme/tiny"


def test_too_many_metadata_keys_is_incomplete(tmp_path: Path) -> None:
    data = header(3, 0, 100_001) + (gstr("k") + struct.pack("<IB", 0, 1)) * 100_001
    artifact = run(write(tmp_path, data))
    assert artifact.issues == []
    assert artifact.incomplete == ["GGUF analysis stopped: 100001 metadata keys (more than 100000)"]
