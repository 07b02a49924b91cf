"""Binding, scoping and run-record claims an eighth outside corpus (H) found, on a current real report.

The facts are those of the real report of Brats18_TCIA03_265_1 (randomisation run on the last stage only,
a reference segmentation present, the fast budget). Each pair states something once as the facts have it
and once as they do not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medbrain.agent.verifier import verify_text

_FACTS = Path(__file__).parent / "data" / "brats18_tcia03_265_1_facts.json"


@pytest.fixture(scope="module")
def facts():
    return json.loads(_FACTS.read_text(encoding="utf-8"))


CASES = [
    # "refer to" a prediction is not a referral
    ("Every explanation map refers to the whole-tumour prediction on slice 83.", True),
    ("The patient should be referred to an oncology team.", False),
    # gapped conjuncts: each metric is said of the method named since the previous metric
    ("Grad-CAM had the lowest zero-baseline deletion AUC and Integrated Gradients the highest insertion AUC.", True),
    ("Grad-CAM had the lowest zero-baseline deletion AUC and SLICE the highest insertion AUC.", False),
    ("Grad-CAM reached the highest rank accuracy of the attribution methods.", True),
    ("SLICE reached the highest rank accuracy of the attribution methods.", False),
    # multiples of two quantities named by words
    ("The core's longest diameter is roughly 1.6 times its perpendicular diameter.", True),
    ("The core's longest diameter is roughly 2.5 times its perpendicular diameter.", False),
    ("Grad-CAM's relevance mass accuracy is about 6.6 times chance.", True),
    ("Grad-CAM's relevance mass accuracy is about ten times chance.", False),
    ("The necrotic core is about twice the volume of the enhancing tumour.", False),
    # a side word labelling a share, and a side part
    ("Sides: left 99.3%, right 0.7%.", True),
    ("Sides: left 99.3%, right 9.7%.", False),
    ("The right-sided part of the tumour is tiny, about 0.4 mL.", True),
    ("The right-sided part of the tumour is about 4 mL.", False),
    ("The whole tumour measures 58.43 mL and lies in the left hemisphere.", True),
    # a structure named as the number's subject outranks the side
    ("The left parietal lobe holds 60.2% of the tumour.", True),
    ("The left parietal lobe holds 99.3% of the tumour.", False),
    # derived quantities: clean-up in mL, seeds, TTA variants, region of a component rule
    ("Clean-up removed 189 voxels, about 0.19 mL.", True),
    ("Clean-up removed 189 voxels, about 1.9 mL.", False),
    ("All tools ran with random seed 0.", True),
    ("All tools ran with random seed 42.", False),
    ("Test-time augmentation averaged four flipped variants.", True),
    ("Test-time augmentation averaged eight flipped variants.", False),
    ("Clean-up removed one whole-tumour component.", True),
    ("Clean-up removed four small whole-tumour components.", False),
    # test-time agreement is the flip Dice, not the Dice against the reference
    ("The test-time agreement for the enhancing tumour is 0.939.", True),
    ("The test-time agreement for the enhancing tumour is 0.842.", False),
    # randomisation: per map, last stage only, skipped, results in the next sentence
    ("Integrated Gradients' signed map passed the randomisation check.", True),
    ("Integrated Gradients failed the randomisation check for its signed map.", False),
    ("The full cascading randomisation was run from the head to the encoder.", False),
    ("The randomisation check was skipped in this run.", False),
    ("The randomisation check ran on the fully randomised network. Grad-CAM and SLICE passed.", True),
    ("The randomisation check ran on the fully randomised network. Grad-CAM and Integrated Gradients passed.", False),
    ("The run used the fast budget; the full budget adds every cascade stage.", True),
    ("Randomisation on the fully randomised network only (--budget full runs every stage).", True),
    # recorded flags and settings
    ("Test-time augmentation was enabled.", True),
    ("Test-time augmentation was disabled.", False),
    ("The image orientation is LPS.", True),
    ("The image orientation is RAS.", False),
    ("The case follows the BraTS 2018 label convention and comes from the BraTS 2018 dataset.", True),
    ("The case comes from the BraTS 2021 dataset.", False),
    ("A reference segmentation was not available.", False),
    ("Localisation was scored against the reference segmentation.", True),
    ("Localisation was scored against the predicted mask.", False),
    ("The Shapley analysis was computed over all slices.", False),
    ("The explanations explain the whole-tumour prediction.", True),
    ("The explanations explain the enhancing tumour prediction.", False),
    ("Grad-CAM was computed on the transformer layer.", False),
    ("The Shapley efficiency check passed for the enhancing tumour.", True),
    ("The Shapley efficiency check failed for the enhancing tumour.", False),
    ("SLICE did not pass its stability checks.", False),
    ("SLICE's fidelity held across multiple seeds.", False),
    ("The mean pairwise Spearman of 0.626 is the average over the three scored pairs.", True),
    ("The mean pairwise Spearman of 0.626 is the average over all six pairs.", False),
    ("The method agreement of 0.626 is the mean pairwise IoU.", False),
    ("This text was written by GPT-4.", False),
    ("The model was fine-tuned on this case.", False),
    ("The model is essentially certain about every voxel.", False),
    ("Given the Dice, radiologist review is not necessary.", False),
    ("Diffusion-weighted imaging contributed to the segmentation.", False),
    # binding: a parenthetical definition, the pixel-level qualifier, a step cap, products vs areas
    ("The tumour core (necrotic core plus enhancing tumour) is about 40 mL.", True),
    ("The tumour core (necrotic core plus enhancing tumour) is about 16 mL.", False),
    ("At pixel level Grad-CAM and Integrated Gradients had a Spearman of 0.356.", True),
    ("At pixel level Grad-CAM and Integrated Gradients had a Spearman of 0.833.", False),
    ("Integrated Gradients used 16 steps, with a cap of up to 64 steps.", True),
    ("Integrated Gradients was run with 64 steps.", False),
    ("The whole-tumour bidimensional product is about 30.2 cm².", True),
    ("The whole-tumour bidimensional product is about 20.2 cm².", False),
    # a gapped verb: the structure right after the number names it
    ("About 37% of the tumour overlaps the cortex and about 17% the ventricles.", True),
    ("About 37% of the tumour overlaps the cortex and about 37% the ventricles.", False),
    # a negation ends where a new subject takes its own verb
    ("The tumour does not cross the midline and confidence is high.", True),
    ("The tumour does not cross the midline and confidence is low.", False),
]


@pytest.mark.parametrize("text,passes", CASES)
def test_outside_corpus_h_phrasings(facts, text, passes):
    result = verify_text(text, facts)
    assert (result.status != "failed") == passes, (text, result.findings())
