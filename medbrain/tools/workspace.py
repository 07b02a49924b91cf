"""One case under analysis: the model, the loaded case and every tool result so far.

The LangGraph nodes, the chat tools and `medbrain explain` all call these methods, so a
fact means the same thing wherever it appears. ``facts`` is JSON-ready; ``maps`` holds
the 2-D attribution maps for figures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from nibabel import aff2axcodes

from medbrain.data.labels import region_masks
from medbrain.data.loading import Case, load_case
from medbrain.data.preprocessing import Preprocessed, preprocess
from medbrain.errors import MedBrainError
from medbrain.model.checkpoint import Checkpoint
from medbrain.model.inference import PostProcessing, Prediction, logits_to_region_probs, segment_preprocessed
from medbrain.tools.attention import attention as attention_tool
from medbrain.tools.compare_methods import compare_methods
from medbrain.tools.confidence import assess_confidence
from medbrain.tools.gradcam import gradcam as gradcam_tool
from medbrain.tools.integrated_gradients import integrated_gradients as ig_tool
from medbrain.tools.measure import measure_tumour
from medbrain.tools.slice_input import make_slice_input
from medbrain.tools.slice_lime import slice_lime as slice_tool
from medbrain.tools.toollog import ToolLog
from medbrain.train.metrics import dice

METHODS = ("gradcam", "integrated_gradients", "slice", "attention")
REGION_INDEX = {"WT": 0, "TC": 1, "ET": 2}


class NotReadyError(MedBrainError):
    """A tool needs an earlier step (load, segment) first."""


class CaseWorkspace:
    """Holds one case and runs the tools on it, logging each call."""

    def __init__(self, checkpoint: Checkpoint, *, device: str = "cpu", tta: bool = True, seed: int = 0,
                 log: ToolLog | None = None, synthetic: bool = False,
                 method_settings: dict[str, dict[str, Any]] | None = None, deletion_steps: int = 20):
        self.checkpoint = checkpoint
        self.model = checkpoint.model
        self.device = device
        self.tta = tta
        self.seed = seed
        self.log = log or ToolLog()
        self.synthetic = synthetic
        self.method_settings = method_settings or {}
        self.deletion_steps = deletion_steps
        self.case_path: Path | None = None
        self._compared: tuple | None = None
        self.case: Case | None = None
        self.prep: Preprocessed | None = None
        self.prediction: Prediction | None = None
        self.facts: dict[str, Any] = {}
        self.maps: dict[str, np.ndarray] = {}
        self.explained: tuple[str, int] | None = None  # (region, cropped z) of the maps

    def fresh(self) -> "CaseWorkspace":
        """A new, empty workspace sharing this one's model and settings (one per case)."""
        return CaseWorkspace(self.checkpoint, device=self.device, tta=self.tta, seed=self.seed,
                             synthetic=self.synthetic, method_settings=self.method_settings,
                             deletion_steps=self.deletion_steps)

    # ------------------------------------------------------------------ helpers
    def _need(self, what: str) -> None:
        if what == "case" and self.case is None:
            raise NotReadyError("No case is loaded: load a case first.")
        if what == "prediction" and self.prediction is None:
            raise NotReadyError("The case is not segmented yet: run segment first.")

    def full_z(self, z_crop: int) -> int:
        return int(z_crop + self.prep.box.slices[2].start)

    def crop_z(self, z_full: int) -> int:
        z = int(z_full - self.prep.box.slices[2].start)
        if not 0 <= z < self.prep.images.shape[-1]:
            raise MedBrainError(f"Slice {z_full} is outside the brain (slices "
                                f"{self.full_z(0)}..{self.full_z(self.prep.images.shape[-1] - 1)}).")
        return z

    # ------------------------------------------------------------------ tools
    def load(self, path: str | Path) -> dict[str, Any]:
        """Load a case; loading the case already held keeps its results (no recomputation)."""
        resolved = Path(path).expanduser().resolve()
        if self.case is not None and resolved == self.case_path:
            self.facts["case"]["synthetic"] = self.synthetic
            return self.facts["case"]
        with self.log.call("load", path=str(path)) as out:
            self.case = load_case(path)
            self.case_path = resolved
            self._compared = None
            self.prep = preprocess(self.case)
            self.prediction = None
            self.maps, self.explained = {}, None
            self.facts = {"case": {
                "case_id": self.case.case_id,
                "synthetic": self.synthetic,
                "has_ground_truth": self.case.label is not None,
                "shape": list(self.case.shape),
                "spacing_mm": [round(float(s), 3) for s in self.case.spacing],
                "orientation": "".join(aff2axcodes(self.case.affine)),
                "label_convention": self.case.files.convention.value,
            }}
            out["summary"] = f"{self.case.case_id} {self.case.shape}"
        return self.facts["case"]

    def segment(self) -> dict[str, Any]:
        self._need("case")
        if self.prediction is not None:
            return self.facts["segmentation"]
        with self.log.call("segment", tta=self.tta) as out:
            post = PostProcessing(**self.checkpoint.metadata.get("postprocessing", {}))
            self.prediction = segment_preprocessed(self.model, self.prep, post=post, tta=self.tta, device=self.device)
            seg: dict[str, Any] = {"checkpoint_sha256": self.checkpoint.sha256, **self.prediction.settings}
            if self.case.label is not None:
                pred, truth = region_masks(self.prediction.label), region_masks(self.case.label)
                seg["scores_vs_truth"] = {r: round(dice(pred[r], truth[r]), 3) for r in ("WT", "TC", "ET")}
            self.facts["segmentation"] = seg
            out["summary"] = f"{int((self.prediction.label > 0).sum())} tumour voxels"
        return seg

    def measure(self) -> dict[str, Any]:
        self._need("prediction")
        with self.log.call("measure") as out:
            brain = self.case.images.max(axis=0) != 0
            result = measure_tumour(self.prediction.label, self.case.affine, brain_mask=brain).to_dict()
            self.facts["measurements"] = result
            out["summary"] = f"WT {result['volumes_ml'].get('WT')} mL, side {result['side']['side']}"
        return result

    def default_slice(self, region: str = "WT") -> int:
        """Full-array index of the axial slice with the largest predicted ``region`` area."""
        self._need("prediction")
        mask = region_masks(self.prediction.cropped(self.prediction.label))[region]
        areas = mask.sum(axis=(0, 1))
        if areas.max() == 0:
            raise MedBrainError(f"No {region} was predicted in this case: there is nothing to explain.")
        return self.full_z(int(np.argmax(areas)))

    def explain(self, method: str, region: str = "WT", slice_index: int | None = None, **settings: Any) -> dict[str, Any]:
        """Run one attribution method on one axial slice (default: largest region slice)."""
        self._need("prediction")
        if method not in METHODS:
            raise MedBrainError(f"Unknown explanation method {method!r}; choose one of {', '.join(METHODS)}.")
        z_full = self.default_slice(region) if slice_index is None else int(slice_index)
        z = self.crop_z(z_full)
        if self.explained != (region, z):
            self.maps, self.explained = {}, (region, z)
            self.facts.pop("comparison", None)
            self.facts["explanations"] = {"region": region, "slice_index": z_full}
        inp = make_slice_input(self.prep.images, z, self.model.config.context, self.prep.mask)
        inp.tensor = inp.tensor.to(self.device)
        fn = {"gradcam": gradcam_tool, "integrated_gradients": ig_tool, "slice": slice_tool, "attention": attention_tool}[method]
        settings = {**self.method_settings.get(method, {}), **settings}
        if method == "slice":
            settings.setdefault("seed", self.seed)
        known = self.facts["explanations"].get(method)
        if method in self.maps and known and known.get("settings_requested") == settings:
            return known
        with self.log.call(method, region=region, slice_index=z_full, **settings) as out:
            result = fn(self.model, inp, region, **settings)
            self.maps[method] = result.map
            d = result.to_dict()
            d["slice_index"] = z_full
            d["settings_requested"] = dict(settings)
            d.pop("z", None)
            self.facts["explanations"][method] = d
            out["summary"] = f"{method} on slice {z_full} in {d.get('seconds')} s"
        return d

    def _region_predictor(self, z: int, region: str) -> Callable[[np.ndarray], float]:
        """predict(image (C, X, Y)) -> summed region probability over the fixed predicted region."""
        inp = make_slice_input(self.prep.images, z, self.model.config.context, self.prep.mask)
        region_mask = region_masks(self.prediction.cropped(self.prediction.label)[:, :, z])[region]
        mask_t = torch.from_numpy(inp.pad_map(region_mask)).to(self.device)

        @torch.no_grad()
        def predict(image: np.ndarray) -> float:
            x = torch.from_numpy(inp.pad_map(image.astype(np.float32)))[None].to(self.device)
            probs = logits_to_region_probs(self.model(x).float(), self.model.config.head)[0, REGION_INDEX[region]]
            return float((probs * mask_t).sum())

        return predict

    def compare(self, *, deletion: bool = True) -> dict[str, Any]:
        """Compare every attribution map computed on the current slice and region."""
        if not self.maps or self.explained is None:
            raise NotReadyError("No explanation maps yet: run the explanation methods first.")
        region, z = self.explained
        key = (region, z, tuple(sorted(self.maps)), deletion)
        if self._compared == key and "comparison" in self.facts:
            return self.facts["comparison"]
        with self.log.call("compare_methods", region=region, methods=sorted(self.maps)) as out:
            region_mask = region_masks(self.prediction.cropped(self.prediction.label)[:, :, z])[region]
            kwargs: dict[str, Any] = {}
            if deletion:
                inp = make_slice_input(self.prep.images, z, self.model.config.context, self.prep.mask)
                kwargs = {"predict": self._region_predictor(z, region), "image": inp.unpad(inp.tensor[0]).copy()}
            result = compare_methods(self.maps, region_mask, within=self.prep.mask[:, :, z],
                                     deletion_steps=self.deletion_steps, **kwargs).to_dict()
            self.facts["comparison"] = result
            self._compared = key
            out["summary"] = f"most agreeing {result.get('most_agreeing_pair')}"
        return result

    def confidence(self) -> dict[str, Any]:
        self._need("prediction")
        with self.log.call("confidence") as out:
            pred = self.prediction
            probs = pred.cropped(pred.region_probs)
            agreement = (self.facts.get("comparison") or {}).get("mean_pairwise_spearman")
            result = assess_confidence(probs, pred.cropped(pred.label), tta_probs=pred.variants or None,
                                       method_agreement=agreement).to_dict()
            self.facts["confidence"] = result
            out["summary"] = f"level {result['level']}"
        return result

    def analyse(self, methods: tuple[str, ...] = METHODS, region: str = "WT") -> dict[str, Any]:
        """The fixed path: segment, measure, explain with every method, compare, confidence."""
        self.segment()
        self.measure()
        if float(self.facts["measurements"]["volumes_ml"].get(region, 0.0)) > 0:
            z = self.default_slice(region)
            for method in methods:
                if method == "attention" and self.model.bottleneck is None:
                    continue
                self.explain(method, region, z)
            self.compare()
        self.confidence()
        return self.facts

    def montage(self, out_path: str | Path) -> Path:
        """The case/region montage: MRI, truth, prediction, every heat map."""
        from medbrain.report.figures import montage

        if self.explained is None:
            raise NotReadyError("No explanation maps yet: run the explanation methods first.")
        region, z = self.explained
        flair = self.prep.images[3, :, :, z]
        truth = None if self.case.label is None else self.prediction.cropped(self.case.label)[:, :, z]
        pred = self.prediction.cropped(self.prediction.label)[:, :, z]
        title = f"{self.case.case_id} — {region}, axial slice {self.full_z(z)}"
        first_axis = aff2axcodes(self.case.affine)[0]  # where the array's first axis points
        opposite = {"L": "R", "R": "L"}
        sides = (opposite[first_axis], first_axis) if first_axis in opposite else None
        with self.log.call("figure", region=region, slice_index=self.full_z(z)) as out:
            path = montage(flair, truth, pred, self.maps, title, out_path, image_name="FLAIR", sides=sides)
            out["summary"] = str(path)
        return path
