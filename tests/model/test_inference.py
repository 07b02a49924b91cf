"""Volume inference: every brain slice, original geometry out, flip TTA, post-processing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from medbrain.data.loading import load_case
from medbrain.model.config import ModelConfig
from medbrain.model.hybrid import HybridUNetPlusPlus
from medbrain.model.inference import (
    PostProcessing,
    logits_to_region_probs,
    predict_slices,
    probs_to_label,
    segment_case,
)
from medbrain.model.slicing import context_indices, inplane_pad, slice_stack

SMALL = (16, 16, 16, 16, 16)


@pytest.fixture(scope="module")
def plain_model():
    torch.manual_seed(0)
    return HybridUNetPlusPlus(ModelConfig(decoder_channels=SMALL, context=1, transformer=None)).eval()


def test_slice_stack_context_and_padding():
    vol = np.arange(4 * 5 * 6 * 3, dtype=np.float32).reshape(4, 5, 6, 3)
    stack = slice_stack(vol, 0, 1)
    assert stack.shape == (12, 5, 6)
    np.testing.assert_array_equal(stack[0:4], vol[..., 0])  # clamped below
    np.testing.assert_array_equal(stack[4:8], vol[..., 0])
    np.testing.assert_array_equal(stack[8:12], vol[..., 1])
    assert context_indices(2, 3, 2) == [0, 1, 2, 2, 2]
    assert inplane_pad((147, 184)) == ((6, 7), (4, 4))


def test_softmax_probs_are_nested_regions():
    logits = torch.randn(2, 4, 8, 8)
    p = logits_to_region_probs(logits, "softmax")
    assert p.shape == (2, 3, 8, 8)
    assert (p[:, 0] >= p[:, 1] - 1e-6).all() and (p[:, 1] >= p[:, 2] - 1e-6).all()


def test_probs_to_label_and_small_et_relabelling():
    probs = np.zeros((3, 10, 10, 4), np.float32)
    probs[0, 2:8, 2:8] = 0.9  # WT
    probs[1, 3:6, 3:6] = 0.9  # TC
    probs[2, 4, 4, 0] = 0.9  # a single ET voxel
    label = probs_to_label(probs, PostProcessing())
    assert set(np.unique(label)) == {0, 1, 2, 4}
    cleaned = probs_to_label(probs, PostProcessing(min_et_voxels=5))
    assert (cleaned == 4).sum() == 0 and cleaned[4, 4, 0] == 1


def test_component_clean_up_removes_only_small_components():
    probs = np.zeros((3, 20, 20, 6), np.float32)
    probs[0, 2:10, 2:10, :] = 0.9  # a large tumour ...
    probs[1, 3:8, 3:8, :] = 0.9
    probs[2, 4:7, 4:7, :] = 0.9  # ... with a 54-voxel ET component
    probs[2, 9, 9, 2] = 0.9  # and an isolated one-voxel ET speck inside the oedema
    probs[0, 15, 15, 3] = 0.9  # a one-voxel tumour island far away
    raw = probs_to_label(probs, PostProcessing())
    assert raw[9, 9, 2] == 4 and raw[15, 15, 3] == 2
    clean = probs_to_label(probs, PostProcessing(min_et_component_voxels=10, min_wt_component_voxels=10))
    assert clean[9, 9, 2] == 1, "a small ET component becomes necrotic core, not background"
    assert clean[15, 15, 3] == 0, "a small tumour island is removed"
    assert (clean[4:7, 4:7, :] == 4).all(), "the large ET component is kept"
    assert ((clean > 0) == (raw > 0)).sum() == raw.size - 1
    assert np.array_equal(probs_to_label(probs, PostProcessing(min_et_component_voxels=0)), raw)


def test_clean_up_never_erases_a_lone_small_tumour_and_says_what_it_changed():
    probs = np.zeros((3, 20, 20, 6), np.float32)
    probs[0, 2:5, 2:5, 1:3] = 0.9  # one 18-voxel tumour: small, but the only finding
    probs[0, 12, 12, 4] = 0.9  # and a one-voxel island
    probs[2, 3, 3, 2] = 0.9  # with a one-voxel ET speck
    probs[1, 3, 3, 2] = 0.9
    cleanup: dict[str, int] = {}
    label = probs_to_label(probs, PostProcessing(min_wt_component_voxels=1000, min_et_component_voxels=10), cleanup)
    assert (label[2:5, 2:5, 1:3] > 0).all(), "the largest component is kept even below the threshold"
    assert label[12, 12, 4] == 0 and label[3, 3, 2] == 1
    assert cleanup == {"wt_components_removed": 1, "wt_voxels_removed": 1, "et_components_relabelled": 1,
                       "et_voxels_relabelled": 1}


def test_flip_tta_of_flip_equivariant_input_matches(plain_model):
    vol = np.random.default_rng(0).normal(size=(4, 40, 50, 3)).astype(np.float32)
    a = predict_slices(plain_model, vol, tta=False)
    b = predict_slices(plain_model, vol, tta=True)
    assert a.shape == b.shape == (3, 40, 50, 3)
    assert not np.allclose(a, b), "TTA averages flipped predictions; a random net is not flip-invariant"
    assert ((b >= 0) & (b <= 1)).all()


def test_segment_real_case_keeps_geometry(plain_model, real_case_dir):
    case = load_case(real_case_dir, with_label=False)
    pred = segment_case(plain_model, case, tta=False, batch_size=32)
    assert pred.label.shape == case.shape
    assert pred.region_probs.shape == (3, *case.shape)
    assert pred.label.dtype == np.uint8
    outside = case.images.max(axis=0) == 0
    assert pred.region_probs[:, outside].max() == 0, "nothing is predicted outside the brain"
    assert set(np.unique(pred.label)) <= {0, 1, 2, 4}


def test_bf16_inference_is_close_to_fp32_and_recorded(plain_model):
    vol = np.random.default_rng(1).normal(size=(4, 40, 50, 3)).astype(np.float32)
    fp32 = predict_slices(plain_model, vol, precision="fp32")
    bf16 = predict_slices(plain_model, vol, precision="bf16")
    assert bf16.dtype == np.float32 and bf16.shape == fp32.shape
    assert np.abs(bf16 - fp32).max() < 0.05, "bf16 autocast changes probabilities only slightly"
    assert not np.array_equal(bf16, fp32), "bf16 really ran (the outputs are not bit-identical)"


def test_precision_choice(monkeypatch):
    from medbrain.model.inference import resolve_precision

    assert resolve_precision("fp32") == "fp32" and resolve_precision("bf16") == "bf16"
    monkeypatch.setenv("MEDBRAIN_PRECISION", "fp32")
    assert resolve_precision("auto") == "fp32"
    monkeypatch.setenv("MEDBRAIN_PRECISION", "")
    assert resolve_precision("auto") in ("fp32", "bf16")
    with pytest.raises(ValueError, match="precision"):
        resolve_precision("fp8")


class _ThresholdNet(torch.nn.Module):
    """Region logits from the centre slice's first sequence: tumour where it is bright."""

    def __init__(self):
        super().__init__()
        self.config = ModelConfig(decoder_channels=SMALL, context=1, transformer=None)
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += x.shape[0]
        centre = x[:, 4:5]  # context 1: channels 4..7 are slice z
        return (20 * (centre - 0.5)).repeat(1, 3, 1, 1)


def _volume_with_tumour(depth: int, zs: range) -> np.ndarray:
    vol = np.zeros((4, 32, 32, depth), np.float32)
    vol[0, 10:20, 10:20, zs.start : zs.stop] = 1.0
    return vol


def test_tumour_schedule_runs_fewer_slices_and_matches_near_the_tumour():
    from medbrain.model.inference import SliceSchedule, predict_slice_variants

    vol = _volume_with_tumour(60, range(30, 38))
    net = _ThresholdNet()
    full = predict_slice_variants(net, vol, precision="fp32")[0]
    full_calls, net.calls = net.calls, 0
    seen: list[tuple[int, int]] = []
    fast = predict_slice_variants(net, vol, precision="fp32", schedule=SliceSchedule("tumour", stride=3),
                                  on_slices=lambda done, total: seen.append((done, total)))[0]
    assert full_calls == 60 and net.calls < 40, "the sparse pass skips slices far from the tumour"
    assert seen[-1][0] == seen[-1][1] == net.calls, "progress ends at the number of slices run"
    np.testing.assert_array_equal(probs_to_label(fast, PostProcessing()), probs_to_label(full, PostProcessing()))
    np.testing.assert_allclose(fast[..., 27:41], full[..., 27:41])  # every slice near the tumour is run
    assert fast.max() > 0.99 and fast[..., :20].max() < 0.05


def test_tumour_schedule_under_tta_runs_flips_only_near_the_tumour():
    from medbrain.model.inference import SliceSchedule, predict_slice_variants

    vol = _volume_with_tumour(60, range(30, 38))
    net = _ThresholdNet()
    variants = predict_slice_variants(net, vol, tta=True, precision="fp32", schedule=SliceSchedule("tumour", stride=3))
    assert len(variants) == 4 and net.calls < 4 * 30
    for v in variants[1:]:  # the net is flip-equivariant, so every flip agrees with the identity
        np.testing.assert_allclose(v, variants[0], atol=1e-6)


def test_tumour_schedule_with_every_sample_positive_equals_all_slices(plain_model):
    from medbrain.model.inference import SliceSchedule

    vol = np.random.default_rng(2).normal(size=(4, 40, 50, 12)).astype(np.float32)
    a = predict_slices(plain_model, vol, precision="fp32")
    b = predict_slices(plain_model, vol, precision="fp32", schedule=SliceSchedule("tumour", stride=3, threshold=-1.0))
    np.testing.assert_array_equal(a, b)


def test_tumour_schedule_limit_a_thin_lesion_between_samples_is_missed():
    """The documented price: a lesion thinner than stride-1 slices between two tumour-free samples."""
    from medbrain.model.inference import SliceSchedule

    vol = _volume_with_tumour(60, range(31, 32))  # one slice; samples at 30 and 33 see nothing
    fast = predict_slices(_ThresholdNet(), vol, precision="fp32", schedule=SliceSchedule("tumour", stride=3))
    full = predict_slices(_ThresholdNet(), vol, precision="fp32")
    assert full[..., 31].max() > 0.99 and fast[..., 31].max() < 0.05


def test_slice_schedule_rejects_bad_settings():
    from medbrain.model.inference import SliceSchedule

    with pytest.raises(ValueError, match="slice mode"):
        SliceSchedule("some")
    with pytest.raises(ValueError, match="stride"):
        SliceSchedule("tumour", stride=0)
