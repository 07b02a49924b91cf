"""The agent's tools: LangChain StructuredTools with pydantic argument schemas.

Every tool is a thin wrapper over a :class:`CaseWorkspace` method; results come back as
compact JSON (the facts), errors as a short ``error: ...`` string the model can read.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Literal

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from medbrain.errors import MedBrainError
from medbrain.pipeline.workspace import CaseWorkspace
from medbrain.tools.paths import AllowedRoots

Region = Literal["WT", "TC", "ET"]
Method = Literal["gradcam", "integrated_gradients", "slice", "attention", "shapley"]


class LoadArgs(BaseModel):
    path: str = Field(description="Case folder (BraTS layout) or MSD image file, under an allowed data root.")


class NoArgs(BaseModel):
    pass


class ExplainArgs(BaseModel):
    method: Method = Field(description="Attribution method; 'shapley' = exact per-sequence Shapley values for WT, TC and ET.")
    region: Region = Field("WT", description="Tumour region to explain: WT whole tumour, TC core, ET enhancing.")
    slice_index: int | None = Field(None, description="Axial slice (input array index); default: largest region slice.")


class FactsArgs(BaseModel):
    section: Literal["all", "case", "segmentation", "measurements", "explanations", "comparison", "confidence"] = "all"


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def _safe(fn: Callable[..., Any]) -> Callable[..., str]:
    def run(**kwargs: Any) -> str:
        try:
            return _json(fn(**kwargs))
        except MedBrainError as exc:
            return f"error: {exc}"

    run.__name__ = fn.__name__
    run.__doc__ = fn.__doc__
    return run


def build_tools(workspace: CaseWorkspace, roots: AllowedRoots) -> list[BaseTool]:
    """The tools bound to one workspace; paths are checked against ``roots``."""

    def load_case(path: str) -> dict:
        facts = workspace.load(roots.check(path))
        return {**facts, "warnings": list(workspace.case.warnings)}  # e.g. the sequences missing, and what it costs

    def segment_case() -> dict:
        return workspace.segment()

    def measure_tumour() -> dict:
        return workspace.measure()

    def explain(method: str, region: str = "WT", slice_index: int | None = None) -> dict:
        return workspace.explain(method, region, slice_index)

    def compare_methods() -> dict:
        return workspace.compare()

    def assess_confidence() -> dict:
        return workspace.confidence()

    def get_facts(section: str = "all") -> dict:
        return workspace.facts if section == "all" else workspace.facts.get(section, {})

    specs = [
        (load_case, LoadArgs, "Load an MRI case (t1, t1ce, t2, flair; a missing one is reported) for analysis."),
        (segment_case, NoArgs, "Segment the loaded case; returns settings and Dice vs truth when present."),
        (measure_tumour, NoArgs, "Volumes (mL), lesions, largest slice, diameters, side, midline, atlas location."),
        (explain, ExplainArgs, "Attribution map of one method on one axial slice; returns its numbers."),
        (compare_methods, NoArgs, "Compare all attribution maps of the current slice: agreement at a common resolution, "
                                   "localisation against truth, deletion/insertion faithfulness against random and probability controls."),
        (assess_confidence, NoArgs, "Model confidence per region (probability, uncertainty, flip agreement, likely "
                                     "under-segmentation) and a heuristic level."),
        (get_facts, FactsArgs, "Every fact established so far (or one section of them)."),
    ]
    return [StructuredTool.from_function(func=_safe(fn), name=fn.__name__, description=desc, args_schema=schema)
            for fn, schema, desc in specs]
