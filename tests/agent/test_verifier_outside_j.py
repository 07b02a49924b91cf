"""Binding, relation and run-claim phrasings a tenth outside corpus (J) found, on a current real report.

The facts are those of the real report of Brats18_TCIA01_378_1 (one right-sided lesion, mostly parietal,
the fast budget, a reference segmentation present, attention rollout failing the pointing game and the
randomisation check). Each group states a phrasing family once as the facts have it and once as they do not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medbrain.agent.verifier import verify_text

_FACTS = Path(__file__).parent / "data" / "brats18_tcia01_378_1_facts.json"


@pytest.fixture(scope="module")
def facts():
    return json.loads(_FACTS.read_text(encoding="utf-8"))


CASES = [
    # a multiple of the same quantity of another region ("that of the core"), and fractions said as multiples
    ("The whole tumour's uncertain fraction (9.1%) is roughly three times that of the enhancing tumour.", True),
    ("The whole tumour's uncertain fraction (9.1%) is about five times that of the enhancing tumour.", False),
    ("The oedema is less than half the size of the whole tumour.", True),
    ("The necrotic core is about a third the size of the tumour core.", False),
    ("Necrosis makes up just under one quarter of the 57.17 mL tumour core.", True),
    ("Necrosis makes up just over one third of the 57.17 mL tumour core.", False),
    # numbers set against each other with "vs" take the quantities in the order the clause names them
    ("The oedema is smaller than the enhancing tumour (38.41 vs 43.68 mL).", True),
    ("The oedema is smaller than the enhancing tumour (43.68 vs 38.41 mL).", False),
    # term lists with a head noun or an article, and a parenthesised list closing their clause
    ("The necrotic part and the oedema measure 13.5 and 38.41 mL.", True),
    ("The necrotic part and the oedema measure 38.41 and 13.5 mL.", False),
    ("TC and ET were both segmented confidently (mean probabilities 0.984 and 0.977).", True),
    ("TC and ET were both segmented confidently (mean probabilities 0.977 and 0.984).", False),
    # a region named before an earlier number does not reach past a new conjunct or a newly named method
    ("ET confidence is high (0.977), and the clean-up discarded 11 components.", True),
    ("ET confidence is high (0.977), and the clean-up discarded 12 components.", False),
    ("Shapley gives T1ce 71.7% for ET, and IG's signed attribution gives T1ce 48.9%.", True),
    ("Shapley gives T1ce 71.7% for ET, and IG's signed attribution gives T1ce 71.7%.", False),
    # "SLICE" after a list of numbers is the method, not a count of slices
    ("With seeds 0 and 1, SLICE kept a Jaccard of 0.8.", True),
    ("With seeds 0 and 2, SLICE kept a Jaccard of 0.8.", False),
    # the chance level "for" a measure, and a value every method records alike
    ("The chance level of rank accuracy is about 0.22.", True),
    ("The chance level of rank accuracy is about 0.30.", False),
    # measure words the tools record: thickness, connectivity, segments, overlap with the reference, mean Dice
    ("Sections are 1 mm in thickness.", True),
    ("Sections are 2 mm in thickness.", False),
    ("Lesions were separated with 26-connectivity.", True),
    ("Lesions were separated with 6-connectivity.", False),
    ("SLICE asked for 40 segments.", True),
    ("SLICE asked for 50 segments.", False),
    ("Overlap with the ground truth is 0.94 for the enhancing tumour.", True),
    ("Overlap with the ground truth is 0.963 for the enhancing tumour.", False),
    ("The average Dice over the three regions is roughly 0.915.", True),
    ("The mean Dice is 0.94.", False),
    # each proximity count carries its own qualifier, and a range matches a recorded interval end for end
    ("2,159 ET uncertain-band voxels sit near the mask and 116 elsewhere.", True),
    ("116 ET uncertain-band voxels sit near the mask and 2,159 elsewhere.", False),
    ("Near the core mask, 1,790 voxels fall in the 0.2–0.5 probability band.", True),
    ("Near the core mask, 1,790 voxels fall in the 0.2–0.6 probability band.", False),
    # an area is not the product of two diameters; a measure word before "on slice N" still names the number
    ("Whole-tumour area in cross-section at slice 94: 2678 mm².", True),
    ("Whole-tumour area in cross-section at slice 94: 4084.1 mm².", False),
    # a number in parentheses is an aside: the words after it still name the number before it
    ("Roughly two thirds of the lesion (about 64 mL) sits in the parietal lobe.", True),
    ("Roughly half of the lesion (about 64 mL) sits in the parietal lobe.", False),
    # a token grid named before the pair
    ("Attention rollout's token grid is 5 × 6.", True),
    ("Attention rollout's token grid is 6 × 5.", False),
    # a sequence's share of a region's effect is not a sub-region share
    ("T1ce accounts for about 37% of the whole-tumour Shapley effect.", True),
    ("T1ce accounts for about 46% of the whole-tumour Shapley effect.", False),
    # pair counts, and a pair's verdict read in its own conjunct
    ("Three method pairs disagree.", True),
    ("Four method pairs disagree.", False),
    ("Grad-CAM–SLICE agree, and the pairs with attention disagree.", True),
    ("Grad-CAM–SLICE disagree, and the pairs with attention agree.", False),
    # a side's share with its noun phrase, and a key-value answer
    ("The tumour is right-sided, with 0.1% of the lesion on the left.", True),
    ("The tumour is right-sided, with 10% of the lesion on the left.", False),
    ("Crosses the midline: no.", True),
    ("Crosses the midline: yes.", False),
    # hedged perfection of a measured overlap, an overclaim's own "no", "inconsistent", "rather than"
    ("The core outline is nearly perfect against the reference (Dice 0.963).", True),
    ("The whole-tumour outline is nearly perfect against the reference (Dice 0.843).", False),
    ("The core outline is perfect against the reference.", False),
    ("Even a high level does not mean there are no errors.", True),
    ("The segmentation has no errors.", False),
    ("SLICE's kept set was consistent between seeds.", True),
    ("SLICE's kept set was inconsistent between seeds.", False),
    ("Confidence levels here are heuristic rather than calibrated.", True),
    ("Confidence levels here are calibrated rather than heuristic.", False),
    # the randomisation check said without its name; "hardly changed"; "both"
    ("Once the weights were randomised, Grad-CAM's map changed a lot, so it passed.", True),
    ("Once the weights were randomised, attention rollout's map changed a lot, so it passed.", False),
    ("IG's map hardly changed under randomised weights.", True),
    ("Grad-CAM's map hardly changed under randomised weights.", False),
    ("On signed similarity IG passes.", True),
    ("On signed similarity IG fails.", False),
    ("IG and attention rollout disagree, and both failed the randomisation check.", True),
    ("Grad-CAM and SLICE agree with each other, and both failed the sanity check.", False),
    # the imputation and IG's baseline read in their own clause; a region's clean-up count; the budget used
    ("Under the zero baseline no method beat the probability-map control; under blur, SLICE did.", True),
    ("With blur imputation, none of the methods outperformed the probability-map control.", False),
    ("No enhancing-tumour components were relabelled.", True),
    ("No whole-tumour components were removed.", False),
    ("The fast budget was used.", True),
    ("The full budget was used.", False),
    ("The methods' agreement was computed on superpixels.", True),
    ("The methods' agreement was computed per pixel.", False),
    # the case and run: orientation, the RANO region, the region explained, Grad-CAM's layer
    ("The image array follows LPS orientation.", True),
    ("The image array follows the RAS orientation convention.", False),
    ("RANO diameters were measured on the tumour core.", True),
    ("RANO diameters were measured on the oedema.", False),
    ("Attribution maps were generated for the whole tumour.", True),
    ("Attribution maps were generated for the tumour core.", False),
    ("Grad-CAM hooks layer x_0_2.", True),
    ("Grad-CAM hooks layer x_3_1.", False),
    ("Grad-CAM used a ReLU on its weighted activations.", True),
    ("Grad-CAM used a ReLU, as Hinton suggested.", False),
    # a dominant sequence with the method named inside the phrase
    ("By absolute share, FLAIR gets the largest IG attribution.", True),
    ("By absolute share, T2 gets the largest IG attribution.", False),
    # superlatives of a metric ("best"), per imputation, and the pointing game of every method
    ("SLICE has the best mass accuracy.", True),
    ("IG has the best mass accuracy.", False),
    ("With the blurred image, IG had the lowest deletion AUC.", True),
    ("With the blurred image, SLICE had the lowest deletion AUC.", False),
    ("Grad-CAM hits the pointing game.", True),
    ("Each of the four methods won the pointing game.", False),
    # structures compared with "exceeds"
    ("Frontal involvement exceeds occipital involvement.", True),
    ("Occipital involvement exceeds frontal involvement.", False),
    # radiological signs no tool reads
    ("The tool does not assess ring enhancement.", True),
    ("Ring enhancement is seen.", False),
    # a threshold named without its number, and two numbers set in an order
    ("The WT mean probability of 0.949 clears the high-confidence threshold.", True),
    ("SLICE's surrogate R² of 0.927 stays under the fidelity floor.", False),
    ("T1ce (71.7%) ranks ahead of FLAIR (12.9%) for the enhancing tumour.", True),
    ("T2 (9.1%) ranks ahead of FLAIR (12.9%) for the enhancing tumour.", False),
    # a hedge never stretches past one unit of the last digit written; a removal cut-off is exact
    ("The whole tumour is approximately 96 mL.", True),
    ("The whole tumour is approximately 98 mL.", False),
    ("Clean-up removed whole-tumour components under 10,000 voxels.", True),
    ("Clean-up removed whole-tumour components under 5,000 voxels.", False),
]


@pytest.mark.parametrize("text,passes", CASES)
def test_outside_corpus_j_phrasings(facts, text, passes):
    result = verify_text(text, facts)
    assert (result.status != "failed") == passes, (text, result.findings())
