"""Keras models: `.keras` zips (config.json + metadata.json + weights) and HDF5 `.h5` files.

For the archive analyzer (archives.py): a zip whose members include `config.json` and
`metadata.json` (or `model.weights.h5` / `model.weights.npz`) is a Keras 3 model; call
`is_keras_zip(names)` to tell, then
`analyze_keras_zip(artifact, names, read_member, config)` to fill the zip's Artifact, where
`read_member(name) -> bytes` returns a member's bytes (bounded by the caller) and raises
`KeyError` when it is absent. `analyze_file` here does the same with the stdlib `zipfile`
for direct calls and HDF5 files.

What is recorded: every Lambda layer (at any depth: nested Functional/Sequential models,
wrappers such as TimeDistributed or Bidirectional), every serialized object whose `module` or
`registered_name` points outside Keras, and references to Keras functions known to be abused
from configs (`get_file`, `enable_unsafe_deserialization`, TFSMLayer, TorchModuleWrapper,
lookup layers with a vocabulary file path). Lambda bytecode is never unmarshalled; its
presence is enough. HDF5 is read with h5py (optional extra `aibom[h5]`) without loading any
weights; without h5py the file is reported as not analysed.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..config import Config
from ..model import Artifact, ArtifactIssue, Collected, ComponentKind, FileRef, Location
from .card_text import parameter_count
from .hashing import hash_into

MAX_CONFIG = 64 * 1024 * 1024
MAX_DEPTH = 200
MAX_HDF5_OBJECTS = 100_000
H5_MISSING = "HDF5 model not analysed: install aibom[h5] (h5py)"

KERAS_MODULE_ROOTS = ("keras", "tf_keras", "keras_hub", "keras_nlp", "keras_cv", "keras_rs")
KERAS_PACKAGES = frozenset({"keras", "Keras", "keras_hub", "keras_nlp", "keras_cv", "keras_rs"})
# class_name (or function name) -> why a config naming it is dangerous
DANGEROUS: dict[str, str] = {
    "get_file": "keras.utils.get_file downloads and extracts files (CVE-2025-8747)",
    "enable_unsafe_deserialization": (
        "enable_unsafe_deserialization turns safe_mode off (CVE-2025-9906)"
    ),
    "TFSMLayer": "TFSMLayer loads a TensorFlow SavedModel from a path (CVE-2026-1462)",
    "TorchModuleWrapper": (
        "TorchModuleWrapper unpickles a torch module with weights_only=False (CVE-2025-49655)"
    ),
}
LOOKUP_LAYERS = frozenset({"StringLookup", "IntegerLookup", "TextVectorization"})


class KerasConfigError(ValueError):
    pass


def is_keras_zip(names: Sequence[str]) -> bool:
    members = set(names)
    return "config.json" in members and bool(
        members & {"metadata.json", "model.weights.h5", "model.weights.npz"}
    )


def analyze_file(file: FileRef, fmt: str, config: Config) -> Collected:
    """HDF5 files (fmt "hdf5"); also `.keras` zips when called directly (fmt "zip")."""
    if fmt == "zip":
        return Collected(artifacts=[analyze_keras_file(file, config)])
    artifact = Artifact(path=file.rel, format="hdf5", size=file.size)
    artifact.kind = ComponentKind.MODEL
    hash_into(artifact, file.path)
    analyze_hdf5(artifact, file.path)
    return Collected(artifacts=[artifact])


def analyze_keras_file(file: FileRef, config: Config) -> Artifact:
    """A `.keras` zip read with the stdlib zipfile (size-bounded member reads)."""
    artifact = Artifact(path=file.rel, format="keras", size=file.size, framework="keras")
    hash_into(artifact, file.path)
    try:
        with zipfile.ZipFile(file.path) as archive:
            infos = {info.filename: info for info in archive.infolist()}

            def read_member(name: str) -> bytes:
                info = infos[name]
                if info.file_size > MAX_CONFIG:
                    raise KerasConfigError(f"{name} is larger than {MAX_CONFIG} bytes")
                with archive.open(info) as fh:
                    return fh.read(MAX_CONFIG + 1)

            analyze_keras_zip(artifact, list(infos), read_member, config)
    except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError) as exc:
        artifact.incomplete.append(f"cannot read the Keras archive: {exc}")
    return artifact


def analyze_keras_zip(
    artifact: Artifact,
    names: Sequence[str],
    read_member: Callable[[str], bytes],
    config: Config,
) -> None:
    """Fill a `.keras` zip's artifact from its config.json and metadata.json."""
    artifact.format = "keras"
    artifact.framework = "keras"
    artifact.kind = ComponentKind.MODEL
    members = set(names)
    artifact.facts["keras_weights"] = sorted(
        n for n in members if n.startswith("model.weights.") or n.startswith("assets/")
    )[:20]
    if "metadata.json" in members:
        try:
            meta = _load_json(read_member("metadata.json"), "metadata.json")
            if isinstance(meta, dict):
                version = meta.get("keras_version")
                if isinstance(version, str):
                    artifact.facts["keras_version"] = version
                    artifact.properties["aibom:keras:version"] = version
        except (KerasConfigError, KeyError, OSError) as exc:
            artifact.incomplete.append(f"metadata.json: {_reason(exc)}")
    if "config.json" not in members:
        artifact.incomplete.append("Keras archive has no config.json")
        return
    try:
        model_config = _load_json(read_member("config.json"), "config.json")
    except KeyError:
        artifact.incomplete.append("Keras archive has no config.json")
        return
    except (KerasConfigError, OSError) as exc:
        artifact.incomplete.append(f"config.json: {_reason(exc)}")
        return
    walk_config(artifact, model_config, Location(artifact.path, member="config.json"))
    if "model.weights.h5" in members:
        _check_weights(artifact, read_member)


def _check_weights(artifact: Artifact, read_member: Callable[[str], bytes]) -> None:
    """Count the parameters in `model.weights.h5` and look for HDF5 external links in it
    (CVE-2026-1669). The config, where code hides, is checked either way; when the weights
    cannot be opened here (no h5py, or larger than the archive reader returns) that is
    recorded as a property rather than failing the whole model."""
    try:
        import h5py
    except ImportError:
        artifact.properties["aibom:keras:weights-not-checked"] = "h5py not installed"
        return
    try:
        data = read_member("model.weights.h5")
    except Exception as exc:  # the archive reader's size limit or a damaged member
        artifact.properties["aibom:keras:weights-not-checked"] = str(exc)[:200]
        return
    try:
        with h5py.File(io.BytesIO(data), "r") as h5:
            _check_links(artifact, h5, h5py, Location(artifact.path, member="model.weights.h5"))
    except Exception as exc:  # h5py raises OSError, RuntimeError, ... on bad files
        artifact.incomplete.append(f"model.weights.h5 cannot be read: {exc}")


def analyze_hdf5(artifact: Artifact, path: Path) -> None:
    """An HDF5 file: a legacy Keras model when it has a `model_config` attribute."""
    try:
        import h5py
    except ImportError:
        artifact.incomplete.append(H5_MISSING)
        return
    loc = Location(artifact.path)
    try:
        with h5py.File(path, "r") as h5:
            attrs = h5.attrs
            raw_config = attrs.get("model_config") if "model_config" in attrs else None
            for key in ("keras_version", "backend"):
                if key in attrs:
                    value = _text(attrs[key])
                    if value is not None:
                        artifact.facts[key] = value
            if raw_config is None and "model_weights" not in h5 and "layer_names" not in attrs:
                artifact.kind = ComponentKind.DATA
                artifact.facts["hdf5_model"] = False
            else:
                artifact.framework = "keras"
                artifact.facts["hdf5_model"] = True
                if "keras_version" in artifact.facts:
                    artifact.properties["aibom:keras:version"] = artifact.facts["keras_version"]
            _check_links(artifact, h5, h5py)
    except Exception as exc:  # h5py raises OSError, RuntimeError, KeyError... on bad files
        artifact.incomplete.append(f"cannot read the HDF5 file: {exc}")
        return
    if raw_config is None:
        if artifact.facts.get("hdf5_model"):
            artifact.incomplete.append(
                "HDF5 Keras weights without model_config: layers and code not checked"
            )
        return
    text = _text(raw_config)
    if text is None:
        artifact.incomplete.append("model_config attribute is not text")
        return
    try:
        model_config = _load_json(text.encode("utf-8", "surrogatepass"), "model_config")
    except KerasConfigError as exc:
        artifact.incomplete.append(f"model_config: {exc}")
        return
    walk_config(artifact, model_config, loc)


def _check_links(artifact: Artifact, h5: Any, h5py: Any, loc: Location | None = None) -> None:
    """External links and external dataset storage make h5py read other files."""
    loc = loc or Location(artifact.path)
    stack: list[tuple[str, Any]] = [("", h5)]
    seen = 0
    visited: set[Any] = {h5.id}
    parameters = 0
    dtypes: set[str] = set()
    while stack:
        prefix, group = stack.pop()
        for name in list(group.keys()):
            seen += 1
            if seen > MAX_HDF5_OBJECTS:
                artifact.incomplete.append(
                    f"more than {MAX_HDF5_OBJECTS} HDF5 objects: links not all checked"
                )
                return
            full = f"{prefix}/{name}"
            link = group.get(name, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                detail = f"{full} links to {link.filename}:{link.path}"
                artifact.issues.append(
                    ArtifactIssue(
                        "hdf5:external-link", detail, loc, (("what", "HDF5 external link"),)
                    )
                )
                continue
            if isinstance(link, h5py.SoftLink):
                continue
            obj = group.get(name)
            if isinstance(obj, h5py.Group):
                if obj.id not in visited:  # hard links can make cycles
                    visited.add(obj.id)
                    stack.append((full, obj))
                continue
            if not isinstance(obj, h5py.Dataset) or obj.id in visited:
                continue
            visited.add(obj.id)
            if obj.shape is not None:
                parameters += math.prod(obj.shape)
                dtypes.add(str(obj.dtype))
            if obj.external:
                files = ", ".join(sorted({str(entry[0]) for entry in obj.external}))
                detail = f"{full} stores its data in {files}"
                artifact.issues.append(
                    ArtifactIssue(
                        "hdf5:external-link", detail, loc, (("what", "HDF5 external storage"),)
                    )
                )
    artifact.facts["parameters"] = parameters
    artifact.facts["dtypes"] = sorted(dtypes)
    artifact.properties["cdx:ai-ml:model:parameter:count"] = parameter_count(parameters)
    if parameters >= 10**6:  # the taxonomy format rounds: keep the exact count
        artifact.properties["aibom:parameter-count"] = str(parameters)
    if dtypes:
        artifact.properties["aibom:dtypes"] = ",".join(sorted(dtypes))


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    return None


def _reason(exc: BaseException) -> str:
    return str(exc) if not isinstance(exc, KeyError) else f"missing member {exc}"


def _load_json(raw: bytes, what: str) -> Any:
    if len(raw) > MAX_CONFIG:
        raise KerasConfigError(f"{what} is larger than {MAX_CONFIG} bytes")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise KerasConfigError(f"{what} is not UTF-8 (byte {exc.start})") from None
    except RecursionError:
        raise KerasConfigError(f"{what} is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise KerasConfigError(
            f"{what} is not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})"
        ) from None


def _objects(node: Any) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Every JSON object in the config, depth-first, with the key it sits under (for an
    object in a list: the list's key)."""
    stack: list[tuple[Any, int, str | None]] = [(node, 0, None)]
    while stack:
        item, level, key = stack.pop()
        if level > MAX_DEPTH:
            raise KerasConfigError(f"config nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            yield item, key
            stack.extend((v, level + 1, k) for k, v in reversed(list(item.items())))
        elif isinstance(item, list):
            stack.extend((v, level + 1, key) for v in reversed(item))


LAYER_KEYS = frozenset({"layers", "layer", "forward_layer", "backward_layer", "cell", "cells"})


def _is_keras_module(module: str) -> bool:
    root = module.split(".", 1)[0]
    return root in KERAS_MODULE_ROOTS


def walk_config(artifact: Artifact, model_config: Any, loc: Location) -> None:
    """Record layers, Lambda layers and non-Keras references of a model config."""
    if not isinstance(model_config, dict):
        artifact.incomplete.append("model config is not a JSON object")
        return
    top = model_config.get("class_name")
    if isinstance(top, str):
        artifact.facts["model_class"] = top
    layer_classes: set[str] = set()
    lambdas: list[str] = []
    external: set[tuple[str, str, str]] = set()
    dangerous: set[tuple[str, str]] = set()
    layer_count = 0
    try:
        for obj, key in _objects(model_config):
            class_name = obj.get("class_name")
            if not isinstance(class_name, str):
                continue
            cfg = obj.get("config")
            if key in LAYER_KEYS:
                layer_count += 1
                layer_classes.add(class_name)
            if class_name == "Lambda":
                name = cfg.get("name") if isinstance(cfg, dict) else None
                lambdas.append(str(name or obj.get("name") or "?"))
            module = obj.get("module")
            registered = obj.get("registered_name")
            if isinstance(module, str) and module and not _is_keras_module(module):
                what = "function" if class_name == "function" else "object"
                target = cfg if class_name == "function" and isinstance(cfg, str) else class_name
                external.add((what, str(target), module))
            if isinstance(registered, str) and ">" in registered:
                package = registered.split(">", 1)[0]
                if package not in KERAS_PACKAGES:
                    external.add(("registered object", registered, package))
            names = {class_name}
            if class_name == "function" and isinstance(cfg, str):
                names.add(cfg)
            for name in sorted(names & set(DANGEROUS)):
                dangerous.add((name, DANGEROUS[name]))
            if class_name in LOOKUP_LAYERS and isinstance(cfg, dict):
                vocab = cfg.get("vocabulary")
                if isinstance(vocab, str) and vocab:
                    dangerous.add(
                        (
                            f"{class_name} vocabulary file",
                            f"{class_name} reads its vocabulary from {vocab!r} (CVE-2025-12058)",
                        )
                    )
    except KerasConfigError as exc:
        artifact.incomplete.append(str(exc))
    artifact.facts["layers"] = layer_count
    artifact.facts["layer_classes"] = sorted(layer_classes)
    artifact.facts["lambda_layers"] = sorted(lambdas)
    for name in sorted(lambdas):
        artifact.issues.append(
            ArtifactIssue("keras:lambda", f"Lambda layer {name}", loc, (("layer", name),))
        )
    for what, target, module in sorted(external):
        artifact.issues.append(
            ArtifactIssue(
                "keras:external-module",
                f"{what} {target} from module {module}",
                loc,
                (("what", what), ("name", target), ("module", module)),
            )
        )
    for name, why in sorted(dangerous):
        artifact.issues.append(
            ArtifactIssue("keras:dangerous-reference", why, loc, (("what", name),))
        )
