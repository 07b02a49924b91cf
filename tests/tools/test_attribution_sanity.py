"""Sanity checks from the XAI literature, across Grad-CAM, Integrated Gradients and SLICE.

- Known-region test: a toy network whose logits depend only on the input inside a fixed
  square must get (almost) all attribution mass there.
- Model-randomisation test (Adebayo et al., NeurIPS 2018): maps of a trained network and
  of the same network with re-initialised weights must differ (low rank correlation).
  Signed maps are compared on the pixels where either map is non-zero: both networks
  share a small receptive field, so far-away pixels are exactly 0 in both maps and would
  make any two maps look alike; and absolute IG inherits the input's own structure
  (input x gradient), the effect Adebayo et al. warn about, whereas the sign follows the
  weights.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy import ndimage
from scipy.stats import spearmanr

from medbrain.tools.gradcam import gradcam
from medbrain.tools.integrated_gradients import integrated_gradients
from medbrain.tools.slice_input import slice_input_from_stack
from medbrain.tools.slice_lime import slice_lime

SIZE = 64
SQUARE = (slice(20, 36), slice(28, 44))
FAST_SLICE = dict(num_samples=48, n_bootstrap=200, max_steps=3, n_segments=30)


class SquareNet(nn.Module):
    """Logits = conv(relu(conv(input * square mask))): only the square can matter."""

    def __init__(self, in_channels: int = 4):
        super().__init__()
        self.config = SimpleNamespace(head="regions")
        mask = torch.zeros(1, 1, SIZE, SIZE)
        mask[..., SQUARE[0], SQUARE[1]] = 1
        self.register_buffer("square", mask)
        self.features = nn.Conv2d(in_channels, 8, 3, padding=1, bias=False)
        self.head = nn.Conv2d(8, 3, 3, padding=1)
        g = torch.Generator().manual_seed(0)
        with torch.no_grad():
            self.features.weight.copy_(torch.rand(self.features.weight.shape, generator=g) * 0.2)
            self.head.weight.copy_(torch.rand(self.head.weight.shape, generator=g) * 0.2)
            self.head.bias.fill_(2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.features(x * self.square)))


class SmallSegNet(nn.Module):
    """A three-layer CNN that learns to segment bright discs (regions head)."""

    def __init__(self):
        super().__init__()
        self.config = SimpleNamespace(head="regions")
        self.body = nn.Sequential(
            nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(),
            nn.Conv2d(8, 8, 3, padding=2, dilation=2), nn.ReLU(),
            nn.Conv2d(8, 3, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def smooth_image(rng: np.random.Generator, size: int = SIZE) -> np.ndarray:
    """Four smooth positive random channels, like z-scored MRI texture shifted above 0."""
    noise = rng.normal(size=(4, size, size))
    return np.stack([ndimage.gaussian_filter(c, 3) * 3 + 1.0 for c in noise]).astype(np.float32)


def disc(size: int, centre: tuple[int, int], radius: float) -> np.ndarray:
    i, j = np.mgrid[:size, :size]
    return (i - centre[0]) ** 2 + (j - centre[1]) ** 2 <= radius**2


def disc_sample(rng: np.random.Generator, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    image = smooth_image(rng, size) - 1.0
    centre = tuple(int(c) for c in rng.integers(7, size - 7, size=2))
    lesion = disc(size, centre, float(rng.uniform(3, 6)))
    image[2:4, lesion] += 2.0  # bright on T2 and FLAIR
    return image, lesion


@pytest.fixture(scope="module")
def square_case():
    rng = np.random.default_rng(1)
    return SquareNet().eval(), slice_input_from_stack(smooth_image(rng))


@pytest.fixture(scope="module")
def trained_and_random():
    """SmallSegNet trained briefly on discs, and a copy with re-initialised weights."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = SmallSegNet()
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(60):
        batch = [disc_sample(rng) for _ in range(8)]
        x = torch.from_numpy(np.stack([b[0] for b in batch]))
        y = torch.from_numpy(np.stack([b[1] for b in batch])).float()
        loss = F.binary_cross_entropy_with_logits(model(x)[:, 0], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    randomised = copy.deepcopy(model)
    torch.manual_seed(123)
    for module in randomised.modules():
        if isinstance(module, nn.Conv2d):
            module.reset_parameters()
    image, lesion = disc_sample(np.random.default_rng(99))
    return model, randomised, slice_input_from_stack(image), lesion


def mass_inside(values: np.ndarray, region: np.ndarray) -> float:
    mass = np.abs(values)
    return float(mass[region].sum() / mass.sum())


def square_mask(grow: int = 0) -> np.ndarray:
    m = np.zeros((SIZE, SIZE), dtype=bool)
    m[SQUARE[0], SQUARE[1]] = True
    return ndimage.binary_dilation(m, iterations=grow) if grow else m


def test_gradcam_mass_is_in_the_known_square(square_case):
    model, inp = square_case
    result = gradcam(model, inp, "WT", layer="features")
    assert mass_inside(result.map, square_mask(grow=2)) > 0.95


def test_integrated_gradients_mass_is_in_the_known_square(square_case):
    model, inp = square_case
    result = integrated_gradients(model, inp, "WT", n_steps=16)
    assert mass_inside(result.map, square_mask()) > 0.999
    assert abs(result.convergence_delta) < 1e-3 * abs(result.target_score - result.baseline_score)


def test_slice_mass_is_on_superpixels_touching_the_square(square_case):
    model, inp = square_case
    result = slice_lime(model, inp, "WT", seed=0, **FAST_SLICE)
    touching = np.unique(result.segments[square_mask()])
    region = np.isin(result.segments, touching)
    assert mass_inside(result.map, region) > 0.95
    assert result.retained[touching].any()
    assert result.coefficients[touching].max() > 0  # blurring the square lowers the target


def test_tiny_network_learned_the_discs(trained_and_random):
    model, _, inp, lesion = trained_and_random
    with torch.no_grad():
        pred = model(inp.tensor)[0, 0].numpy() > 0
    dice = 2 * (pred & lesion).sum() / (pred.sum() + lesion.sum())
    assert dice > 0.6


@pytest.mark.parametrize("method", ["gradcam", "integrated_gradients", "slice"])
def test_model_randomisation_changes_the_map(trained_and_random, method):
    trained, randomised, inp, lesion = trained_and_random

    def explain(model):
        if method == "gradcam":
            return gradcam(model, inp, "WT", layer="body.2", mask=lesion).signed
        if method == "integrated_gradients":
            return integrated_gradients(model, inp, "WT", n_steps=16, mask=lesion).map
        return slice_lime(model, inp, "WT", seed=0, mask=lesion, **FAST_SLICE).lime_coefficients

    a, b = explain(trained), explain(randomised)
    support = (a != 0) | (b != 0)
    assert support.sum() > 20
    rho = spearmanr(a[support], b[support]).statistic
    assert rho < 0.5, f"{method}: rank correlation {rho:.2f} between trained and randomised maps"
