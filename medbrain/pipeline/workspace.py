"""One case under analysis: the model, the loaded case and every tool result so far.

The LangGraph nodes, the chat tools and `medbrain explain` all call these methods, so a
fact means the same thing wherever it appears. ``facts`` is JSON-ready; ``maps`` holds
the 2-D attribution maps for figures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from nibabel import aff2axcodes

from medbrain.data.discovery import MODALITIES, CaseFiles, resolve_case
from medbrain.data.loading import Case, load_case
from medbrain.data.preprocessing import Preprocessed, preprocess, uncrop
from medbrain.errors import MedBrainError
from medbrain.facts import ANALYSIS_METHODS, SEQUENCE_NAMES
from medbrain.labels import region_masks
from medbrain.metrics import dice
from medbrain.model.checkpoint import Checkpoint
from medbrain.model.expected_accuracy import warnings_with_accuracy
from medbrain.model.inference import (DEFAULT_SLICE_MODE, PostProcessing, Prediction, SliceSchedule, resolve_precision,
                                      segment_preprocessed)
from medbrain.pipeline.case_facts import case_facts
from medbrain.pipeline.toollog import ToolLog
from medbrain.tools.base import REGIONS
from medbrain.tools.budget import budget_note, budget_settings
from medbrain.tools.compare_methods import compare_methods
from medbrain.tools.confidence import assess_confidence
from medbrain.tools.evaluation import common_cells, evaluate_slice, evaluation_slices, run_method, slice_record
from medbrain.tools.faithfulness import faithfulness
from medbrain.tools.measure import measure_tumour
from medbrain.tools.method_ranking import rank_methods
from medbrain.tools.mirror_consistency import SEED_FREE, method_consistency, mirror_consistency
from medbrain.tools.randomisation import cascading_randomisation
from medbrain.tools.shapley import sequence_shapley
from medbrain.tools.slice_input import SliceInput, Target, build_target, make_slice_input
from medbrain.tools.slice_stability import slice_consistency

METHODS = ANALYSIS_METHODS
REGION_INDEX = {"WT": 0, "TC": 1, "ET": 2}
# Each method runs 1 + 4 times in the cascade (1 + 1 in the fast budget's last-stage check): cheap, fixed settings (the same
# settings for the intact model's map, so only the weights change).
RANDOMISATION_SETTINGS = {"integrated_gradients": {"n_steps": 16, "max_steps": 16},
                          "slice": {"num_samples": 32, "max_steps": 1, "n_bootstrap": 100, "sigmas": (0.0,)}}


class NotReadyError(MedBrainError):
    """A tool needs an earlier step (load, segment) first."""


class CaseWorkspace:
    """Holds one case and runs the tools on it, logging each call."""

    def __init__(self, checkpoint: Checkpoint, *, device: str = "cpu", tta: bool = True, seed: int = 0,
                 log: ToolLog | None = None, synthetic: bool = False,
                 method_settings: dict[str, dict[str, Any]] | None = None, deletion_steps: int = 20,
                 budget: str = "fast", slices: SliceSchedule | None = None, require_all: bool = False):
        self.checkpoint = checkpoint
        self.require_all = require_all  # refuse a case without all four sequences (--require-all)
        self.model = checkpoint.model
        self.device = device
        self.tta = tta
        self.slices = slices or SliceSchedule(DEFAULT_SLICE_MODE)
        self.seed = seed
        self.log = log or ToolLog()
        self.synthetic = synthetic
        self.method_settings = method_settings or {}
        self.deletion_steps = deletion_steps  # legacy; the curves' steps come from the budget
        self.budget = budget
        self.plan = budget_settings(budget)
        # the no-gradient scoring passes (SLICE, deletion/insertion curves) in bf16 where it is native
        self.scoring_precision = resolve_precision("auto", device)
        self.plan["slice"]["precision"] = self.scoring_precision
        self.plan["faithfulness"]["precision"] = self.scoring_precision
        self.randomisation_settings = {k: dict(v) for k, v in RANDOMISATION_SETTINGS.items()}
        self.case_path: Path | None = None
        self._compared: tuple | None = None
        self.case: Case | None = None
        self.prep: Preprocessed | None = None
        self.prediction: Prediction | None = None
        self.facts: dict[str, Any] = {}
        self.maps: dict[str, np.ndarray] = {}
        self.explained: tuple[str, int] | None = None  # (region, cropped z) of the maps
        self._targets: dict[tuple[str, int], tuple[SliceInput, Target]] = {}
        self._segments: np.ndarray | None = None  # SLICE's superpixels of the explained slice

    def fresh(self) -> "CaseWorkspace":
        """A new, empty workspace sharing this one's model and settings (one per case)."""
        return CaseWorkspace(self.checkpoint, device=self.device, tta=self.tta, seed=self.seed,
                             synthetic=self.synthetic, method_settings=self.method_settings,
                             deletion_steps=self.deletion_steps, budget=self.budget, slices=self.slices,
                             log=ToolLog(None, self.log.listener), require_all=self.require_all)

    def settings_for(self, method: str) -> dict[str, Any]:
        """The budget's settings for ``method`` with this workspace's overrides on top."""
        return {**self.plan.get(method, {}), **self.method_settings.get(method, {})}

    def _budget_facts(self) -> dict[str, Any]:
        note = budget_note(self.budget)
        return {"budget": self.budget, **({"budget_note": note} if note else {})}

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

    def target(self, region: str, z: int) -> tuple[SliceInput, Target]:
        """The one explained quantity of (region, cropped slice z), built once and shared."""
        key = (region, int(z))
        if key not in self._targets:
            inp = make_slice_input(self.prep.images, z, self.model.config.context, self.prep.mask)
            inp.tensor = inp.tensor.to(self.device)
            self._targets[key] = (inp, build_target(self.model, inp, region))
        return self._targets[key]

    def truth_slice(self, region: str, z: int) -> np.ndarray | None:
        """The ground truth of ``region`` on cropped slice ``z`` (None without truth)."""
        if self.case is None or self.case.label is None:
            return None
        return region_masks(self.prediction.cropped(self.case.label)[:, :, z])[region]

    def _region_volume(self, region: str) -> np.ndarray:
        return region_masks(self.prediction.cropped(self.prediction.label))[region]

    # ------------------------------------------------------------------ tools
    def load(self, path: str | Path, files: CaseFiles | None = None) -> dict[str, Any]:
        """Load a case; loading the case already held keeps its results (no recomputation).

        A new case starts a new tool log (``self.log``), so a report of it lists only its
        own calls. A failed load changes nothing: the case held before stays, with its log.
        """
        resolved = Path(path).expanduser().resolve()
        if self.case is not None and resolved == self.case_path:
            self.facts["case"]["synthetic"] = self.synthetic
            return self.facts["case"]
        log = ToolLog(self.log.path, self.log.listener)
        with log.call("load", path=str(path)) as out:
            files = files or resolve_case(path, allow_missing=True)
            case = load_case(files.require_all() if self.require_all else files)
            prep = preprocess(case)
            out["summary"] = f"{case.case_id} {case.shape}"
        self.case, self.case_path, self.prep = case, resolved, prep
        self._compared = None
        self.prediction = None
        self.maps, self.explained = {}, None
        self._targets, self._segments = {}, None
        self.facts = {"case": case_facts(case, synthetic=self.synthetic, metadata=self.checkpoint.metadata)}
        case.warnings[:] = warnings_with_accuracy(case.warnings, self.checkpoint.metadata, case.sequences,
                                                  case.files.missing)
        self.log = log
        return self.facts["case"]

    def segment(self) -> dict[str, Any]:
        self._need("case")
        if self.prediction is not None:
            return self.facts["segmentation"]
        with self.log.call("segment", tta=self.tta) as out:
            post = PostProcessing(**self.checkpoint.metadata.get("postprocessing", {}))
            self.prediction = segment_preprocessed(self.model, self.prep, post=post, tta=self.tta, device=self.device,
                                                   schedule=self.slices,
                                                   on_slices=lambda done, total: self.log.step("segment", done, total))
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
            brain = uncrop(self.prep.mask, self.prep.box)  # the load's brain mask (False outside its box)
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
        """Run one explanation method on one axial slice (default: largest region slice).

        Map methods share the slice's one target (:meth:`target`); ``shapley`` gives the
        exact per-sequence Shapley values of every region (no map).
        """
        self._need("prediction")
        if method not in METHODS:
            raise MedBrainError(f"Unknown explanation method {method!r}; choose one of {', '.join(METHODS)}.")
        z_full = self.default_slice(region) if slice_index is None else int(slice_index)
        z = self.crop_z(z_full)
        if self.explained != (region, z):
            self.maps, self.explained, self._segments = {}, (region, z), None
            self.facts.pop("comparison", None)
            self.facts["explanations"] = {"region": region, "slice_index": z_full, **self._budget_facts()}
        settings = {**self.settings_for(method), **settings}
        if method == "slice":
            settings.setdefault("seed", self.seed)
        known = self.facts["explanations"].get(method)
        if known and known.get("settings_requested") == settings and (method in self.maps or method == "shapley"):
            return known
        if method == "shapley":
            return self._shapley(region, z, settings)
        inp, target = self.target(region, z)
        mask = inp.unpad(target.mask.cpu().numpy())
        with self.log.call(method, region=region, slice_index=z_full, budget=self.budget, **settings) as out:
            result = run_method(self.model, inp, region, method, settings, mask)
            consistency = None
            if method == "slice":
                self._segments = result.segments
                consistency = self._slice_consistency(inp, region, settings, mask, result)
            d = result.to_dict()
            if consistency is not None:
                d["consistency"] = consistency
            self.maps[method] = result.map
            d["slice_index"] = z_full
            d["settings_requested"] = dict(settings)
            d["budget"] = self.budget
            d.pop("z", None)
            self.facts["explanations"][method] = d
            out["summary"] = f"{method} on slice {z_full} in {d.get('seconds')} s"
        return d

    def _slice_consistency(self, inp: SliceInput, region: str, settings: dict[str, Any], mask: np.ndarray,
                           first: Any) -> dict[str, Any]:
        """SLICE re-run with independent seeds (the budget's ``slice_seeds``), compared."""
        runs = [first]
        for k in range(1, int(self.plan.get("slice_seeds", 1))):
            runs.append(run_method(self.model, inp, region, "slice", {**settings, "seed": settings["seed"] + k}, mask))
        c = slice_consistency(runs)
        stability = first.stability
        stability["consistent"] = c["consistent"]
        stability["reliable"] = bool(stability["reliable"] and c["consistent"] is not False)
        return c

    def _shapley(self, region: str, z: int, settings: dict[str, Any]) -> dict[str, Any]:
        """Exact per-sequence Shapley values of WT, TC and ET (facts: explanations.shapley)."""
        inp, target = self.target(region, z)
        zs = [z]
        for r in REGIONS:
            vol = self._region_volume(r)
            if vol.any() and not vol[:, :, z].any():
                zs.append(int(np.argmax(vol.sum(axis=(0, 1)))))
        n = int(self.plan.get("shapley_slices", 1))
        if n > 1:
            zs += evaluation_slices(self._region_volume(region), z, n)[1:]
        zs = list(dict.fromkeys(zs))
        inputs = []
        for zk in zs:
            ik = make_slice_input(self.prep.images, zk, self.model.config.context, self.prep.mask)
            ik.tensor, ik.z = ik.tensor.to(self.device), self.full_z(zk)
            inputs.append(ik)
        masks = {region: [inp.unpad(target.mask.cpu().numpy())] + [None] * (len(zs) - 1)}
        with self.log.call("shapley", region=region, slice_index=self.full_z(z), slices=len(zs), budget=self.budget) as out:
            res = sequence_shapley(self.model, inputs, REGIONS, masks=masks,
                                   batch_size=int(settings.get("batch_size", 16)))
            d = res.to_dict()
            d["slice_index"] = self.full_z(z)
            d["settings_requested"] = dict(settings)
            d["budget"] = self.budget
            self.facts["explanations"]["shapley"] = d
            out["summary"] = ", ".join(f"{r} {v['dominant_sequence']}" for r, v in d["regions"].items())
        return d

    def compare(self, *, deletion: bool = True) -> dict[str, Any]:
        """Compare every map on the current slice and region; rank them over the budget's slices."""
        if not self.maps or self.explained is None:
            raise NotReadyError("No explanation maps yet: run the explanation methods first.")
        region, z = self.explained
        key = (region, z, tuple(sorted(self.maps)), deletion)
        if self._compared == key and "comparison" in self.facts:
            return self.facts["comparison"]
        with self.log.call("compare_methods", region=region, methods=sorted(self.maps), budget=self.budget) as out:
            inp, target = self.target(region, z)
            region_mask = inp.unpad(target.mask.cpu().numpy())
            brain = self.prep.mask[:, :, z]
            cells = common_cells(inp, self._segments)
            truth = self.truth_slice(region, z)
            faith = ranking = None
            if deletion:
                fs = self.plan["faithfulness"]
                faith = faithfulness(target, inp, self.maps, seed=self.seed, **fs)
                records = [slice_record(self.full_z(z), target, inp, self.maps, truth, faith, self.seed)]
                records += self._extra_records(region, z, fs)
                ranking = rank_methods(records, list(faith.random), seed=self.seed)
            result = compare_methods(self.maps, region_mask, within=brain, cells=cells, truth=truth,
                                     faithfulness=faith, ranking=ranking, seed=self.seed).to_dict()
            result.update(self._budget_facts())
            result["target"] = target.describe()
            self._add_consistency(result, inp, region, region_mask, cells)
            mode = self.plan.get("randomisation")
            if deletion and mode:
                result["randomisation"] = {"run": True, **self.randomisation(region, z, cells,
                                                                             final_only=mode == "final")}
            else:
                why = ("the comparison ran without deletion curves" if not deletion
                       else f"not part of the {self.budget!r} budget")
                result["randomisation"] = {"run": False, "reason": why}
            self.facts["comparison"] = result
            self._compared = key
            out["summary"] = f"faithfulness: {result['faithfulness_verdict']}; not beating random: {result['not_beating_random']}"
        return result

    def _add_consistency(self, result: dict[str, Any], inp: SliceInput, region: str, mask: np.ndarray,
                         cells: np.ndarray) -> None:
        """Per method, one consistency entry: SLICE across seeds, the seed-free methods under a mirror."""
        explained = self.facts.get("explanations") or {}
        mirror = {}
        seed_free = [m for m in self.maps if m in SEED_FREE]
        if seed_free and self.plan.get("mirror_consistency", True):
            with self.log.call("mirror_consistency", region=region, methods=seed_free) as out:
                for method in seed_free:
                    settings = (explained.get(method) or {}).get("settings_requested") or self.settings_for(method)

                    def explain(i: SliceInput, m: np.ndarray, method: str = method,
                                settings: dict[str, Any] = settings) -> np.ndarray:
                        return run_method(self.model, i, region, method, settings, m).map

                    mirror[method] = mirror_consistency(explain, inp, mask, self.maps[method], cells)
                out["summary"] = ", ".join(f"{m} {v['consistent']}" for m, v in mirror.items())
        for entry in result["methods"]:
            name = entry["method"]
            entry["consistency"] = method_consistency(name, explained.get(name) or {}, mirror.get(name))
        result["consistency"] = {e["method"]: e["consistency"] for e in result["methods"]}

    def _extra_records(self, region: str, z: int, fs: dict[str, Any]) -> list:
        """Slice records of the budget's further slices across the region (methods re-run)."""
        records = []
        methods = {m: {**self.settings_for(m), **({"seed": self.seed} if m == "slice" else {})} for m in self.maps}
        for zk in evaluation_slices(self._region_volume(region), z, int(self.plan.get("slices", 1)))[1:]:
            inp, target = self.target(region, zk)
            rec, _, _ = evaluate_slice(self.model, inp, target, region, methods, self.truth_slice(region, zk),
                                       fs, seed=self.seed, z=self.full_z(zk))
            records.append(rec)
        return records

    def randomisation(self, region: str, z: int, cells: np.ndarray, *, final_only: bool = False) -> dict[str, Any]:
        """Parameter randomisation of every map method on the explained slice.

        The cascade (full budget) or its last stage only (``final_only``, the fast budget: the
        same verdicts in two runs per method); a map already computed with the check's own
        settings (Grad-CAM, attention) is reused as the intact-model map.
        """
        inp, target = self.target(region, z)
        mask = inp.unpad(target.mask.cpu().numpy())
        quick = self.randomisation_settings
        settings = {m: {**self.settings_for(m), **quick.get(m, {})} for m in self.maps}

        def explainer(method: str):
            return lambda model: run_method(model, inp, region, method, settings[method], mask).map

        explained = self.facts.get("explanations") or {}
        reusable = {m: v for m, v in self.maps.items()
                    if (explained.get(m) or {}).get("settings_requested") == settings[m]}
        with self.log.call("randomisation", region=region, slice_index=self.full_z(z), final_only=final_only) as out:
            res = cascading_randomisation(self.model, {m: explainer(m) for m in self.maps}, cells,
                                          self.prep.mask[:, :, z], seed=self.seed, final_only=final_only,
                                          originals=reusable).to_dict()
            res["settings"]["method_settings"] = {m: quick.get(m, {}) for m in self.maps}
            out["summary"] = f"passed {res['passed']}, failed {res['failed']}"
        return res

    def confidence(self) -> dict[str, Any]:
        self._need("prediction")
        with self.log.call("confidence") as out:
            pred = self.prediction
            probs = pred.cropped(pred.region_probs)
            comp = self.facts.get("comparison") or {}
            agreement = comp.get("mean_pairwise_spearman")
            explanation = None
            if comp:
                explanation = {k: comp.get(k) for k in ("mean_pairwise_spearman", "agreement_resolution",
                                                        "faithfulness_verdict", "localisation_verdict",
                                                        "not_beating_random")}
                explanation["effect"] = "reported beside the confidence level; it does not change it"
            expected = self.facts["case"].get("expected_accuracy") or {}
            result = assess_confidence(probs, pred.cropped(pred.label), tta_probs=pred.variants or None,
                                       method_agreement=agreement, explanation=explanation,
                                       expected_dice=expected.get("dice"),
                                       missing_sequences=self.case.files.missing).to_dict()
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
            if self.maps:
                self.compare()
        self.confidence()
        return self.facts

    def montage(self, out_path: str | Path) -> Path:
        """The case/region montage: MRI, truth, prediction, every heat map."""
        from medbrain.report.figures import montage

        if self.explained is None:
            raise NotReadyError("No explanation maps yet: run the explanation methods first.")
        region, z = self.explained
        shown = next(q for q in ("flair", "t2", "t1ce", "t1") if q in self.case.sequences)  # FLAIR unless missing
        background = self.prep.images[MODALITIES.index(shown), :, :, z]
        truth = None if self.case.label is None else self.prediction.cropped(self.case.label)[:, :, z]
        pred = self.prediction.cropped(self.prediction.label)[:, :, z]
        title = f"{self.case.case_id} — {region}, axial slice {self.full_z(z)}"
        first_axis = aff2axcodes(self.case.affine)[0]  # where the array's first axis points
        opposite = {"L": "R", "R": "L"}
        sides = (opposite[first_axis], first_axis) if first_axis in opposite else None
        with self.log.call("figure", region=region, slice_index=self.full_z(z)) as out:
            shap = ((self.facts.get("explanations") or {}).get("shapley") or {}).get("regions") or {}
            path = montage(background, truth, pred, self.maps, title, out_path, image_name=SEQUENCE_NAMES[shown],
                           sides=sides,
                           shapley={r: v["share"] for r, v in shap.items()} or None)
            out["summary"] = str(path)
        return path
