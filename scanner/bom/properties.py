"""Every property name the AIBOM carries, once: `aibom:*` for aibom's own facts, `cdx:*` from
the CycloneDX property taxonomies (`cdx:ai-ml`, `cdx:python`, `cdx:reproducible`).

docs/aibom-fields.md documents exactly these names and families, and every `aibom:`/`cdx:`
name in the code is one of them (tests/bom/test_properties.py checks both). Add a new
property here first, then in the docs.
"""

from __future__ import annotations

# aibom: general
ANALYSIS = "aibom:analysis"
BASE_MODEL = "aibom:base-model"
BASE_OF = "aibom:base-of"
CODE_CALL = "aibom:code-call"
DTYPES = "aibom:dtypes"
ENTRYPOINT = "aibom:entrypoint"
FINGERPRINT = "aibom:fingerprint"
FIXED_VERSION = "aibom:fixed-version"
FORMAT = "aibom:format"
FRAMEWORK = "aibom:framework"
GRAPH = "aibom:graph"
GROUP = "aibom:group"
INCOMPLETE = "aibom:incomplete"
INDEX = "aibom:index"
INSTALLER = "aibom:installer"
LFS_POINTER = "aibom:lfs-pointer"
LINEAGE_SOURCE = "aibom:lineage-source"
LOCAL_PATH = "aibom:local-path"
LOCATION = "aibom:location"
MARKER = "aibom:marker"
METADATA = "aibom:metadata"
METRIC = "aibom:metric"
ORIGIN = "aibom:origin"
PACKAGE = "aibom:package"
PACKAGE_INDEX = "aibom:package-index"
PARAM = "aibom:param"
PARAMETER_COUNT = "aibom:parameter-count"
PATH = "aibom:path"
PYTHON_DIST = "aibom:python-dist"
PICKLE = "aibom:pickle"
RECORD = "aibom:record"
REVISION = "aibom:revision"
RULE_SLUG = "aibom:rule-slug"
SHARD_OF = "aibom:shard-of"
SIZE = "aibom:size"
SOURCE = "aibom:source"
SPECIFIER = "aibom:specifier"
SUBDIRECTORY = "aibom:subdirectory"
TENSORS = "aibom:tensors"
URL = "aibom:url"
URL_KIND = "aibom:url-kind"
VCS_REF = "aibom:vcs-ref"
VULN_DATABASE = "aibom:vuln-database"

# aibom:data:*
DATA_COLUMN_COUNT = "aibom:data:column-count"
DATA_COLUMNS = "aibom:data:columns"
DATA_CREATED_BY = "aibom:data:created-by"
DATA_DIGEST = "aibom:data:digest"
DATA_EXTENSIONS = "aibom:data:extensions"
DATA_FILE_COUNT = "aibom:data:file-count"
DATA_HEADER = "aibom:data:header"
DATA_RECORD_BATCHES = "aibom:data:record-batches"
DATA_ROWS = "aibom:data:rows"

# aibom:dataset:*
DATASET_CARD = "aibom:dataset:card"

# aibom:dvc:*
DVC_DESC = "aibom:dvc:desc"
DVC_DIR_MD5 = "aibom:dvc:dir-md5"
DVC_ETAG = "aibom:dvc:etag"
DVC_IMPORT_REV = "aibom:dvc:import-rev"
DVC_IMPORT_URL = "aibom:dvc:import-url"
DVC_IN_WORKSPACE = "aibom:dvc:in-workspace"
DVC_MD5 = "aibom:dvc:md5"
DVC_REMOTE = "aibom:dvc:remote"
DVC_TRACKED = "aibom:dvc:tracked"
DVC_TRACKED_BY = "aibom:dvc:tracked-by"

# aibom:gguf:*
GGUF_ARCHITECTURE = "aibom:gguf:architecture"
GGUF_NAME = "aibom:gguf:name"

# aibom:hash:*
HASH_UNRECOGNISED = "aibom:hash:unrecognised"

# aibom:hf:*
HF_ARCHITECTURES = "aibom:hf:architectures"
HF_MODEL_TYPE = "aibom:hf:model_type"
HF_NAME_OR_PATH = "aibom:hf:name-or-path"
HF_NAME_SOURCE = "aibom:hf:name-source"
HF_PYTHON_IMPORTS = "aibom:hf:python-imports"
HF_TORCH_DTYPE = "aibom:hf:torch_dtype"
HF_TRANSFORMERS_VERSION = "aibom:hf:transformers_version"
HF_TRUST_REMOTE_CODE = "aibom:hf:trust-remote-code"

# aibom:keras:*
KERAS_VERSION = "aibom:keras:version"
KERAS_WEIGHTS_NOT_CHECKED = "aibom:keras:weights-not-checked"

# aibom:lock:*
LOCK_CONTENT_HASH = "aibom:lock:content-hash"
LOCK_CONTENT_HASH_MATCHES = "aibom:lock:content-hash-matches"
LOCK_MANIFEST = "aibom:lock:manifest"
LOCK_SOURCE = "aibom:lock:source"

# aibom:numpy:*
NUMPY_DTYPE = "aibom:numpy:dtype"
NUMPY_SHAPE = "aibom:numpy:shape"

# aibom:onnx:*
ONNX_OPSETS = "aibom:onnx:opsets"
ONNX_PRODUCER = "aibom:onnx:producer"

# aibom:peft:*
PEFT_TYPE = "aibom:peft:type"

# aibom:pickle:*
PICKLE_GLOBAL = "aibom:pickle:global"
PICKLE_GLOBAL_COUNT = "aibom:pickle:global-count"
PICKLE_PROTOCOL = "aibom:pickle:protocol"

# aibom:pipeline:*
PIPELINE_HASHED = "aibom:pipeline:hashed"
PIPELINE_ROLE = "aibom:pipeline:role"

# aibom:pytorch:*
PYTORCH_ARCHIVE_VERSION = "aibom:pytorch:archive-version"
PYTORCH_BYTEORDER = "aibom:pytorch:byteorder"
PYTORCH_DATA_VERSION = "aibom:pytorch:data-version"
PYTORCH_FORMAT_VERSION = "aibom:pytorch:format-version"

# aibom:record:*
RECORD_FILES = "aibom:record:files"

# aibom:safetensors:*
SAFETENSORS_FORMAT = "aibom:safetensors:format"

# aibom:scan:*
SCAN_COMPLETE = "aibom:scan:complete"
SCAN_ERROR = "aibom:scan:error"

# aibom:signature:*
SIGNATURE_BUNDLE = "aibom:signature:bundle"
SIGNATURE_CHANGED_FILE = "aibom:signature:changed-file"
SIGNATURE_ISSUER = "aibom:signature:issuer"
SIGNATURE_KEY_FINGERPRINT = "aibom:signature:key-fingerprint"
SIGNATURE_METHOD = "aibom:signature:method"
SIGNATURE_MISSING_FILE = "aibom:signature:missing-file"
SIGNATURE_REASON = "aibom:signature:reason"
SIGNATURE_SIGNED_FILE = "aibom:signature:signed-file"
SIGNATURE_SIGNER = "aibom:signature:signer"
SIGNATURE_SIGNS = "aibom:signature:signs"
SIGNATURE_STATUS = "aibom:signature:status"
SIGNATURE_UNCOVERED_FILE = "aibom:signature:uncovered-file"

# aibom:stage:*
STAGE_INPUT = "aibom:stage:input"
STAGE_LINE = "aibom:stage:line"
STAGE_LOCKED = "aibom:stage:locked"
STAGE_OUTPUT = "aibom:stage:output"
STAGE_SOURCE = "aibom:stage:source"
STAGE_STALE = "aibom:stage:stale"

# CycloneDX taxonomies
CDX_AI_ML_MODEL_HYPERPARAMETER_QUANTIZATION = "cdx:ai-ml:model:hyperparameter:quantization"
CDX_AI_ML_MODEL_HYPERPARAMETER_VOCAB_SIZE = "cdx:ai-ml:model:hyperparameter:vocab_size"
CDX_AI_ML_MODEL_LANGUAGE = "cdx:ai-ml:model:language"
CDX_AI_ML_MODEL_PARAMETER_COUNT = "cdx:ai-ml:model:parameter:count"
CDX_AI_ML_MODEL_PARAMETER_TUNE_METHOD = "cdx:ai-ml:model:parameter:tune_method"
CDX_AI_ML_MODEL_TOKENIZER = "cdx:ai-ml:model:tokenizer"
CDX_AI_ML_TOKENIZER_HYPERPARAMETER_CHAT_TEMPLATE = (
    "cdx:ai-ml:tokenizer:hyperparameter:chat_template"
)
CDX_PYTHON_PACKAGE_REQUIRED_EXTRA = "cdx:python:package:required-extra"
CDX_PYTHON_PACKAGE_SOURCE_LOCAL_EDITABLE = "cdx:python:package:source:local:editable"
CDX_REPRODUCIBLE = "cdx:reproducible"

# families: one documented prefix, the rest of the name comes from the data
CARD_PREFIX = "aibom:card:"  # model-card facts with no CycloneDX field (aibom:card:<key>)
DATASET_CARD_PREFIX = "aibom:dataset:"  # dataset-card front matter (aibom:dataset:<key>)
MODEL_HYPERPARAMETER_PREFIX = "cdx:ai-ml:model:hyperparameter:"
TOKENIZER_HYPERPARAMETER_PREFIX = "cdx:ai-ml:tokenizer:hyperparameter:"
FAMILIES = (
    CARD_PREFIX,
    DATASET_CARD_PREFIX,
    MODEL_HYPERPARAMETER_PREFIX,
    TOKENIZER_HYPERPARAMETER_PREFIX,
)

NAMES = frozenset(
    value
    for key, value in dict(globals()).items()
    if key.isupper() and isinstance(value, str) and not key.endswith("_PREFIX")
)
