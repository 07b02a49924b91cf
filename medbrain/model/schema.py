"""The JSON half of a checkpoint, as a schema: every key and type is checked on load.

Unknown keys are refused where they would change behaviour (``model``,
``postprocessing``, ``transformer``); free-form metadata (training, validation, ...) may
hold anything JSON. ``integrity`` is ``"sha256"`` (default: the weights' and the frozen
transformer's hashes are required and checked) or ``"user-owned"``: the user's own
checkpoint, loaded without hashes and labelled as unverified in every provenance.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

FORMAT = "medbrain-checkpoint/1"
SHA256 = r"^[0-9a-f]{64}$"
USER_OWNED = "user-owned"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class PostProcessingSpec(_Strict):
    """How region probabilities become labels (see ``model.inference.PostProcessing``)."""

    threshold: float = Field(0.5, gt=0.0, lt=1.0)
    min_et_voxels: int = Field(0, ge=0)
    min_et_component_voxels: int = Field(0, ge=0)
    min_wt_component_voxels: int = Field(0, ge=0)


class ModelSpec(_Strict):
    """Types of :class:`medbrain.model.config.ModelConfig` (its values are checked there)."""

    encoder: str = "resnet18"
    decoder_channels: list[int] = Field(default_factory=lambda: [128, 64, 32, 16, 8], min_length=5, max_length=5)
    head: str = "regions"
    context: int = 1
    transformer: str | None = "all-MiniLM-L6-v2"
    transformer_layers: int | None = Field(None, ge=1)
    pos_grid: int = Field(8, ge=1, le=64)
    fusion_init_zero: bool = True


class TransformerRef(_Strict):
    name: str
    sha256: str = Field(pattern=SHA256)
    frozen: Literal[True] = True


class CheckpointDoc(BaseModel):
    """The checkpoint JSON. Extra top-level keys are free-form metadata."""

    model_config = ConfigDict(extra="allow", strict=True)

    format: Literal["medbrain-checkpoint/1"]
    model: ModelSpec
    transformer: TransformerRef | None = None
    weights_sha256: str | None = Field(None, pattern=SHA256)
    weights_dtype: Literal["float32", "float16", "bfloat16"] | None = None
    float32_tensors: list[str] = Field(default_factory=list)  # kept float32 in a float16 file (norm statistics, overflow)
    postprocessing: PostProcessingSpec = Field(default_factory=PostProcessingSpec)
    integrity: Literal["sha256", "user-owned"] = "sha256"
    preprocessing: dict[str, Any] | None = None
    label_convention: str | None = None
    parameters: dict[str, int] | None = None


def describe_errors(exc: ValidationError) -> str:
    """'where: what (got X)' for each schema violation, joined by '; '."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        got = "" if err["type"] == "missing" else f" (got {err.get('input')!r:.60})"
        parts.append(f"{where}: {err['msg']}{got}")
    return "; ".join(parts)
