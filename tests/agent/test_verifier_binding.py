"""Numbers bound to the quantity their words name (not to any fact that happens to match), on a real fixture case."""

from __future__ import annotations

import pytest

from medbrain.agent.verifier import verify_text
from medbrain.evals.suites import load_suite


@pytest.fixture(scope="module")
def facts():
    return next(i.facts for i in load_suite("real").items if i.id == "Brats18_TCIA10_628_1")


# (sentence, passes): each pair names the quantity once correctly and once with a value of another field
CASES = [
    # per-sequence shares by region (Shapley) and by method (IG, signed only when "signed" is said)
    ("For the tumour core, T1 (38%) and T1ce (29%) contribute most.", True),
    ("For the tumour core, FLAIR contributes about 23%.", False),  # FLAIR's whole-tumour share
    ("By signed attribution, T1 contributes about 53%.", True),
    ("By signed attribution, T1 contributes about 27%.", False),  # IG's unsigned share
    # side shares: the side word names the share, not where "the tumour" lies
    ("Only 0.1% of the tumour volume lies to the right of the midline.", True),
    ("Only 0.1% of the tumour volume lies to the left of the midline.", False),
    ("Essentially all of the tumour (99.9%) is on the left side.", True),
    # localisation mass of the method named
    ("Grad-CAM placed about 88% of its attribution mass inside the ground-truth tumour.", True),
    ("Integrated Gradients placed about 88% of its attribution mass inside the ground-truth tumour.", False),
    # number words bound to their noun's count
    ("The three other components are tiny.", True),
    ("The four other components are tiny.", False),
    ("Because only one slice was evaluated, no intervals were computed.", True),
    ("The evaluation was run over three slices.", False),
    # possessives of method names, parenthesised labels
    ("Grad-CAM's rank accuracy was 0.84 and Integrated Gradients' was 0.68.", True),
    ("Dice scores were 0.923 (WT), 0.888 (TC) and 0.738 (ET).", True),
    ("Dice scores were 0.888 (WT), 0.923 (TC) and 0.738 (ET).", False),
    # a value of another field does not pass for this one
    ("The RANO product is about 4053 mm².", True),
    ("The RANO product is about 6028 mm².", False),  # the whole-tumour bidimensional product
    ("A test-time augmentation Dice of 0.92 was measured.", False),  # no TTA ran
    ("The segmentation used a probability threshold of 0.5.", True),
    ("The segmentation used a probability threshold of 0.3.", False),
    ("High confidence requires a mean probability above 0.9.", False),  # the threshold is 0.85
    ("Grad-CAM's baseline faithfulness score was 0.68.", True),
    ("Integrated Gradients' baseline faithfulness score was 0.68.", False),
    # every-region claims hold for each region
    ("All three regions have a Dice score above 0.7.", True),
    ("All three regions have a Dice score above 0.85.", False),
    ("The dominant sequence is T1 in every region.", False),
    # relations over the comparison and the methods' own flags
    ("Attention failed to beat random.", True),
    ("Grad-CAM failed to beat random.", False),
    ("SLICE produced a stable and reliable explanation.", False),
    ("Integrated Gradients converged.", True),
]


@pytest.mark.parametrize("text,passes", CASES)
def test_numbers_bind_to_the_named_quantity(facts, text, passes):
    result = verify_text(text, facts)
    assert (result.status != "failed") == passes, (text, result.findings())
