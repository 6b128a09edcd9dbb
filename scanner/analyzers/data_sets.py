"""Data sets made of many files, and the pipelines that read and write them.

Runs once per scan, after the per-file analyzers (which have already hashed every data file
they recognised) and the Hugging Face folder analyzer:

1. **Hub-cache dataset repositories** (`datasets--org--name/snapshots/<commit>/`): one `data`
   component named `org/name` at the commit (`pkg:huggingface/datasets/org/name@<commit>` is
   not a registered purl, so no purl; the Hub URL is recorded), its dataset card's licence and
   facts, its files nested under it.
2. **Folders with a dataset card** (`README.md` whose front matter has dataset-card keys):
   the folder is one data set with the card's licence; its data files nest under it.
3. **DVC**: every `.dvc` file's outputs are matched with the workspace (DVC records MD5s:
   data files carry one from the hashing pass; other files are hashed for it), a tracked path
   that is not in the workspace still gets a component with DVC's identity, and each
   `dvc.yaml` stage (with `dvc.lock`'s hashes) becomes a `PipelineStage`.
4. **Large folders of small files** (an `images/` folder) and every DVC-tracked directory:
   summarised as one `data` component whose SHA-256 is computed over the sorted list of
   `<path>\\0<sha256>\\n` lines of its files (and, for DVC directories, DVC's own directory MD5,
   compared with the record) instead of one component per file.

Files are hashed at most once; hashing runs on the scan's worker threads.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import yaml

from ..config import Config
from ..model import (
    Artifact,
    ArtifactFormat,
    ArtifactIssue,
    Collected,
    ComponentKind,
    FileRef,
    Hash,
    Location,
    PipelineStage,
    ScanError,
    StagePath,
)
from . import card_text
from . import dvc_files as dvc
from .hashing import FileDigests, read_and_digest

# a folder with at least this many files of sample-like types is one data set
SUMMARY_MIN_FILES = 100
SAMPLE_SUFFIXES = frozenset(
    {
        ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp",
        ".wav", ".flac", ".mp3", ".ogg", ".m4a",
        ".mp4", ".avi", ".mov", ".webm",
        ".txt", ".json", ".xml", ".cls", ".npy", ".pt", ".csv", ".tsv", ".jsonl",
    }
)  # fmt: skip
PARALLEL_BYTES = 64 * 1024 * 1024
MAX_PIPELINE_FILE = 16 * 1024 * 1024  # stage scripts/params/metrics hashed up to this size
MAX_DVC_READ = dvc.MAX_DVC_FILE
HUB_DATASET = re.compile(r"(?:^|/)datasets--([^/]+?)--([^/]+)/snapshots/([^/]+)$")
HUB_DATASET_BLOB = re.compile(r"(?:^|/)datasets--[^/]+?--[^/]+/blobs/[^/]+$")
COMMIT = re.compile(r"^[0-9a-f]{40}$")
F = ArtifactFormat


@dataclass
class _Hashed:
    sha256: str | None
    md5: str | None
    size: int
    error: str | None = None


class _Hasher:
    """SHA-256 + MD5 of walked files, from the per-file analyzers' results where they have
    them, else hashed here once (in parallel)."""

    def __init__(self, artifacts: dict[str, Artifact], config: Config) -> None:
        self.known: dict[str, _Hashed] = {}
        for art in artifacts.values():
            if art.sha256 and art.format != F.LFS_POINTER:
                self.known[art.path] = _Hashed(art.sha256, art.md5, art.size)
        self.workers = config.workers or min(4, os.cpu_count() or 1)

    def ensure(self, refs: list[FileRef], need_md5: bool) -> None:
        todo = [
            r
            for r in refs
            if r.rel not in self.known or (need_md5 and self.known[r.rel].md5 is None)
        ]
        if not todo:
            return
        # threads pay off on large files; many small ones hash faster on one (open/read
        # syscalls and GIL hand-offs dominate)
        if self.workers > 1 and sum(r.size for r in todo) > PARALLEL_BYTES:
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                results = list(pool.map(_digest, todo, chunksize=64))
        else:
            results = [_digest(r) for r in todo]
        for ref, result in zip(todo, results, strict=True):
            self.known[ref.rel] = result

    def get(self, rel: str) -> _Hashed | None:
        return self.known.get(rel)


def _digest(ref: FileRef) -> _Hashed:
    try:
        got: FileDigests = read_and_digest(ref.path, 0)
    except OSError as exc:
        return _Hashed(None, None, ref.size, f"cannot read: {exc.strerror or exc}")
    return _Hashed(got.sha256, got.md5, got.size)


def tree_digest(entries: list[tuple[str, str]]) -> str:
    """SHA-256 over the sorted `<relpath>\\0<sha256>\\n` lines of a folder's files."""
    digest = hashlib.sha256()
    for rel, sha in sorted(entries):
        digest.update(rel.encode("utf-8", "surrogateescape") + b"\0" + sha.encode() + b"\n")
    return digest.hexdigest()


def analyze_folders(files: list[FileRef], collected: Collected, config: Config) -> Collected:
    out = Collected()
    by_rel = {f.rel: f for f in files}
    artifacts = {a.path: a for a in collected.artifacts}
    hasher = _Hasher(artifacts, config)
    model_folders = {
        a.path for a in collected.artifacts if a.format == F.HUGGINGFACE and a.path != "."
    }
    claimed: set[str] = set()  # folders already one data set
    _drop_dataset_blobs(collected)
    artifacts = {a.path: a for a in collected.artifacts}
    for folder in sorted({posixpath.dirname(f.rel) for f in files}):
        match = HUB_DATASET.search(folder)
        if match:
            _hub_dataset(folder, match, files, artifacts, hasher, out)
            claimed.add(folder)
    for ref in files:
        if posixpath.basename(ref.rel) != "README.md":
            continue
        folder = posixpath.dirname(ref.rel)
        if folder in claimed or folder in model_folders or _inside(folder, model_folders):
            continue
        if _card_folder(folder, ref, files, artifacts, hasher, out):
            claimed.add(folder)
    dvc_dirs = _dvc(files, by_rel, artifacts, hasher, out)
    for path, record in sorted(dvc_dirs.items()):
        if path in claimed or path in artifacts:
            continue
        members = [f for f in files if f.rel.startswith(path + "/")]
        _summary(path, members, artifacts, hasher, out, dvc_record=record)
        claimed.add(path)
    _large_folders(files, artifacts, hasher, out, claimed | model_folders)
    return out


def _local(rel: str, folder: str) -> str:
    return rel if folder in ("", ".") else rel[len(folder) + 1 :]


def _inside(folder: str, roots: set[str]) -> bool:
    return any(folder.startswith(r + "/") for r in roots)


def _drop_dataset_blobs(collected: Collected) -> None:
    """A hub-cache blob is the same file as the snapshot entry that links to it."""
    snapshot = {a.sha256 for a in collected.artifacts if a.sha256 and "/snapshots/" in a.path}
    collected.artifacts[:] = [
        a
        for a in collected.artifacts
        if not (HUB_DATASET_BLOB.search(a.path) and a.sha256 in snapshot)
    ]


def _read_card(ref: FileRef, out: Collected) -> tuple[dict[str, Any], str] | None:
    if ref.size > card_text.MAX_TEXT * 1024:
        return None
    try:
        text = ref.path.read_bytes().decode("utf-8-sig", "replace")
    except OSError as exc:
        out.errors.append(ScanError(Location(ref.rel), f"cannot read: {exc.strerror or exc}"))
        return None
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    end = next((i for i, line in enumerate(lines) if i and line.strip() == "---"), None)
    if end is None:
        return None
    try:
        front = yaml.safe_load("\n".join(lines[1:end]))
    except (yaml.YAMLError, RecursionError):
        out.errors.append(ScanError(Location(ref.rel, 1), "invalid YAML front matter"))
        return None
    return (front, text) if isinstance(front, dict) else None


def _dataset_artifact(
    path: str,
    members: list[FileRef],
    artifacts: dict[str, Artifact],
    hasher: _Hasher,
    fmt: ArtifactFormat,
) -> Artifact:
    hasher.ensure(members, need_md5=False)
    entries = []
    incomplete = []
    for ref in members:
        got = hasher.get(ref.rel)
        if got is None or got.sha256 is None:
            incomplete.append(f"{ref.rel}: {got.error if got else 'not hashed'}")
            continue
        entries.append((_local(ref.rel, path), got.sha256))
    art = Artifact(
        path=path or ".",
        format=str(fmt),
        size=sum(r.size for r in members),
        kind=ComponentKind.DATA,
        sha256=tree_digest(entries),
    )
    art.properties["aibom:data:file-count"] = str(len(members))
    art.properties["aibom:data:digest"] = "sha256 over sorted path\\0sha256 lines"
    art.incomplete.extend(incomplete[:20])
    for ref in members:
        inner = artifacts.get(ref.rel)
        if inner is not None and inner.parent is None:
            inner.parent = art.path
    return art


def _hub_dataset(
    folder: str,
    match: re.Match[str],
    files: list[FileRef],
    artifacts: dict[str, Artifact],
    hasher: _Hasher,
    out: Collected,
) -> None:
    members = [f for f in files if f.rel.startswith(folder + "/")]
    art = _dataset_artifact(folder, members, artifacts, hasher, F.HF_DATASET)
    repo = f"{match.group(1)}/{match.group(2)}"
    art.name = repo
    art.supplier = match.group(1)
    commit = match.group(3).lower()
    if not COMMIT.match(commit):
        refs_dir = folder[: match.start(3)].removesuffix("snapshots/") + "refs/" + match.group(3)
        ref_file = next((f for f in files if f.rel == refs_dir), None)
        commit = _read_commit(ref_file) or ""
    if commit:
        art.version = commit
    art.facts["repo"] = repo
    art.properties["aibom:hf:name-source"] = "hub cache path"
    art.urls.append(f"https://huggingface.co/datasets/{repo}")
    card = next((f for f in members if f.rel == f"{folder}/README.md"), None)
    if card is not None:
        read = _read_card(card, out)
        if read is not None:
            _apply_dataset_card(art, *read)
    art.data_card = art.data_card or {"type": "dataset", "name": repo}
    art.data_card.setdefault("contents", {"url": f"https://huggingface.co/datasets/{repo}"})
    out.artifacts.append(art)


def _read_commit(ref: FileRef | None) -> str | None:
    if ref is None or ref.size > 128:
        return None
    try:
        text = ref.path.read_bytes().decode("ascii", "replace").strip().lower()
    except OSError:
        return None
    return text if COMMIT.match(text) else None


def _apply_dataset_card(art: Artifact, front: dict[str, Any], text: str) -> None:
    card = card_text.dataset_card(front, text)
    art.licenses.extend(card.licenses)
    if card.licenses:
        art.facts["license"] = card.licenses
    for name, value in card.facts:
        art.properties[f"aibom:dataset:{name}"] = value[:500]
    data: dict[str, Any] = {"type": "dataset", "name": card.pretty_name or art.name or art.path}
    if card.summary:
        data["description"] = card.summary
    art.data_card = data


def _card_folder(
    folder: str,
    card: FileRef,
    files: list[FileRef],
    artifacts: dict[str, Artifact],
    hasher: _Hasher,
    out: Collected,
) -> bool:
    read = _read_card(card, out)
    if read is None or not card_text.looks_like_dataset_card(read[0]):
        return False
    # the card describes the data set; its own changes are reported as licence and facts
    members = [
        f for f in files if (f.rel.startswith(folder + "/") or not folder) and f.rel != card.rel
    ]
    art = _dataset_artifact(folder, members, artifacts, hasher, F.DATA_FOLDER)
    _apply_dataset_card(art, *read)
    art.properties["aibom:dataset:card"] = card.rel
    out.artifacts.append(art)
    return True


# ---------------------------------------------------------------- DVC


def _read_text(ref: FileRef, out: Collected) -> str | None:
    if ref.size > MAX_DVC_READ:
        out.errors.append(ScanError(Location(ref.rel), f"larger than {MAX_DVC_READ} bytes"))
        return None
    try:
        return ref.path.read_bytes().decode("utf-8", "replace")
    except OSError as exc:
        out.errors.append(ScanError(Location(ref.rel), f"cannot read: {exc.strerror or exc}"))
        return None


def _dvc(
    files: list[FileRef],
    by_rel: dict[str, FileRef],
    artifacts: dict[str, Artifact],
    hasher: _Hasher,
    out: Collected,
) -> dict[str, dvc.DvcOutput]:
    """Link DVC records to the workspace; returns the tracked directories."""
    dirs: dict[str, dvc.DvcOutput] = {}
    records: list[tuple[dvc.DvcOutput, str]] = []  # (output, tracked by)
    yamls: list[FileRef] = []
    locks: dict[str, FileRef] = {}
    for ref in files:
        name = posixpath.basename(ref.rel)
        if name.endswith(".dvc") and name != ".dvc" and "/.dvc/" not in f"/{ref.rel}":
            text = _read_text(ref, out)
            if text is None:
                continue
            try:
                parsed = dvc.parse_dvc_file(text, ref.rel)
            except dvc.DvcError as exc:
                out.errors.append(ScanError(Location(ref.rel, exc.line), str(exc)))
                continue
            for item in parsed.outs:
                records.append((item, ref.rel))
                if item.is_dir:
                    dirs[item.path] = item
            for dep in parsed.deps:
                _import_source(dep, parsed, artifacts, out)
        elif name in ("dvc.yaml", "dvc.yml"):
            yamls.append(ref)
        elif name == "dvc.lock":
            locks[posixpath.dirname(ref.rel)] = ref
    for item, owner in records:
        if not item.is_dir:
            _link_file(item, owner, by_rel, artifacts, hasher, out)
    stages = _stages(yamls, locks, out)
    for stage in stages:
        for path in [*stage.inputs, *stage.outputs]:
            if path.is_dir:
                dirs.setdefault(path.path, dvc.DvcOutput(path.path, path.md5, True))
            elif path.path in by_rel and path.path not in artifacts:
                _pipeline_file(by_rel[path.path], path, hasher, artifacts, out)
            elif path.path not in by_rel and path.path not in artifacts and path.md5:
                _locked_only(path, stage, artifacts, out)
        _stale(stage, hasher, by_rel)
        for file, key, value in stage.params:
            params = artifacts.get(file)
            if params is not None and value:
                entry = ("aibom:param", f"{key}={value}")
                if entry not in params.multi_properties:
                    params.multi_properties.append(entry)
    out.pipelines.extend(stages)
    return dirs


def _import_source(
    dep: dvc.DvcOutput, parsed: dvc.DvcFile, artifacts: dict[str, Artifact], out: Collected
) -> None:
    for item in parsed.outs:
        art = artifacts.get(item.path)
        if art is None:
            continue
        if dep.remote_url:
            art.properties["aibom:dvc:import-url"] = dep.remote_url
        if dep.remote_rev:
            art.properties["aibom:dvc:import-rev"] = dep.remote_rev


def _link_file(
    item: dvc.DvcOutput,
    owner: str,
    by_rel: dict[str, FileRef],
    artifacts: dict[str, Artifact],
    hasher: _Hasher,
    out: Collected,
) -> None:
    ref = by_rel.get(item.path)
    art = artifacts.get(item.path)
    if ref is None:
        # tracked but not in the workspace (not pulled): DVC's identity is what there is
        art = Artifact(
            path=item.path,
            format=str(F.DVC_TRACKED),
            size=item.size or 0,
            kind=ComponentKind.DATA,
        )
        art.properties["aibom:dvc:in-workspace"] = "false"
        out.artifacts.append(art)
        artifacts[item.path] = art
    elif art is None:
        art = Artifact(path=item.path, format=str(F.PIPELINE_FILE), size=ref.size)
        art.kind = ComponentKind.DATA
        out.artifacts.append(art)
        artifacts[item.path] = art
    art.properties["aibom:dvc:tracked-by"] = owner
    if item.md5:
        art.properties["aibom:dvc:md5"] = item.md5
        if Hash("md5", item.md5) not in art.extra_hashes and ref is None:
            art.extra_hashes.append(Hash("md5", item.md5))
    if item.etag:
        art.properties["aibom:dvc:etag"] = item.etag
    if item.desc:
        art.properties["aibom:dvc:desc"] = item.desc
    if item.remote:
        art.properties["aibom:dvc:remote"] = item.remote
    if ref is None or not item.md5:
        return
    hasher.ensure([ref], need_md5=True)
    got = hasher.get(ref.rel)
    if got is None or got.md5 is None:
        return
    art.sha256 = art.sha256 or got.sha256
    art.md5 = got.md5
    if Hash("md5", got.md5) not in art.extra_hashes:
        art.extra_hashes.append(Hash("md5", got.md5))
    if got.md5 != item.md5:
        art.issues.append(
            ArtifactIssue(
                "dvc:hash-mismatch",
                f"{item.path} has MD5 {got.md5}; {owner} records {item.md5}",
                Location(owner),
                (("path", item.path), ("record", owner), ("recorded", item.md5),
                 ("actual", got.md5)),
            )
        )  # fmt: skip


def _stages(yamls: list[FileRef], locks: dict[str, FileRef], out: Collected) -> list[PipelineStage]:
    stages: list[PipelineStage] = []
    for ref in sorted(yamls, key=lambda r: r.rel):
        text = _read_text(ref, out)
        if text is None:
            continue
        try:
            defined = dvc.parse_dvc_yaml(text, ref.rel)
        except dvc.DvcError as exc:
            out.errors.append(ScanError(Location(ref.rel, exc.line), str(exc)))
            continue
        locked: dict[str, dvc.DvcStage] = {}
        lock_ref = locks.get(posixpath.dirname(ref.rel))
        if lock_ref is not None:
            lock_text = _read_text(lock_ref, out)
            if lock_text is not None:
                try:
                    locked = dvc.parse_dvc_lock(lock_text, lock_ref.rel)
                except dvc.DvcError as exc:
                    out.errors.append(ScanError(Location(lock_ref.rel, exc.line), str(exc)))
        for spec in defined:
            stages.append(_stage(spec, locked.get(spec.name), ref.rel))
    return stages


def _stage(spec: dvc.DvcStage, lock: dvc.DvcStage | None, path: str) -> PipelineStage:
    hashes: dict[str, dvc.DvcOutput] = {}
    if lock is not None:
        hashes = {o.path: o for o in [*lock.locked_deps, *lock.locked_outs]}

    def item(p: str, role: str) -> StagePath:
        rec = hashes.get(p)
        return StagePath(p, rec.md5 if rec else None, bool(rec and rec.is_dir), role)

    stage = PipelineStage(
        name=spec.name,
        source="dvc",
        location=Location(path, spec.line),
        commands=spec.cmd or (lock.locked_cmd if lock else []),
        inputs=[item(p, "dep") for p in spec.deps],
        outputs=[item(p, "out") for p in spec.outs]
        + [item(p, "metrics") for p in spec.metrics]
        + [item(p, "plots") for p in spec.plots],
        locked=lock is not None,
    )
    files = sorted({file for file, _ in spec.params})
    stage.inputs.extend(StagePath(f, None, False, "params") for f in files)
    if lock is not None and lock.locked_params:
        stage.params = list(lock.locked_params)
    else:
        stage.params = [(file, key, "") for file, key in spec.params]
    return stage


def _locked_only(
    item: StagePath, stage: PipelineStage, artifacts: dict[str, Artifact], out: Collected
) -> None:
    """A stage's dep or output that is not in the workspace (a model or data DVC caches):
    the MD5 `dvc.lock` recorded is its identity."""
    from ..sniff import MODEL_EXTENSIONS
    from .data_formats import DATA_SUFFIXES

    suffix = posixpath.splitext(item.path)[1].lower()
    kind = ComponentKind.FILE
    if suffix in MODEL_EXTENSIONS:
        kind = ComponentKind.MODEL
    elif suffix in DATA_SUFFIXES or item.role == "out":
        kind = ComponentKind.DATA
    art = Artifact(path=item.path, format=str(F.DVC_TRACKED), size=0, kind=kind)
    art.properties["aibom:dvc:in-workspace"] = "false"
    art.properties["aibom:dvc:tracked-by"] = stage.location.path.replace("dvc.yaml", "dvc.lock")
    art.properties["aibom:pipeline:role"] = item.role
    if item.md5:
        art.properties["aibom:dvc:md5"] = item.md5
        art.extra_hashes.append(Hash("md5", item.md5))
    artifacts[item.path] = art
    out.artifacts.append(art)


def _pipeline_file(
    ref: FileRef, item: StagePath, hasher: _Hasher, artifacts: dict[str, Artifact], out: Collected
) -> None:
    """A script, params or metrics file a stage names: a `file` component with its hash."""
    art = Artifact(path=ref.rel, format=str(F.PIPELINE_FILE), size=ref.size)
    art.kind = ComponentKind.FILE
    art.properties["aibom:pipeline:role"] = item.role
    if ref.size <= MAX_PIPELINE_FILE:
        hasher.ensure([ref], need_md5=True)
        got = hasher.get(ref.rel)
        if got is not None and got.sha256:
            art.sha256 = got.sha256
            art.md5 = got.md5
        if item.role == "metrics" and ref.size <= MAX_METRICS_FILE:
            for name, value in _metric_values(ref):
                art.multi_properties.append(("aibom:metric", f"{name}={value}"))
    else:
        art.properties["aibom:pipeline:hashed"] = f"no: larger than {MAX_PIPELINE_FILE} bytes"
    artifacts[ref.rel] = art
    out.artifacts.append(art)


MAX_METRICS_FILE = 256 * 1024
MAX_METRIC_VALUES = 200


def _metric_values(ref: FileRef) -> list[tuple[str, str]]:
    """Numeric leaves of a JSON or YAML metrics file (`{"eval": {"acc": 0.9}}` ->
    `eval.acc`=0.9), bounded."""
    try:
        text = ref.path.read_bytes().decode("utf-8", "replace")
        data = yaml.safe_load(text)  # JSON is YAML
    except (OSError, yaml.YAMLError, RecursionError):
        return []
    out: list[tuple[str, str]] = []

    def walk(value: Any, prefix: str, depth: int) -> None:
        if len(out) >= MAX_METRIC_VALUES or depth > 8:
            return
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{prefix}.{key}" if prefix else str(key), depth + 1)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append((prefix or "value", repr(value)))

    walk(data, "", 0)
    return out


def _stale(stage: PipelineStage, hasher: _Hasher, by_rel: dict[str, FileRef]) -> None:
    """Paths whose workspace content is not what the lock file recorded."""
    for path in [*stage.inputs, *stage.outputs]:
        if path.md5 is None or path.is_dir or path.path not in by_rel:
            continue
        ref = by_rel[path.path]
        if ref.size > MAX_PIPELINE_FILE:
            continue
        hasher.ensure([ref], need_md5=True)
        got = hasher.get(path.path)
        if got is not None and got.md5 and got.md5 != path.md5:
            stage.stale.append(path.path)


# ---------------------------------------------------------------- folders of small files


def _summary(
    path: str,
    members: list[FileRef],
    artifacts: dict[str, Artifact],
    hasher: _Hasher,
    out: Collected,
    dvc_record: dvc.DvcOutput | None = None,
) -> Artifact:
    hasher.ensure(members, need_md5=dvc_record is not None and dvc_record.md5 is not None)
    art = _dataset_artifact(path, members, artifacts, hasher, F.DATA_FOLDER)
    suffixes = sorted({posixpath.splitext(m.rel)[1].lower() for m in members} - {""})
    if suffixes:
        art.properties["aibom:data:extensions"] = ",".join(suffixes[:20])
    art.data_card = {"type": "dataset", "name": path}
    if dvc_record is not None:
        art.properties["aibom:dvc:tracked"] = "directory"
        if dvc_record.desc:
            art.properties["aibom:dvc:desc"] = dvc_record.desc
        if dvc_record.remote:
            art.properties["aibom:dvc:remote"] = dvc_record.remote
        if dvc_record.md5:
            art.properties["aibom:dvc:md5"] = dvc_record.md5
        entries = []
        for ref in members:
            got = hasher.get(ref.rel)
            if got is not None and got.md5:
                entries.append((_local(ref.rel, path), got.md5))
        if members and dvc_record.md5 and len(entries) == len(members):
            actual = dvc.dir_md5(entries)
            art.extra_hashes.append(Hash("md5", actual))
            art.properties["aibom:dvc:dir-md5"] = actual
            if actual != dvc_record.md5:
                art.issues.append(
                    ArtifactIssue(
                        "dvc:hash-mismatch",
                        f"{path}/ has directory MD5 {actual}; DVC records {dvc_record.md5}",
                        Location(path),
                        (("path", path), ("record", "DVC"), ("recorded", dvc_record.md5),
                         ("actual", actual)),
                    )
                )  # fmt: skip
        if not members:
            art.properties["aibom:dvc:in-workspace"] = "false"
            art.sha256 = None
            if dvc_record.md5:
                art.extra_hashes.append(Hash("md5", dvc_record.md5))
    out.artifacts.append(art)
    artifacts[path] = art
    return art


def _large_folders(
    files: list[FileRef],
    artifacts: dict[str, Artifact],
    hasher: _Hasher,
    out: Collected,
    claimed: set[str],
) -> None:
    """The topmost folders whose subtree holds at least SUMMARY_MIN_FILES sample-like files
    that are nine in ten of its files (an `images/` tree split into shard folders is one data
    set, a project root with some images is not)."""
    total: dict[str, int] = defaultdict(int)
    samples: dict[str, int] = defaultdict(int)
    members: dict[str, list[FileRef]] = defaultdict(list)
    chains: dict[str, tuple[str, ...]] = {}  # folder -> it and its ancestors
    for ref in files:
        sample = posixpath.splitext(ref.rel)[1].lower() in SAMPLE_SUFFIXES
        sample = sample and ref.rel not in artifacts
        start = posixpath.dirname(ref.rel)
        chain = chains.get(start)
        if chain is None:
            parts = start.split("/") if start else []
            chain = tuple("/".join(parts[:i]) for i in range(len(parts), -1, -1))
            chains[start] = chain
        for folder in chain:
            total[folder] += 1
            members[folder].append(ref)
            if sample:
                samples[folder] += 1
    done: set[str] = set()
    for folder in sorted(total, key=lambda f: (f.count("/") if f else -1, f)):
        if samples[folder] < SUMMARY_MIN_FILES or samples[folder] * 10 < total[folder] * 9:
            continue
        if not folder and samples[folder] != total[folder]:
            continue  # the scan root is a data set only when it holds nothing else
        if folder in claimed or _inside(folder, claimed) or folder in done:
            continue
        if _inside(folder, done) or (done and "" in done):
            continue
        _summary(folder or ".", members[folder], artifacts, hasher, out)
        done.add(folder)
