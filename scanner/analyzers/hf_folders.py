"""Hugging Face model folders: one folder artifact per model, with identity and model card.

A folder is a model folder when it holds a `config.json` naming a `model_type` or
`architectures` (or a diffusers `_class_name`), when it holds weight artifacts and a model
card (`README.md` with YAML front matter), or when it is a snapshot of the hub cache
(`models--org--name/snapshots/<commit>/`). For each one this records:

- identity: `org/name` (hub cache layout, or a `_name_or_path` of that shape), the commit
  (snapshot folder name, or `.cache/huggingface/download/*.metadata` of a `local_dir`
  download) and `pkg:huggingface/org/name@<commit>`;
- `config.json` facts (architecture, model type, dtype, sizes) and the model card front
  matter (licence, datasets, base model, pipeline tag, languages) as CycloneDX properties
  and a `modelCard`;
- weight index files: every shard present, no weight file the index does not list;
- `auto_map` in `config.json` / `tokenizer_config.json` (custom code needed), and the
  Python files themselves, read with `ast` by `remote_code`;
- `parent` on every artifact inside the folder, and a `file` artifact (with SHA-256) for each
  side file of the folder (configs, tokenizer files, the card, the Python files).
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..config import Config
from ..model import (
    Artifact,
    ArtifactIssue,
    Collected,
    ComponentKind,
    FileRef,
    Lineage,
    Location,
    ScanError,
)
from . import card_text, remote_code
from .card_text import looks_like_dataset_card
from .chat_template import template_problems
from .hashing import hash_into

MAX_JSON = 16 * 1024 * 1024
MAX_CARD = 1024 * 1024
MAX_FRONT_MATTER = 256 * 1024
MAX_LIST = 200
HUB_SNAPSHOT = re.compile(r"(?:^|/)models--([^/]+?)--([^/]+)/snapshots/([^/]+)$")
COMMIT = re.compile(r"^[0-9a-f]{40}$")
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")
INDEX_SUFFIX = ".index.json"
# files `transformers.Trainer` writes beside a checkpoint's weights
TRAINER_FILES = re.compile(
    r"^(training_args\.bin|optimizer\.(bin|pt)|scheduler\.pt|scaler\.pt|rng_state(_\d+)?\.pth)$"
)
WEIGHT_SUFFIXES = (
    ".safetensors",
    ".bin",
    ".pt",
    ".pth",
    ".ckpt",
    ".h5",
    ".msgpack",
    ".gguf",
    ".onnx",
    ".pkl",
    ".joblib",
    ".npz",
)
CUSTOM_CODE_CONFIGS = (
    "config.json",
    "tokenizer_config.json",
    "processor_config.json",
    "preprocessor_config.json",
    "feature_extractor_config.json",
    "image_processor_config.json",
)
# config.json key(s) -> reserved CycloneDX hyperparameter name
HYPERPARAMETERS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("max_position_embeddings", "n_positions", "max_seq_len", "seq_length"), "context_length"),
    (("hidden_size", "d_model", "n_embd", "dim"), "hidden_size"),
    (("num_hidden_layers", "n_layer", "num_layers", "n_layers"), "num_hidden_layers"),
    (("vocab_size",), "vocab_size"),
)


@dataclass
class _Folder:
    rel: str  # "" for the scan root
    files: list[FileRef] = field(default_factory=list)  # anywhere below the folder
    config: dict[str, Any] | None = None
    adapter: dict[str, Any] | None = None  # PEFT adapter_config.json
    card: dict[str, Any] | None = None
    repo: str | None = None
    repo_source: str = ""  # "hub cache path"
    commit: str | None = None
    name_or_path: str | None = None  # config.json `_name_or_path` (where it was loaded from)

    def path(self, name: str) -> str:
        return f"{self.rel}/{name}" if self.rel else name

    def local(self, ref: FileRef) -> str:
        return self.local_path(ref.rel)

    def local_path(self, rel: str) -> str:
        return rel[len(self.rel) + 1 :] if self.rel else rel


def analyze_folders(files: list[FileRef], collected: Collected, config: Config) -> Collected:
    out = Collected()
    out.artifacts.extend(_onnx_external_data(files, collected))
    by_folder: dict[str, list[FileRef]] = {}
    for ref in files:
        by_folder.setdefault(posixpath.dirname(ref.rel), []).append(ref)
    weight_folders = {
        posixpath.dirname(a.path) for a in collected.artifacts if a.kind is not ComponentKind.DATA
    }
    folders: list[_Folder] = []
    for rel in sorted(by_folder):
        folder = _recognise(rel, by_folder, weight_folders, out)
        if folder is not None:
            folders.append(folder)
    if not folders:
        return out
    # attach every walked file to its innermost model folder
    roots = sorted((f.rel for f in folders), key=len, reverse=True)
    owner: dict[str, _Folder] = {f.rel: f for f in folders}
    for ref in files:
        home = _innermost(ref.rel, roots)
        if home is not None:
            owner[home].files.append(ref)
    _drop_hub_blobs(collected, folders)
    artifacts_by_path = {a.path: a for a in [*collected.artifacts, *out.artifacts]}
    for folder in folders:
        built = _build(folder, artifacts_by_path, roots, out)
        # a model folder inside another one (diffusers components, sentence-transformers
        # modules) belongs to it
        outer = (
            _innermost(folder.rel, [r for r in roots if r != folder.rel]) if folder.rel else None
        )
        if outer is not None:
            built[0].parent = outer or "."
        out.artifacts.extend(built)
    return out


def _onnx_external_data(files: list[FileRef], collected: Collected) -> list[Artifact]:
    """The tensor files an ONNX model names as external data (inside its folder) are part of
    the model: record each as a `data` artifact with its hash. One the per-file analyzers
    could not recognise (a `weights.bin` of raw floats) is relabelled, not reported as an
    unknown model file; one with recognisable content (a pickle) keeps its own analysis."""
    by_rel = {f.rel: f for f in files}
    existing = {a.path: a for a in collected.artifacts}
    new: list[Artifact] = []
    for model in list(collected.artifacts):
        if model.format != "onnx":
            continue
        folder = posixpath.dirname(model.path)
        for location in model.facts.get("external_data", []):
            normal = posixpath.normpath(location.replace("\\", "/"))
            if normal.startswith(("../", "/")) or normal == "..":
                continue  # reported by the ONNX analyzer (AIB230)
            rel = posixpath.join(folder, normal) if folder else normal
            artifact = existing.get(rel)
            if artifact is not None:
                if artifact.format == "unknown":
                    artifact.format = "onnx-external-data"
                    artifact.kind = ComponentKind.DATA
                    artifact.incomplete = [
                        r for r in artifact.incomplete if not r.startswith("unrecognised content")
                    ]
                    artifact.facts["external_data_of"] = model.path
                continue
            ref = by_rel.get(rel)
            if ref is None:
                continue
            data = Artifact(path=rel, format="onnx-external-data", size=ref.size)
            data.kind = ComponentKind.DATA
            data.facts["external_data_of"] = model.path
            hash_into(data, ref.path)
            existing[rel] = data
            new.append(data)
    return new


HUB_BLOB = re.compile(r"(?:^|/)(models--[^/]+?--[^/]+)/blobs/[^/]+$")


def _drop_hub_blobs(collected: Collected, folders: list[_Folder]) -> None:
    """In the hub cache, `snapshots/<commit>/<file>` are symlinks to `blobs/<hash>`: the
    walker sees each file twice. Keep the snapshot path (the one users know) and drop the
    blob artifact with the same SHA-256; a blob no snapshot points at is kept."""
    snapshot_hashes: set[tuple[str, str]] = set()
    for artifact in collected.artifacts:
        match = re.search(r"(?:^|/)(models--[^/]+?--[^/]+)/snapshots/", artifact.path)
        if match and artifact.sha256:
            snapshot_hashes.add((match.group(1), artifact.sha256))
    if not snapshot_hashes or not folders:
        return
    kept = []
    for artifact in collected.artifacts:
        blob = HUB_BLOB.search(artifact.path)
        if blob and artifact.sha256 and (blob.group(1), artifact.sha256) in snapshot_hashes:
            continue
        kept.append(artifact)
    collected.artifacts[:] = kept


def _innermost(rel: str, roots: list[str]) -> str | None:
    for root in roots:  # longest first
        if root == "" or rel.startswith(root + "/"):
            return root
    return None


def _recognise(
    rel: str, by_folder: dict[str, list[FileRef]], weight_folders: set[str], out: Collected
) -> _Folder | None:
    names = {posixpath.basename(f.rel): f for f in by_folder[rel]}
    folder = _Folder(rel)
    hub = HUB_SNAPSHOT.search(rel)
    if "config.json" in names:
        data = _load_json(names["config.json"], out)
        if isinstance(data, dict):
            folder.config = data
    if "README.md" in names:
        folder.card = _load_card(names["README.md"], out)
    if "adapter_config.json" in names:
        data = _load_json(names["adapter_config.json"], out)
        if isinstance(data, dict):
            folder.adapter = data
    is_model_config = folder.config is not None and any(
        key in folder.config for key in ("model_type", "architectures", "_class_name")
    )
    has_weights = rel in weight_folders or any(n.endswith(WEIGHT_SUFFIXES) for n in names)
    is_adapter = folder.adapter is not None and has_weights
    model_card = folder.card is not None and not looks_like_dataset_card(folder.card)
    if not (hub or is_model_config or is_adapter or (has_weights and model_card)):
        return None
    if hub:
        folder.repo = f"{hub.group(1)}/{hub.group(2)}"
        folder.repo_source = "hub cache path"
        if COMMIT.match(hub.group(3).lower()):
            folder.commit = hub.group(3).lower()
        else:  # a snapshot named after a ref: refs/<name> holds the commit
            repo_root = rel[: hub.start(3)].removesuffix("snapshots/")
            folder.commit = _ref_commit(by_folder.get(f"{repo_root}refs", []), hub.group(3))
    if folder.config is not None:
        name_or_path = folder.config.get("_name_or_path")
        if isinstance(name_or_path, str) and name_or_path.strip() and name_or_path != folder.repo:
            # what the folder was loaded from before it was saved here (its base), not
            # the folder's own name: a fine-tuned copy is not the model it started from
            folder.name_or_path = name_or_path.strip()
    if folder.commit is None:
        folder.commit = _local_dir_commit(by_folder.get(folder.path(".cache/huggingface/download")))
        # `hf download --local-dir` metadata: the folder is that repository's download
        named = folder.name_or_path
        if folder.commit and folder.repo is None and named and REPO_ID.match(named):
            folder.repo = named
            folder.repo_source = "config.json _name_or_path (hf download metadata)"
    return folder


def _ref_commit(refs: list[FileRef], name: str) -> str | None:
    for ref in refs:
        if posixpath.basename(ref.rel) == name and ref.size <= 128:
            try:
                text = ref.path.read_bytes().decode("ascii", "replace").strip().lower()
            except OSError:
                return None
            return text if COMMIT.match(text) else None
    return None


def _local_dir_commit(refs: list[FileRef] | None) -> str | None:
    """`hf download --local-dir` writes `<file>.metadata`: commit, etag, timestamp lines."""
    for ref in sorted(refs or [], key=lambda r: r.rel):
        if not ref.rel.endswith(".metadata"):
            continue
        try:
            with ref.path.open("rb") as fh:
                first = fh.read(128).split(b"\n", 1)[0].decode("ascii", "replace").strip()
        except OSError:
            continue
        if COMMIT.match(first):
            return first
    return None


def _load_json(ref: FileRef, out: Collected) -> Any:
    if ref.size > MAX_JSON:
        out.errors.append(ScanError(Location(ref.rel), f"larger than {MAX_JSON} bytes: not read"))
        return None
    try:
        raw = ref.path.read_bytes()
    except OSError as exc:
        out.errors.append(ScanError(Location(ref.rel), f"cannot read: {exc.strerror or exc}"))
        return None
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        out.errors.append(ScanError(Location(ref.rel), f"not UTF-8 (byte {exc.start})"))
    except RecursionError:
        out.errors.append(ScanError(Location(ref.rel), "JSON nested too deeply"))
    except json.JSONDecodeError as exc:
        out.errors.append(
            ScanError(
                Location(ref.rel, exc.lineno), f"invalid JSON: {exc.msg} (column {exc.colno})"
            )
        )
    return None


def _load_card(ref: FileRef, out: Collected) -> dict[str, Any] | None:
    """The YAML front matter of a model card, or None when it has none."""
    try:
        with ref.path.open("rb") as fh:
            raw = fh.read(MAX_CARD)
    except OSError as exc:
        out.errors.append(ScanError(Location(ref.rel), f"cannot read: {exc.strerror or exc}"))
        return None
    text = raw.decode("utf-8-sig", "replace")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    end = next((i for i, line in enumerate(lines) if i and line.strip() == "---"), None)
    if end is None:
        out.errors.append(ScanError(Location(ref.rel, 1), "model card front matter is not closed"))
        return None
    front = "\n".join(lines[1:end])
    if len(front) > MAX_FRONT_MATTER:
        out.errors.append(
            ScanError(Location(ref.rel, 1), f"front matter larger than {MAX_FRONT_MATTER} bytes")
        )
        return None
    try:
        data = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        out.errors.append(
            ScanError(Location(ref.rel, line), f"invalid YAML front matter: {problem}")
        )
        return None
    except RecursionError:
        out.errors.append(ScanError(Location(ref.rel, 1), "front matter nested too deeply"))
        return None
    if data is None:
        return {}
    if not isinstance(data, dict):
        out.errors.append(ScanError(Location(ref.rel, 2), "front matter is not a mapping"))
        return None
    return data


def _strings(value: Any) -> list[str]:
    """A card field that may be a string or a list of strings, bounded."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [v for v in value[:MAX_LIST] if isinstance(v, str) and v.strip()]
    return []


def _build(
    folder: _Folder, artifacts: dict[str, Artifact], roots: list[str], out: Collected
) -> list[Artifact]:
    shown = folder.rel or "."
    total = sum(f.size for f in folder.files)
    model = Artifact(path=shown, format="huggingface", size=total, kind=ComponentKind.MODEL)
    if folder.repo:
        model.name = folder.repo
        model.properties["aibom:hf:name-source"] = folder.repo_source
        org = folder.repo.split("/", 1)[0]
        model.supplier = org
        model.urls.append(f"https://huggingface.co/{folder.repo}")
    if folder.commit:
        model.version = folder.commit
        if folder.repo:
            model.purl = f"pkg:huggingface/{folder.repo}@{folder.commit}"
    if folder.name_or_path:
        model.properties["aibom:hf:name-or-path"] = folder.name_or_path
    facts: dict[str, Any] = {}
    if folder.repo:
        facts["repo"] = folder.repo
    if folder.commit:
        facts["commit"] = folder.commit
    _config_facts(folder, model, facts)
    _adapter_facts(folder, model, facts)
    _card_facts(folder, model, facts)
    _lineage(folder, model, facts)
    _card_text(folder, direct_refs(folder), model, out)
    new: list[Artifact] = [model]
    direct = {folder.local(f): f for f in folder.files if "/" not in folder.local(f)}
    inside = [a for p, a in artifacts.items() if _innermost(p, roots) == folder.rel]
    for artifact in inside:
        artifact.parent = shown
        if model.purl:  # purl subpath: the file inside the repository
            artifact.purl = f"{model.purl}#{folder.local_path(artifact.path)}"
    _check_indexes(folder, direct, artifacts, model, facts, out)
    _custom_code(folder, direct, model, facts, out)
    _chat_templates(folder, direct, model, facts, out)
    known = set(artifacts)
    python_imports: set[str] = set()
    python_files: list[str] = []
    py_files = [f for f in folder.files if f.rel.endswith(".py")]
    imported = _imported_modules(folder, py_files, facts.get("auto_map", {}))
    sibling_roots = _sibling_roots(folder, py_files)
    for ref in sorted(folder.files, key=lambda f: f.rel):
        if ref.rel in known or _innermost(ref.rel, roots) != folder.rel:
            continue
        local = folder.local(ref)
        if local.startswith(".cache/"):
            continue
        side = Artifact(path=ref.rel, format=_side_format(local), size=ref.size)
        side.kind = ComponentKind.FILE
        side.parent = shown
        if model.purl:
            side.purl = f"{model.purl}#{local}"
        hash_into(side, ref.path)
        if local.endswith(".py"):
            python_files.append(local)
            module = posixpath.splitext(local)[0].replace("/", ".")
            _python(
                ref,
                side,
                python_imports,
                out,
                sibling_roots.get(module, frozenset()),
                module in imported,
            )
        new.append(side)
    if python_files:
        facts["python_files"] = python_files
        facts["python_imports"] = sorted(python_imports)
        model.properties["aibom:hf:python-imports"] = ",".join(sorted(python_imports))
    count = _parameter_count(folder, inside, facts, model)
    if count is not None:
        model.properties["cdx:ai-ml:model:parameter:count"] = card_text.parameter_count(count)
        if count >= 10**6:  # the taxonomy format rounds: keep the exact count
            model.properties["aibom:parameter-count"] = str(count)
    facts["weights"] = sorted(a.path for a in inside if a.kind != ComponentKind.FILE)
    model.facts.update(facts)
    return new


def _parameter_count(
    folder: _Folder, inside: list[Artifact], facts: dict[str, Any], model: Artifact
) -> int | None:
    """Parameters of the model: the indexed shards when there is an index and none is
    missing, else the one weight file; None when that is ambiguous or unknown."""
    if any(i.kind == "hf:missing-shard" for i in model.issues):
        return None
    by_path = {a.path: a for a in inside}
    if "shards" in facts:
        weights = [by_path.get(folder.path(s)) for s in facts["shards"]]
    else:
        weights = [
            a
            for a in inside
            if a.kind != ComponentKind.FILE and "/" not in folder.local_path(a.path)
        ]
        if len(weights) != 1:
            return None
    counts = [w.facts.get("parameters") if w is not None else None for w in weights]
    if not counts or not all(isinstance(c, int) for c in counts):
        return None
    return sum(c for c in counts if isinstance(c, int))


def _side_format(local: str) -> str:
    suffix = posixpath.splitext(local)[1].lower()
    return {
        ".py": "python",
        ".json": "json",
        ".md": "markdown",
        ".txt": "text",
        ".yaml": "yaml",
        ".yml": "yaml",
        ".jinja": "jinja",
        ".tiktoken": "text",
    }.get(suffix, "file")


def _config_facts(folder: _Folder, model: Artifact, facts: dict[str, Any]) -> None:
    cfg = folder.config
    if cfg is None:
        return
    props = model.properties
    model_type = cfg.get("model_type")
    if isinstance(model_type, str):
        facts["model_type"] = model_type
        props["aibom:hf:model_type"] = model_type
    archs = _strings(cfg.get("architectures"))
    if archs:
        facts["architectures"] = archs
        props["aibom:hf:architectures"] = ",".join(archs)
    dtype = cfg.get("torch_dtype", cfg.get("dtype"))
    if isinstance(dtype, str):
        facts["torch_dtype"] = dtype
        props["aibom:hf:torch_dtype"] = dtype
    for keys, name in HYPERPARAMETERS:
        for key in keys:
            value = cfg.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                facts[name] = value
                props[f"cdx:ai-ml:model:hyperparameter:{name}"] = str(value)
                break
    version = cfg.get("transformers_version")
    if isinstance(version, str):
        facts["transformers_version"] = version
        props["aibom:hf:transformers_version"] = version
        model.framework = "transformers"
    if isinstance(cfg.get("_diffusers_version"), str):
        model.framework = "diffusers"
        facts["diffusers_class"] = str(cfg.get("_class_name"))


def _adapter_facts(folder: _Folder, model: Artifact, facts: dict[str, Any]) -> None:
    """A PEFT adapter (LoRA, ...): useless without its base model, which it names."""
    adapter = folder.adapter
    if adapter is None:
        return
    peft_type = adapter.get("peft_type")
    if isinstance(peft_type, str):
        facts["peft_type"] = peft_type
        model.properties["aibom:peft:type"] = peft_type
    base = adapter.get("base_model_name_or_path")
    if isinstance(base, str) and base:
        facts["adapter_base_model"] = base
        model.properties["aibom:base-model"] = base
    model.framework = model.framework or "peft"


def _card_facts(folder: _Folder, model: Artifact, facts: dict[str, Any]) -> None:
    card = folder.card or {}
    props = model.properties
    licenses = _strings(card.get("license"))
    if licenses == ["other"] and _strings(card.get("license_name")):
        licenses = _strings(card.get("license_name"))
    model.licenses.extend(licenses)
    if licenses:
        facts["license"] = licenses
    datasets = _strings(card.get("datasets"))
    base = _strings(card.get("base_model"))
    languages = _strings(card.get("language"))
    task = card.get("pipeline_tag")
    library = card.get("library_name")
    if datasets:
        facts["datasets"] = datasets
    if base:
        facts["base_model"] = base
        props["aibom:base-model"] = ",".join(base)
    if languages:
        facts["languages"] = languages
        props["cdx:ai-ml:model:language"] = ",".join(languages)
    if isinstance(task, str) and task:
        facts["pipeline_tag"] = task
    if isinstance(library, str) and library:
        facts["library_name"] = library
        model.framework = model.framework or library
    params: dict[str, Any] = {}
    if isinstance(task, str) and task:
        params["task"] = task
    family = facts.get("model_type")
    if family:
        params["architectureFamily"] = family
    archs = facts.get("architectures")
    if archs:
        params["modelArchitecture"] = archs[0]
    if datasets:
        params["datasets"] = [
            {
                "type": "dataset",
                "name": name,
                "contents": {"url": f"https://huggingface.co/datasets/{name}"},
            }
            if REPO_ID.match(name) or re.match(r"^[\w.-]+$", name)
            else {"type": "dataset", "name": name}
            for name in datasets
        ]
    if params:
        card_json: dict[str, Any] = {"modelParameters": params}
        card_props = [{"name": "aibom:base-model", "value": b} for b in base]
        if card_props:
            card_json["properties"] = card_props
        model.model_card = card_json


def _check_indexes(
    folder: _Folder,
    direct: dict[str, FileRef],
    artifacts: dict[str, Artifact],
    model: Artifact,
    facts: dict[str, Any],
    out: Collected,
) -> None:
    all_shards: list[str] = []
    for name in sorted(direct):
        if not name.endswith(INDEX_SUFFIX):
            continue
        ref = direct[name]
        data = _load_json(ref, out)
        if data is None:
            model.incomplete.append(f"{name} could not be read: shards not checked")
            continue
        weight_map = data.get("weight_map") if isinstance(data, dict) else None
        if not isinstance(weight_map, dict) or not all(
            isinstance(v, str) for v in weight_map.values()
        ):
            out.errors.append(ScanError(Location(ref.rel), "index has no valid weight_map"))
            model.incomplete.append(f"{name} has no valid weight_map: shards not checked")
            continue
        shards = sorted(set(weight_map.values()))
        all_shards.extend(shards)
        for shard in shards:
            normal = posixpath.normpath(shard)
            present = normal in direct or (
                not normal.startswith("../")
                and folder.path(normal) in {f.rel for f in folder.files}
            )
            if not present:
                model.issues.append(
                    ArtifactIssue(
                        "hf:missing-shard",
                        f"{name} lists {shard}",
                        Location(ref.rel),
                        (("index", name), ("shard", shard)),
                    )
                )
                continue
            artifact = artifacts.get(folder.path(normal))
            if artifact is not None and len(shards) > 1:
                artifact.properties["aibom:shard-of"] = folder.rel or "."
        family = name[: -len(INDEX_SUFFIX)]
        suffix = posixpath.splitext(family)[1]
        listed = {posixpath.normpath(s) for s in shards}
        for other in sorted(direct):
            if TRAINER_FILES.match(other):
                continue  # Trainer state saved beside the weights, not part of the model
            if other.endswith(suffix) and other not in listed and suffix:
                model.issues.append(
                    ArtifactIssue(
                        "hf:unindexed-weight",
                        f"{other} is not listed in {name}",
                        Location(folder.path(other)),
                        (("index", name), ("file", other)),
                    )
                )
    if all_shards:
        facts["shards"] = sorted(set(all_shards))


def _custom_code(
    folder: _Folder,
    direct: dict[str, FileRef],
    model: Artifact,
    facts: dict[str, Any],
    out: Collected,
) -> None:
    custom: dict[str, dict[str, str]] = {}
    for name in CUSTOM_CODE_CONFIGS:
        if name not in direct:
            continue
        data = folder.config if name == "config.json" else _load_json(direct[name], out)
        if not isinstance(data, dict):
            continue
        auto_map = data.get("auto_map")
        auto_map = dict(auto_map) if isinstance(auto_map, dict) else {}
        pipelines = data.get("custom_pipelines")
        if isinstance(pipelines, dict):  # `pipeline(..., trust_remote_code=True)` imports these
            for task, spec in list(pipelines.items())[:MAX_LIST]:
                if isinstance(spec, dict) and isinstance(spec.get("impl"), str):
                    auto_map[f"pipeline {task}"] = spec["impl"]
        if not auto_map:
            continue
        mapping: dict[str, str] = {}
        for auto_class, target in list(auto_map.items())[:MAX_LIST]:
            refs = [t for t in (target if isinstance(target, list) else [target]) if t]
            mapping[str(auto_class)] = ", ".join(str(t) for t in refs)
        custom[name] = mapping
        classes = ", ".join(f"{k} -> {v}" for k, v in sorted(mapping.items()))
        other_repos = sorted(
            {v.split("--", 1)[0] for vs in mapping.values() for v in vs.split(", ") if "--" in v}
        )
        missing = sorted(
            {
                f"{v.rsplit('.', 1)[0].replace('.', '/')}.py"
                for vs in mapping.values()
                for v in vs.split(", ")
                if "--" not in v and "." in v
            }
            - set(direct)
        )
        detail = classes + (f" (code from {', '.join(other_repos)})" if other_repos else "")
        if missing:
            detail += f" ({', '.join(missing)} not in the folder: fetched when loaded)"
        model.issues.append(
            ArtifactIssue(
                "hf:custom-code",
                detail,
                Location(folder.path(name)),
                (("file", name), ("classes", detail)),
            )
        )
    if custom:
        facts["auto_map"] = custom
        model.properties["aibom:hf:trust-remote-code"] = "required"


def _chat_templates(
    folder: _Folder,
    direct: dict[str, FileRef],
    model: Artifact,
    facts: dict[str, Any],
    out: Collected,
) -> None:
    """Chat templates in tokenizer_config.json, chat_template.json or chat_template.jinja."""
    found: list[tuple[str, str, str]] = []  # (file, template name, text)
    for name in ("tokenizer_config.json", "chat_template.json"):
        if name not in direct:
            continue
        data = _load_json(direct[name], out)
        value = data.get("chat_template") if isinstance(data, dict) else None
        if isinstance(value, str):
            found.append((name, "default", value))
        elif isinstance(value, list):
            for entry in value[:MAX_LIST]:
                if isinstance(entry, dict) and isinstance(entry.get("template"), str):
                    found.append((name, str(entry.get("name", "?")), entry["template"]))
    for name in sorted(direct):
        if name.endswith(".jinja") and direct[name].size <= MAX_CARD:
            try:
                text = direct[name].path.read_bytes().decode("utf-8", "replace")
            except OSError as exc:
                out.errors.append(
                    ScanError(Location(direct[name].rel), f"cannot read: {exc.strerror or exc}")
                )
                continue
            found.append((name, name.removesuffix(".jinja"), text))
    if not found:
        return
    facts["chat_templates"] = sorted(f"{file}:{label}" for file, label, _ in found)
    first = found[0][2]
    if len(first) <= 64 * 1024:
        model.properties["cdx:ai-ml:tokenizer:hyperparameter:chat_template"] = first
    for file, label, text in found:
        problems = template_problems(text)
        if problems:
            detail = f"{file} ({label}) " + "; ".join(problems)
            model.issues.append(
                ArtifactIssue(
                    "hf:chat-template", detail, Location(folder.path(file)), (("key", label),)
                )
            )


def _read_python(ref: FileRef) -> bytes | None:
    try:
        with ref.path.open("rb") as fh:
            return fh.read(remote_code.MAX_SOURCE + 1)
    except OSError:
        return None


def _imported_modules(
    folder: _Folder, py_files: list[FileRef], auto_map: dict[str, dict[str, str]]
) -> set[str]:
    """The modules `trust_remote_code=True` imports: those `auto_map` names (in this
    repository), and what they import relatively, transitively."""
    sources = {}
    for ref in py_files:
        module = posixpath.splitext(folder.local(ref))[0].replace("/", ".")
        sources[module] = ref
    pending = []
    for mapping in auto_map.values():
        for targets in mapping.values():
            for target in targets.split(", "):
                if "--" in target or "." not in target:
                    continue  # code from another repository, or not a module.Class reference
                pending.append(target.rsplit(".", 1)[0])
    imported: set[str] = set()
    while pending:
        module = pending.pop()
        if module in imported or module not in sources:
            continue
        imported.add(module)
        source = _read_python(sources[module])
        if source is not None:
            result = remote_code.analyze_source(source, sources[module].rel)
            pending.extend(result.relative_modules)
    return imported


def _sibling_roots(folder: _Folder, py_files: list[FileRef]) -> dict[str, frozenset[str]]:
    """Functions each module of the folder has called at load time by its siblings
    (`from .helpers import setup` + `setup()` in `__init__`), to a fixed point."""
    sources = {}
    for ref in py_files:
        source = _read_python(ref)
        if source is not None:
            module = posixpath.splitext(folder.local(ref))[0].replace("/", ".")
            sources[module] = (ref.rel, source)
    roots: dict[str, set[str]] = {m: set() for m in sources}
    changed, rounds = True, 0
    while changed and rounds < 5:
        changed, rounds = False, rounds + 1
        for module, (rel, source) in sources.items():
            result = remote_code.analyze_source(source, rel, frozenset(roots[module]))
            for target, function in result.load_calls:
                if target in roots and function not in roots[target]:
                    roots[target].add(function)
                    changed = True
    return {m: frozenset(r) for m, r in roots.items()}


def _python(
    ref: FileRef,
    side: Artifact,
    imports: set[str],
    out: Collected,
    extra_roots: frozenset[str] = frozenset(),
    imported: bool = True,
) -> None:
    try:
        with ref.path.open("rb") as fh:
            source = fh.read(remote_code.MAX_SOURCE + 1)
    except OSError as exc:
        out.errors.append(ScanError(Location(ref.rel), f"cannot read: {exc.strerror or exc}"))
        side.incomplete.append("cannot read the Python file")
        return
    result = remote_code.analyze_source(source, ref.rel, extra_roots, imported)
    side.facts["imported_on_load"] = imported
    side.issues.extend(result.issues)
    out.errors.extend(result.errors)  # a file that could not be parsed: AIB901, fail closed
    side.facts["imports"] = result.imports
    imports.update(result.imports)


def direct_refs(folder: _Folder) -> dict[str, FileRef]:
    return {folder.local(f): f for f in folder.files if "/" not in folder.local(f)}


def _lineage(folder: _Folder, model: Artifact, facts: dict[str, Any]) -> None:
    """Base models (card `base_model`, the adapter's `base_model_name_or_path`, and
    `config.json` `_name_or_path` for a folder that is not a hub snapshot) and the
    datasets the card says it was trained or evaluated on."""
    for base in facts.get("base_model", []):
        model.ancestors.append(Lineage(base, "card base_model"))
    adapter_base = facts.get("adapter_base_model")
    if isinstance(adapter_base, str):
        revision = folder.adapter.get("revision") if folder.adapter else None
        model.ancestors.append(
            Lineage(
                adapter_base,
                "adapter_config.json base_model_name_or_path",
                revision if isinstance(revision, str) else None,
                "adapter-base",
            )
        )
    named = {a.name for a in model.ancestors}
    start = folder.name_or_path
    if (
        start
        and folder.repo is None
        and start not in named
        and (REPO_ID.match(start) or re.match(r"^[\w.-]+$", start))
    ):
        model.ancestors.append(Lineage(start, "config.json _name_or_path"))
    model.trained_on.extend(facts.get("datasets", []))
    for metric in card_text.model_index_metrics(folder.card or {}):
        if metric.dataset:
            model.trained_on.append(metric.dataset)
    peft_type = facts.get("peft_type")
    method = card_text.TUNE_METHODS.get(str(peft_type).upper()) if peft_type else None
    if method:
        model.properties["cdx:ai-ml:model:parameter:tune_method"] = method


def _card_text(
    folder: _Folder, direct: dict[str, FileRef], model: Artifact, out: Collected
) -> None:
    """modelCard quantitativeAnalysis and considerations from the card; tokenizer
    hyperparameters from tokenizer_config.json."""
    card: dict[str, Any] = dict(model.model_card or {})
    metrics = card_text.model_index_metrics(folder.card or {})
    if metrics:
        card["quantitativeAnalysis"] = {
            "performanceMetrics": card_text.performance_metrics(metrics)
        }
        for metric in metrics:
            where = f" ({metric.slice})" if metric.slice else ""
            model.multi_properties.append(("aibom:metric", f"{metric.type}{where}={metric.value}"))
    readme = direct.get("README.md")
    text = None
    if readme is not None and readme.size <= MAX_CARD:
        try:
            text = readme.path.read_bytes().decode("utf-8-sig", "replace")
        except OSError:
            text = None
    if text is not None:
        found = card_text.sections(text)
        considerations = card_text.considerations(found)
        env = card_text.environment(folder.card or {}, found)
        if env.facts:
            considerations["environmentalConsiderations"] = {
                "properties": [
                    {"name": f"aibom:card:{name}", "value": value} for name, value in env.facts
                ]
            }
            for name, value in env.facts:
                model.properties[f"aibom:card:{name}"] = value
        if considerations:
            card["considerations"] = considerations
            for key in ("useCases", "technicalLimitations"):
                if key in considerations:
                    model.properties[f"aibom:card:{key}"] = " | ".join(considerations[key])[:2000]
    tokenizer = direct.get("tokenizer_config.json")
    if tokenizer is not None:
        data = _load_json(tokenizer, out)
        if isinstance(data, dict):
            for name, value in card_text.tokenizer_hyperparameters(data):
                model.properties[f"cdx:ai-ml:tokenizer:hyperparameter:{name}"] = value
    if card:
        model.model_card = card
