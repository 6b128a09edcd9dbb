"""The data that flows between aibom's stages.

walk -> collect (sources, analyzers) -> Inventory -> checks -> Findings -> outputs.

Collectors return plain facts (`Collected`); `Inventory` merges them; checks read the
inventory and return `Finding`s, whose wording comes from `rules/`.
"""

from __future__ import annotations

import enum
import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .signatures.bundle import ModelSignatureBundle
    from .signatures.folders import SignatureCheck


class Severity(enum.IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {names})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What a file's stat said when it was walked: the digest cache's trusted key (the fields
    git's index trusts)."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileStamp:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass(frozen=True, slots=True)
class FileRef:
    """A file found by the walker (slots: a large tree holds one per file)."""

    path: Path  # the path to open
    rel: str  # POSIX path shown to users and recorded in the AIBOM
    size: int
    stamp: FileStamp | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True, order=True)
class Location:
    """Where something was found: a path relative to the scan root (POSIX separators),
    an optional 1-based line, and an optional member inside an archive."""

    path: str
    line: int | None = None
    member: str | None = None

    def __str__(self) -> str:
        text = self.path if self.line is None else f"{self.path}:{self.line}"
        if self.member:
            text += f" ({self.member})"
        return text


@dataclass(frozen=True, order=True)
class Hash:
    """A digest: `alg` is lower-case hashlib spelling (sha256, sha384, sha512, md5, ...),
    `value` the lower-case hex digest as written (not validated here: checks judge)."""

    alg: str
    value: str

    def __str__(self) -> str:
        return f"{self.alg}:{self.value}"


class ComponentKind(enum.StrEnum):
    LIBRARY = "library"
    APPLICATION = "application"
    MODEL = "machine-learning-model"
    DATA = "data"
    FILE = "file"


class ArtifactFormat(enum.StrEnum):
    """Every format an artifact can have: what `sniff` decides from a file's bytes (the keys
    of the analyzer table) and the finer formats analyzers then record (`Artifact.format`).
    A compressed pickle is recorded as `<inner>+<wrapper>` (`pickle+gzip`)."""

    # decided by sniff
    PICKLE = "pickle"
    ZIP = "zip"
    TAR = "tar"
    GZIP = "gzip"
    BZIP2 = "bzip2"
    XZ = "xz"
    LZMA = "lzma"
    ZSTD = "zstd"
    ZLIB = "zlib"
    SEVEN_ZIP = "7z"
    LZ4 = "lz4"
    NUMPY = "numpy"
    SAFETENSORS = "safetensors"
    GGUF = "gguf"
    ONNX = "onnx"
    HDF5 = "hdf5"
    UNKNOWN_MODEL = "unknown-model"
    LFS_POINTER = "lfs-pointer"
    MODEL_SIGNATURE = "model-signature"  # an OpenSSF model-signing Sigstore bundle
    # data files (sniffed by magic, or by name for text formats)
    CSV = "csv"
    TSV = "tsv"
    JSONL = "jsonl"
    PARQUET = "parquet"
    ARROW = "arrow"
    ARROW_STREAM = "arrow-stream"
    FEATHER_V1 = "feather-v1"
    TFRECORD = "tfrecord"
    # recorded by analyzers
    PYTORCH_ZIP = "pytorch-zip"
    PYTORCH_LEGACY = "pytorch-legacy"
    PYTORCH_TAR = "pytorch-tar"
    TORCHSCRIPT = "torchscript"
    JOBLIB = "joblib"
    NPZ = "npz"
    KERAS = "keras"
    HUGGINGFACE = "huggingface"
    ONNX_EXTERNAL_DATA = "onnx-external-data"
    MODEL_FOLDER = "model-folder"  # a signed folder that is not a Hugging Face model folder
    UNKNOWN = "unknown"
    DATA_FOLDER = "data-folder"  # many small files summarised as one data set
    HF_DATASET = "huggingface-dataset"  # a dataset repository snapshot in the hub cache
    DVC_TRACKED = "dvc-tracked"  # a path DVC tracks that is not in the workspace
    PIPELINE_FILE = "pipeline-file"  # a script, params or metrics file a pipeline stage names

    @property
    def is_pickle_based(self) -> bool:
        """Loading a file of this format unpickles (so it can run code)."""
        return self in _PICKLE_BASED


_PICKLE_BASED = frozenset(
    {
        ArtifactFormat.PICKLE,
        ArtifactFormat.PYTORCH_ZIP,
        ArtifactFormat.PYTORCH_LEGACY,
        ArtifactFormat.PYTORCH_TAR,
        ArtifactFormat.TORCHSCRIPT,
        ArtifactFormat.JOBLIB,
    }
)


def is_pickle_based(recorded: str) -> bool:
    """`ArtifactFormat.is_pickle_based` for a recorded format string, compound
    `<inner>+<wrapper>` formats (`pickle+gzip`) judged by their inner format."""
    inner = recorded.split("+", 1)[0]
    try:
        return ArtifactFormat(inner).is_pickle_based
    except ValueError:
        return False


class FileKind(enum.StrEnum):
    """Which collector reads a file that is recognised by its name (dependency files and
    source code); the keys of the collector table."""

    REQUIREMENTS = "requirements"
    PYPROJECT = "pyproject"
    SETUP_CFG = "setup.cfg"
    SETUP_PY = "setup.py"
    POETRY_LOCK = "poetry.lock"
    UV_LOCK = "uv.lock"
    PIPFILE_LOCK = "Pipfile.lock"
    PDM_LOCK = "pdm.lock"
    PYLOCK = "pylock"
    CONDA = "conda"
    PYTHON = "python"
    NOTEBOOK = "notebook"


class SourceKind(enum.StrEnum):
    """Which kind of file a dependency was declared in."""

    REQUIREMENTS = "requirements"
    CONSTRAINTS = "constraints"
    PYPROJECT = "pyproject"
    SETUP_CFG = "setup.cfg"
    SETUP_PY = "setup.py"
    POETRY_LOCK = "poetry.lock"
    UV_LOCK = "uv.lock"
    PIPFILE_LOCK = "Pipfile.lock"
    PDM_LOCK = "pdm.lock"
    PYLOCK = "pylock.toml"
    ENVIRONMENT = "environment"
    CONDA = "conda"

    @property
    def is_lock(self) -> bool:
        return self in _LOCKS


_LOCKS = {
    SourceKind.POETRY_LOCK,
    SourceKind.UV_LOCK,
    SourceKind.PIPFILE_LOCK,
    SourceKind.PDM_LOCK,
    SourceKind.PYLOCK,
}

_NORMALIZE = re.compile(r"[-_.]+")


@functools.lru_cache(maxsize=1 << 16)
def normalize_name(name: str) -> str:
    """PEP 503 normalisation of a project name (cached: a large lock names each package
    many times)."""
    return _NORMALIZE.sub("-", name).lower()


@dataclass(frozen=True)
class Dependency:
    """One dependency as one file declares or locks it (one line of a requirements file,
    one entry of a lock, one installed distribution).

    Several `Dependency` records for the same package and version become one
    `Component` with every location recorded.
    """

    name: str  # as written
    location: Location
    source: SourceKind
    ecosystem: str = "pypi"  # "pypi" or "conda"
    specifier: str = ""  # PEP 440 specifier as written ("" when none)
    version: str | None = None  # the exact version when pinned (==X / ===X) or locked/installed
    extras: tuple[str, ...] = ()
    marker: str | None = None
    url: str | None = None  # direct reference / VCS / local path, credentials already redacted
    url_kind: str | None = None  # "vcs", "url", "path" or None
    vcs_ref: str | None = None  # the @ref of a VCS URL
    editable: bool = False
    hashes: tuple[Hash, ...] = ()  # distribution hashes: --hash, lock-file artifact hashes
    file_hashes: tuple[Hash, ...] = ()  # digests of the files on disk (not used for packages yet)
    scope: str = "required"  # "required" or "optional" (extras, dev and optional groups)
    group: str | None = None  # extra / dependency group / lock category
    requires: tuple[str, ...] = ()  # normalised names this one depends on (locks, envs)
    # the edges whose exact target version the lock names (uv writes the version of a
    # dependency entry when the lock holds several versions of that package: a fork)
    pinned_requires: tuple[LockedEdge, ...] = ()
    # the lock file or environment whose resolution this record is part of (None for a
    # declaration: the graph builder assigns it to the nearest lock up the tree)
    graph: str | None = None
    licenses: tuple[str, ...] = ()  # SPDX ids, expressions or free text
    direct: bool = True  # declared by the project (False for transitive lock / env entries)
    properties: tuple[tuple[str, str], ...] = ()  # extra facts (e.g. index the lock names)
    raw: str = ""  # the declaration as written (credentials redacted)

    @property
    def key(self) -> str:
        return normalize_name(self.name)


@dataclass(frozen=True, order=True)
class LockedEdge:
    """An edge of a lock's graph: the normalised name of the package depended on and, when
    the lock names it, its exact version."""

    name: str
    version: str | None = None


@dataclass(frozen=True)
class LockProject:
    """A first-party project a lock resolves: uv's root package and its workspace members,
    or the project beside a poetry / pdm / pipenv lock. Its edges are the lock's direct
    dependencies of that project (and, for a workspace, the members it depends on)."""

    name: str
    version: str | None
    folder: str  # the project's folder relative to the scan root ("." for the root)
    lock: str  # the lock file (relative path)
    location: Location
    requires: tuple[LockedEdge, ...] = ()
    member: bool = False  # a uv workspace member, not the workspace's own root


@dataclass(frozen=True)
class IndexOption:
    """An option line in a requirements file (`--index-url`, `--trusted-host`, ...)."""

    option: str  # long form: "--index-url", "--extra-index-url", "--find-links", ...
    value: str  # credentials redacted
    location: Location
    had_credentials: bool = False


@dataclass(frozen=True)
class PickleImport:
    """A global the unpickler would import (module, qualified name) and how it is used."""

    module: str
    name: str
    member: str | None = None  # archive member holding the pickle
    opcode: str = ""  # GLOBAL, STACK_GLOBAL, INST, EXT2, ...
    offset: int | None = None  # byte offset of the opcode in the stream
    called: bool = False  # reached a REDUCE / OBJ / NEWOBJ / INST / BUILD
    invoked: bool = False  # called itself (REDUCE / OBJ / INST), not only cls.__new__ or BUILD
    # each distinct call, its arguments joined by ", ": an imported global's qualname,
    # "<str:name>" (a short identifier string), "<constant>" (other strings, numbers, bytes,
    # None) or "<value>" (anything else: a call result, a list, an object)
    call_args: tuple[str, ...] = ()
    result_called: bool = False  # what a call of it returned was called in turn

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass
class Artifact:
    """A model or data file found by content, with the facts its analyzer read."""

    path: str  # relative to the scan root
    format: str  # "pickle", "pytorch-zip", "safetensors", "gguf", ...
    size: int
    sha256: str | None = None
    kind: ComponentKind = ComponentKind.MODEL
    framework: str | None = None  # "pytorch", "scikit-learn", "keras", "onnx", ...
    pickle_imports: list[PickleImport] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # header facts (tensors, dtypes, metadata)
    issues: list[ArtifactIssue] = field(default_factory=list)  # suspicious facts for checks
    incomplete: list[str] = field(default_factory=list)  # why analysis could not finish
    model_card: dict[str, Any] | None = None  # CycloneDX modelCard JSON (filled from files)
    properties: dict[str, str] = field(default_factory=dict)  # CycloneDX properties, verbatim
    multi_properties: list[tuple[str, str]] = field(default_factory=list)  # repeatable ones
    name: str | None = None  # display name when not the file name (e.g. "org/model")
    version: str | None = None  # e.g. a Hugging Face commit
    purl: str | None = None  # e.g. pkg:huggingface/org/name@<commit>
    parent: str | None = None  # path of the folder artifact this file belongs to
    licenses: list[str] = field(default_factory=list)
    bundle: ModelSignatureBundle | None = None  # a model-signature file, as parsed
    signatures: list[SignatureCheck] = field(default_factory=list)  # verdicts on this model
    mime_type: str | None = None  # IANA media type of a data file
    md5: str | None = None  # when computed for a DVC comparison (DVC records MD5s)
    extra_hashes: list[Hash] = field(default_factory=list)  # recorded identities (DVC md5)
    supplier: str | None = None  # publisher (hub organisation) when known
    data_card: dict[str, Any] | None = None  # CycloneDX componentData JSON for data
    ancestors: list[Lineage] = field(default_factory=list)  # base models it started from
    trained_on: list[str] = field(default_factory=list)  # dataset names / paths (lineage)
    urls: list[str] = field(default_factory=list)  # where it can be downloaded or read about

    @property
    def location(self) -> Location:
        return Location(self.path)


@dataclass(frozen=True, order=True)
class Lineage:
    """A model this one was derived from: a hub id (`org/name`) or a local path, how the
    scan knows (`card base_model`, `adapter_config.json`, `config.json _name_or_path`) and
    the revision when one is pinned."""

    name: str
    source: str
    revision: str | None = None
    relation: str = "base-model"  # "base-model" or "adapter-base"


@dataclass(frozen=True)
class StagePath:
    """A path a pipeline stage reads or writes, with the hash its lock file recorded."""

    path: str
    md5: str | None = None
    is_dir: bool = False
    role: str = "dep"  # "dep", "out", "metrics", "plots", "params"


@dataclass
class PipelineStage:
    """One step of the pipeline that produced a model (a DVC stage, or a script that both
    reads data and writes a model), recorded for CycloneDX `formulation`."""

    name: str
    source: str  # "dvc" or "script"
    location: Location
    commands: list[str] = field(default_factory=list)
    inputs: list[StagePath] = field(default_factory=list)
    outputs: list[StagePath] = field(default_factory=list)
    params: list[tuple[str, str, str]] = field(default_factory=list)  # file, key, value
    locked: bool = False  # a lock file recorded its last run
    stale: list[str] = field(default_factory=list)  # paths whose content differs from the lock


@dataclass(frozen=True)
class ArtifactIssue:
    """A fact an analyzer recorded that some check judges (e.g. a Lambda layer, an ONNX
    external-data path leaving the folder, a chat template reaching for `__globals__`).
    `kind` is a stable short name; `detail` is shown to the user."""

    kind: str
    detail: str
    location: Location
    args: tuple[tuple[str, str], ...] = ()  # structured values for the rule's message

    @property
    def arg_dict(self) -> dict[str, str]:
        return dict(self.args)


@dataclass(frozen=True)
class CodeReference:
    """Something Python source does with a model, a dataset or an unsafe loader."""

    kind: str  # "hub-model", "hub-dataset", "torch-hub", "unsafe-load", "trust-remote-code", ...
    call: str  # the call as written, e.g. "AutoModel.from_pretrained"
    location: Location
    target: str | None = None  # resolved literal (repo id, path), None when dynamic
    revision: str | None = None
    args: tuple[tuple[str, str], ...] = ()  # extra facts for checks


@dataclass(frozen=True)
class Vulnerability:
    id: str
    package: str  # normalised name
    version: str
    aliases: tuple[str, ...] = ()
    fixed_versions: tuple[str, ...] = ()
    description: str = ""
    source: str = ""  # "osv", "pypi", "local:<path>"
    url: str | None = None
    severity: str | None = None  # "critical", "high", "medium", "low" when the advisory rates it
    cvss: str | None = None  # the CVSS vector the severity came from, when there is one


@dataclass(frozen=True)
class ScanError:
    """A file (or part of one) that could not be read or fully analysed.
    A scan with errors is incomplete: nothing it could not read is reported as clean."""

    location: Location
    reason: str


@dataclass(frozen=True)
class Gap:
    """A part of a readable file that was deliberately left out of the inventory because it
    cannot be known without running it (a `setup.py` value computed by code, a notebook cell
    Python itself would refuse to compile, a template file). Not an error: the rest of the
    file is inventoried and the scan stays complete. `reason` names the exact expression."""

    location: Location
    reason: str


@dataclass(frozen=True)
class ProjectInfo:
    """The scanned project's own identity (from pyproject.toml, setup.cfg, setup.py)."""

    name: str
    version: str | None
    location: Location
    licenses: tuple[str, ...] = ()
    description: str | None = None


def outer_project(a: ProjectInfo | None, b: ProjectInfo | None) -> ProjectInfo | None:
    """The scanned project is the one declared closest to the scan root (a nested
    `libs/x/pyproject.toml` is a dependency, not the project), whatever the file order."""
    if a is None or b is None:
        return a if b is None else b
    key_a = (a.location.path.count("/"), a.location.path)
    key_b = (b.location.path.count("/"), b.location.path)
    return a if key_a <= key_b else b


@dataclass
class Collected:
    """What one collector returns for one file: plain facts, no judgement."""

    dependencies: list[Dependency] = field(default_factory=list)
    index_options: list[IndexOption] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    code_refs: list[CodeReference] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    project: ProjectInfo | None = None
    suppressions: list[Suppression] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    pipelines: list[PipelineStage] = field(default_factory=list)
    lock_projects: list[LockProject] = field(default_factory=list)
    projects: list[ProjectInfo] = field(default_factory=list)  # every project, nested ones too

    def extend(self, other: Collected) -> None:
        self.pipelines.extend(other.pipelines)
        self.lock_projects.extend(other.lock_projects)
        if other.project is not None:
            self.projects.append(other.project)
        self.projects.extend(other.projects)
        self.dependencies.extend(other.dependencies)
        self.index_options.extend(other.index_options)
        self.artifacts.extend(other.artifacts)
        self.code_refs.extend(other.code_refs)
        self.errors.extend(other.errors)
        self.gaps.extend(other.gaps)
        self.suppressions.extend(other.suppressions)
        self.project = outer_project(self.project, other.project)


@dataclass(frozen=True)
class Suppression:
    """An inline `# aibom: ignore[RULE-ID] reason` at a file and line."""

    location: Location
    rule_ids: tuple[str, ...]  # empty tuple: every rule on that line
    reason: str = ""


@dataclass
class Component:
    """One entry of the AIBOM: a package at a version (or a model, a data file...) with
    every place it was found."""

    kind: ComponentKind
    name: str
    version: str | None
    purl: str | None
    bom_ref: str
    ecosystem: str | None = None
    scope: str = "required"
    licenses: list[str] = field(default_factory=list)
    hashes: list[Hash] = field(default_factory=list)  # digests of the file on disk
    dist_hashes: list[Hash] = field(default_factory=list)  # distribution-file hashes
    occurrences: list[Location] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    specifiers: list[str] = field(default_factory=list)  # declared specifiers when not exact
    urls: list[str] = field(default_factory=list)  # direct references (redacted)
    model_card: dict[str, Any] | None = None
    description: str | None = None
    multi_properties: list[tuple[str, str]] = field(default_factory=list)  # repeatable ones
    mime_type: str | None = None
    supplier: str | None = None
    data_card: dict[str, Any] | None = None  # CycloneDX componentData JSON
    ancestors: list[str] = field(default_factory=list)  # bom-refs for pedigree.ancestors


@dataclass
class IndexPage:
    """What one package index says about one project (`status` 200 or 404), or why it could
    not say (`error`): files by version (each with its `filename`, `sha256`, PEP 592 `yanked`
    and PEP 700 `upload-time`), every version it lists, the first upload, PEP 792 status."""

    index: str
    name: str
    status: int | None = None
    error: str | None = None
    versions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    all_versions: list[str] = field(default_factory=list)
    first_upload: str | None = None
    project_status: str | None = None


@dataclass
class IndexLookup:
    """What an `--online` scan learnt from the package indexes (`aibom.enrich.index`)."""

    public: str  # the public index URL, normalised
    checked_at: str  # ISO time of the look-up (ages are measured from it)
    pages: dict[str, IndexPage] = field(default_factory=dict)  # by enrich.index.page_key
    unqueried: list[str] = field(default_factory=list)  # index URLs that could not be asked


@dataclass(frozen=True)
class Unaudited:
    """A package that could not be audited exactly for vulnerabilities, and why."""

    package: str  # normalised name
    name: str  # as first written
    reason: str
    locations: tuple[Location, ...]


@dataclass
class AuditResult:
    """What a vulnerability audit (`--audit`, `--vuln-db`) covered (`aibom.enrich.vulns`)."""

    audited: list[str] = field(default_factory=list)  # "name==version" looked up
    unaudited: list[Unaudited] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # which sources answered


@dataclass
class Inventory:
    """Everything a scan found. Checks and outputs read it; nothing re-reads files."""

    roots: tuple[str, ...] = (".",)  # the scanned roots as given (POSIX); renderers join them
    project: ProjectInfo | None = None
    dependencies: list[Dependency] = field(default_factory=list)
    index_options: list[IndexOption] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    code_refs: list[CodeReference] = field(default_factory=list)
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    files_scanned: int = 0
    # extra facts from network look-ups or other enrichers, keyed by what they describe
    index: IndexLookup | None = None  # set by an --online scan
    audit: AuditResult | None = None  # set by --audit / --vuln-db
    pipelines: list[PipelineStage] = field(default_factory=list)
    lock_projects: list[LockProject] = field(default_factory=list)
    projects: list[ProjectInfo] = field(default_factory=list)  # every project, nested ones too

    def add(self, collected: Collected) -> None:
        self.pipelines.extend(collected.pipelines)
        self.lock_projects.extend(collected.lock_projects)
        known = set(self.projects)
        for project in [*collected.projects, collected.project]:
            if project is not None and project not in known:
                known.add(project)
                self.projects.append(project)
        self.dependencies.extend(collected.dependencies)
        self.index_options.extend(collected.index_options)
        self.artifacts.extend(collected.artifacts)
        self.code_refs.extend(collected.code_refs)
        self.errors.extend(collected.errors)
        self.suppressions.extend(collected.suppressions)
        self.gaps.extend(collected.gaps)
        self.project = outer_project(self.project, collected.project)

    @property
    def complete(self) -> bool:
        return not self.errors and not any(a.incomplete for a in self.artifacts)

    @property
    def shown_roots(self) -> str:
        """The roots as one line, for reports."""
        return ", ".join(self.roots)


@dataclass(frozen=True)
class Finding:
    """A rule that fired at a location. Title, severity and wording come from the rule."""

    rule_id: str
    location: Location
    args: tuple[tuple[str, str], ...] = ()  # values for the rule's message template

    @classmethod
    def make(cls, rule_id: str, location: Location, **args: object) -> Finding:
        return cls(rule_id, location, tuple(sorted((k, str(v)) for k, v in args.items())))

    @property
    def arg_dict(self) -> dict[str, str]:
        return dict(self.args)

    @property
    def fingerprint(self) -> str:
        """Stable across line moves: rule, path, member and arguments (not the line)."""
        import hashlib

        loc = self.location
        text = "\x1f".join(
            [self.rule_id, loc.path, loc.member or ""]
            + [f"{k}={v}" for k, v in self.args if k not in _VOLATILE_ARGS]
        )
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


# Arguments that describe a line rather than a finding's identity.
_VOLATILE_ARGS = frozenset({"line"})
