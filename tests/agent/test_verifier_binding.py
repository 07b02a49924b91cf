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
    # dimension pairs: the second number is the same measure as the first, whatever words follow
    ("The tumour core measures 73.4 × 55.2 mm on slice 54.", True),
    ("The tumour core measures 7.34 × 5.52 cm on slice 54.", True),
    ("The tumour core measures 73.4 × 52.5 mm on slice 54.", False),
    # a fraction word of a litre is a volume
    ("The whole tumour is well over a tenth of a litre.", True),
    ("The whole tumour is roughly a tenth of a litre.", False),
    # a value compared with its threshold: both numbers true, the relation too
    ("The whole-tumour mean probability of 0.97 exceeds the 0.85 threshold for high confidence.", True),
    ("The whole-tumour mean probability of 0.97 falls below the 0.85 threshold for high confidence.", False),
    ("The uncertain fraction of 4.7% for WT stays under the 20% threshold.", True),
    ("The uncertain fraction of 4.7% for WT exceeds the 20% threshold.", False),
    ("The whole-tumour mean probability (0.97) does not exceed the 0.85 threshold.", False),
    # method agreement is reported beside the confidence level, it does not change it
    ("Method agreement does not change the confidence level.", True),
    ("The agreement between explanation methods (0.475) lowers the overall confidence.", False),
]


def test_a_spread_binds_to_the_spread_of_the_quantity_before_it(facts):
    """ "0.673 ± 0.075 for TC": the mean and its sd, each of the region labelled after the pair."""
    two = {**facts, "case": {**facts["case"], "expected_accuracy": {
        "sequences": "t1ce+flair", "measured": True, "dice": {"WT": 0.744, "TC": 0.673, "ET": 0.68},
        "dice_sd": {"WT": 0.038, "TC": 0.075, "ET": 0.089}, "cases": 27, "folds": [0, 1, 2]}}}
    good = ("With FLAIR and T1ce, the expected Dice is 0.744 ± 0.038 for WT, 0.673 ± 0.075 for TC "
            "and 0.680 ± 0.089 for ET.")
    assert verify_text(good, two).status == "passed", verify_text(good, two).findings()
    assert verify_text("The expected Dice for the whole tumour is 0.74 (sd 0.04).", two).status == "passed"
    for bad in ("The expected Dice for the tumour core is 0.673 ± 0.089.",  # ET's spread
                "The expected Dice for the tumour core is 0.075.",  # a spread is not a mean
                "The expected Dice is 0.744 ± 0.075 for WT."):
        assert verify_text(bad, two).status == "failed", bad


@pytest.mark.parametrize("text,passes", CASES)
def test_numbers_bind_to_the_named_quantity(facts, text, passes):
    result = verify_text(text, facts)
    assert (result.status != "failed") == passes, (text, result.findings())
