"""Localisation against a reference with chance levels."""

from __future__ import annotations

import numpy as np
import pytest

from medbrain.tools.localisation import localise


def masks():
    brain = np.zeros((20, 20), bool)
    brain[2:18, 2:18] = True
    ref = np.zeros((20, 20), bool)
    ref[5:9, 5:9] = True
    return brain, ref


def test_perfect_uniform_and_empty_maps():
    brain, ref = masks()
    perfect = localise(ref * 1.0, ref, brain)
    assert perfect.mass_accuracy == 1.0 and perfect.rank_accuracy == 1.0 and perfect.pointing_game
    assert perfect.chance == pytest.approx(16 / 256)
    assert perfect.to_dict()["mass_lift"] == pytest.approx(16.0)
    uniform = localise(np.ones((20, 20)), ref, brain)
    assert uniform.mass_accuracy == pytest.approx(uniform.chance)  # lift 1: chance
    assert uniform.to_dict()["mass_lift"] == pytest.approx(1.0)
    assert localise(-np.ones((20, 20)), ref, brain).mass_accuracy is None


def test_background_and_negative_relevance_do_not_count():
    brain, ref = masks()
    values = np.zeros((20, 20))
    values[0, 0] = 100.0  # outside the brain: ignored
    values[6, 6] = 1.0
    values[12, 12] = -5.0  # evidence against: not positive relevance
    loc = localise(values, ref, brain, kind="prediction")
    assert loc.mass_accuracy == 1.0 and loc.pointing_game is True
    assert loc.rank_accuracy == pytest.approx(1 / 16)  # one positive pixel among the K = 16 slots
    assert loc.to_dict()["reference"] == "prediction"
