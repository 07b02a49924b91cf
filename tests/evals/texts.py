"""Hand-written report texts for the grader tests (facts: ``tests.agent.facts_fixture.sample_facts``).

sample_facts: WT 81.79 mL, ET 12.07 mL, left (98.2 %), no midline crossing, frontal lobe +
insula, confidence moderate, Grad-CAM/attention agree most, Integrated Gradients/SLICE least.
"""

GOOD = """## 1. Clinical assessment
The model segmented a whole tumour of 81.79 mL in the left hemisphere, mainly in the frontal lobe,
with 12.07 mL of enhancing tumour. The tumour does not cross the midline.

## 2. Comparison of explanation methods
Grad-CAM and attention rollout agree most (Spearman 0.61).
Integrated Gradients and SLICE agree least (Spearman -0.12).

## 3. Confidence analysis
Overall confidence is moderate; the ET region may be less reliable (flip agreement 0.81).

## 4. Clinical recommendations
A radiologist should review axial slice 78 on FLAIR and T1ce. This is not a diagnosis.

## Patient summary
A computer program found an area of about 81.79 mL on the left side of the brain. It may be a tumour.
Your doctor will check the scan with you.
"""


def _blocks(text: str) -> list[str]:
    """The text's sections, each starting with its heading title (no '## ')."""
    assert text.startswith("## ")
    return text[3:].split("\n## ")


def without_section(text: str, heading: str) -> str:
    """``text`` without the section whose heading starts with ``heading``."""
    return "## " + "\n## ".join(b for b in _blocks(text) if not b.startswith(heading))


def swap_first_two_sections(text: str) -> str:
    first, second, *rest = _blocks(text)
    return "## " + "\n## ".join([second, first, *rest])
