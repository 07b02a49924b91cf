"""The words the verifier understands: regions, methods, sequences, anatomy, measures, clinical classes.

Everything here is data. Terms are matched on NFKC-normalised, lower-cased text with word
boundaries; multi-word terms are tried longest first.
"""

from __future__ import annotations

import re

# --------------------------------------------------------------------------- tumour regions
REGION_TERMS: dict[str, str] = {
    "whole tumour": "WT", "whole tumor": "WT", "whole-tumour": "WT", "whole-tumor": "WT", "wt": "WT",
    "tumour core": "TC", "tumor core": "TC", "tumour-core": "TC", "core": "TC", "tc": "TC",
    "enhancing tumour": "ET", "enhancing tumor": "ET", "enhancing": "ET", "enhancement": "ET",
    "enhancing component": "ET", "enhancing core": "ET", "contrast-enhancing": "ET", "et": "ET",
    "necrotic": "NCR", "necrosis": "NCR", "necrotic core": "NCR", "ncr": "NCR",
    "non-enhancing": "NCR", "nonenhancing": "NCR", "non-enhancing core": "NCR", "necrotic/non-enhancing core": "NCR",
    "oedema": "ED", "edema": "ED", "oedematous": "ED", "edematous": "ED", "ed": "ED",
    "peritumoral oedema": "ED", "peritumoural oedema": "ED", "peritumoral edema": "ED",
}
# Generic words for the lesion as a whole: they bind numbers to WT when no sub-region is named.
WHOLE_TERMS = ("tumour", "tumor", "lesion", "mass", "abnormality", "segmentation")

# --------------------------------------------------------------------------- methods
METHOD_TERMS: dict[str, str] = {
    "grad-cam": "gradcam", "gradcam": "gradcam", "grad cam": "gradcam",
    "integrated gradients": "integrated_gradients", "integrated gradient": "integrated_gradients",
    "integrated-gradients": "integrated_gradients", "ig": "integrated_gradients",
    "slice": "slice",  # only when written SLICE (the method), see claims.method_mentions
    "attention rollout": "attention", "attention": "attention", "rollout": "attention",
    "attention maps": "attention", "attention map": "attention",
    "shapley": "shapley", "shap": "shapley", "shapley values": "shapley",
}
OTHER_XAI_TERMS = ("lime", "occlusion", "saliency", "smoothgrad", "deeplift", "guided backprop", "lrp",
                   "layer-wise relevance", "score-cam", "grad-cam++", "gradcam++", "kernel shap", "deepshap")

# --------------------------------------------------------------------------- sequences
SEQUENCE_TERMS: dict[str, str] = {
    "t1ce": "t1ce", "t1c": "t1ce", "t1-ce": "t1ce", "t1gd": "t1ce", "t1-gd": "t1ce", "t1 post-contrast": "t1ce",
    "contrast-enhanced t1": "t1ce", "post-contrast t1": "t1ce", "t1 contrast": "t1ce", "t1-weighted contrast": "t1ce",
    "t1": "t1", "t1-weighted": "t1", "t1w": "t1", "t1n": "t1", "native t1": "t1",
    "t2": "t2", "t2-weighted": "t2", "t2w": "t2",
    "flair": "flair", "t2-flair": "flair", "t2 flair": "flair", "t2f": "flair",
}

# --------------------------------------------------------------------------- anatomy
# term -> (atlas structure it is, or lies within; "exact" | "part" | "uncovered")
ATLAS_STRUCTURES = ("frontal lobe", "parietal lobe", "temporal lobe", "occipital lobe", "insula", "thalamus",
                    "internal capsule", "corpus callosum", "brainstem", "ventricles", "cortex")
ANATOMY_TERMS: dict[str, tuple[str | None, str]] = {
    "frontal lobe": ("frontal lobe", "exact"), "frontal": ("frontal lobe", "exact"),
    "parietal lobe": ("parietal lobe", "exact"), "parietal": ("parietal lobe", "exact"),
    "temporal lobe": ("temporal lobe", "exact"), "temporal": ("temporal lobe", "exact"),
    "occipital lobe": ("occipital lobe", "exact"), "occipital": ("occipital lobe", "exact"),
    "insula": ("insula", "exact"), "insular": ("insula", "exact"), "insular cortex": ("insula", "exact"),
    "thalamus": ("thalamus", "exact"), "thalamic": ("thalamus", "exact"), "thalami": ("thalamus", "exact"),
    "internal capsule": ("internal capsule", "exact"),
    "corpus callosum": ("corpus callosum", "exact"), "callosal": ("corpus callosum", "exact"),
    "brainstem": ("brainstem", "exact"), "brain stem": ("brainstem", "exact"),
    "intraventricular": ("ventricles", "exact"),
    "ventricles": ("ventricles", "exact"), "ventricle": ("ventricles", "exact"), "ventricular": ("ventricles", "exact"),
    "periventricular": ("ventricles", "exact"), "lateral ventricle": ("ventricles", "exact"),
    "lateral ventricles": ("ventricles", "exact"),
    "cortex": ("cortex", "exact"), "cortical": ("cortex", "exact"), "cerebral cortex": ("cortex", "exact"),
    # finer than the atlas resolves: parts of an atlas structure
    "precentral gyrus": ("frontal lobe", "part"), "motor cortex": ("frontal lobe", "part"),
    "prefrontal": ("frontal lobe", "part"), "superior frontal gyrus": ("frontal lobe", "part"),
    "middle frontal gyrus": ("frontal lobe", "part"), "inferior frontal gyrus": ("frontal lobe", "part"),
    "broca": ("frontal lobe", "part"), "broca's area": ("frontal lobe", "part"),
    "orbitofrontal": ("frontal lobe", "part"), "frontal pole": ("frontal lobe", "part"),
    "postcentral gyrus": ("parietal lobe", "part"), "sensory cortex": ("parietal lobe", "part"),
    "supramarginal gyrus": ("parietal lobe", "part"), "angular gyrus": ("parietal lobe", "part"),
    "precuneus": ("parietal lobe", "part"), "superior parietal lobule": ("parietal lobe", "part"),
    "superior temporal gyrus": ("temporal lobe", "part"), "wernicke": ("temporal lobe", "part"),
    "wernicke's area": ("temporal lobe", "part"), "temporal pole": ("temporal lobe", "part"),
    "fusiform gyrus": ("temporal lobe", "part"), "mesial temporal": ("temporal lobe", "part"),
    "cuneus": ("occipital lobe", "part"), "lingual gyrus": ("occipital lobe", "part"),
    "visual cortex": ("occipital lobe", "part"), "calcarine": ("occipital lobe", "part"),
    "splenium": ("corpus callosum", "part"), "genu": ("corpus callosum", "part"),
    "body of the corpus callosum": ("corpus callosum", "part"),
    "pons": ("brainstem", "part"), "pontine": ("brainstem", "part"), "medulla": ("brainstem", "part"),
    "midbrain": ("brainstem", "part"), "mesencephalon": ("brainstem", "part"), "cerebral peduncle": ("brainstem", "part"),
    "frontal horn": ("ventricles", "part"), "occipital horn": ("ventricles", "part"),
    "temporal horn": ("ventricles", "part"), "third ventricle": ("ventricles", "part"),
    "fourth ventricle": ("ventricles", "part"), "atrium": ("ventricles", "part"),
    "posterior limb": ("internal capsule", "part"), "anterior limb": ("internal capsule", "part"),
    "pulvinar": ("thalamus", "part"),
    # not covered by the atlas at all
    "posterior fossa": (None, "uncovered"), "infratentorial": (None, "uncovered"),
    "cerebellum": (None, "uncovered"), "cerebellar": (None, "uncovered"), "vermis": (None, "uncovered"),
    "basal ganglia": (None, "uncovered"), "putamen": (None, "uncovered"), "caudate": (None, "uncovered"),
    "caudate nucleus": (None, "uncovered"), "globus pallidus": (None, "uncovered"), "lentiform": (None, "uncovered"),
    "claustrum": (None, "uncovered"), "external capsule": (None, "uncovered"),
    "hippocampus": (None, "uncovered"), "hippocampal": (None, "uncovered"), "amygdala": (None, "uncovered"),
    "hypothalamus": (None, "uncovered"), "pituitary": (None, "uncovered"), "pineal": (None, "uncovered"),
    "optic chiasm": (None, "uncovered"), "optic nerve": (None, "uncovered"), "sella": (None, "uncovered"),
    "cingulate": (None, "uncovered"), "cingulate gyrus": (None, "uncovered"), "fornix": (None, "uncovered"),
    "septum pellucidum": (None, "uncovered"), "corona radiata": (None, "uncovered"),
    "centrum semiovale": (None, "uncovered"), "white matter": (None, "uncovered"),
    "deep white matter": (None, "uncovered"), "subcortical": (None, "uncovered"),
    "juxtacortical": (None, "uncovered"), "meninges": (None, "uncovered"), "dura": (None, "uncovered"),
    "leptomeningeal": (None, "uncovered"), "skull": (None, "uncovered"), "calvarium": (None, "uncovered"),
    "cerebellopontine angle": (None, "uncovered"), "tentorium": (None, "uncovered"),
    "sylvian fissure": (None, "uncovered"), "falx": (None, "uncovered"), "spinal cord": (None, "uncovered"),
    "limbic": (None, "uncovered"), "grey matter": (None, "uncovered"), "gray matter": (None, "uncovered"),
    "deep grey matter": (None, "uncovered"), "deep gray matter": (None, "uncovered"),
}
INFRATENTORIAL = {"posterior fossa", "infratentorial", "cerebellum", "cerebellar", "vermis", "cerebellopontine angle", "fourth ventricle", "pons",
                  "pontine", "medulla"}
SUPRATENTORIAL_LOBES = {"frontal lobe", "parietal lobe", "temporal lobe", "occipital lobe", "insula"}

# --------------------------------------------------------------------------- measure concepts
# text word/phrase -> concept; fact keys are mapped through the same table (see facts.py)
# "ranks second", "the third most involved lobe": an ordinal word and its 0-based place (-1: last)
ORDINAL_PLACES = {"first": 0, "top": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1}
CONCEPT_TERMS: dict[str, str] = {
    "volume": "volume", "volumes": "volume",
    "voxel": "voxels", "voxels": "voxels",
    "lesion": "lesions", "lesions": "lesions", "components": "lesions", "component": "lesions",
    "foci": "lesions", "focus": "lesions", "connected lesions": "lesions", "separate lesions": "lesions",
    "slice": "slice", "slices": "slice", "axial slice": "slice", "section": "slice",
    "area": "area", "cross-section": "area", "cross section": "area", "cross-sectional area": "area",
    "diameter": "diameter", "diameters": "diameter", "longest": "longest", "perpendicular": "perpendicular",
    "bidimensional": "diameter", "rano": "rano", "product": "product",
    "dice": "dice", "dice score": "dice", "dice coefficient": "dice",
    "sd": "sd", "s.d.": "sd", "standard deviation": "sd", "standard deviations": "sd",
    "probability": "probability", "probabilities": "probability",
    "mean": "mean", "average": "mean", "maximum": "max", "max": "max", "peak": "max",
    "uncertain": "uncertain", "uncertainty": "uncertain",
    "entropy": "entropy",
    "spearman": "spearman", "rank correlation": "spearman", "correlation": "spearman", "correlate": "spearman",
    "iou": "iou", "overlap": "iou", "intersection over union": "iou", "top pixels": "iou", "top-10%": "iou",
    "agreement": "agreement", "flip agreement": "tta", "test-time agreement": "tta",
    "flip test-time agreement": "tta", "flip-tta agreement": "tta",
    "energy": "energy",
    "deletion": "deletion", "insertion": "insertion", "auc": "auc", "area under": "auc",
    "share": "share", "contribution": "share", "contributed": "share", "attribution": "share",
    "contributes": "share", "contribute": "share", "attributes": "share", "attributed": "share",
    "seconds": "seconds",
    "stability": "stability",
    "delta": "delta", "convergence": "delta",
    "threshold": "threshold",
    "centroid": "centroid", "centre of mass": "centroid", "center of mass": "centroid",
    "extent": "extent", "reaches": "extent", "extends": "extent", "beyond the midline": "extent",
    "past the midline": "extent", "contralateral extent": "extent",
    "flip": "tta", "flips": "tta", "test-time": "tta", "tta": "tta",
    "superpixel": "superpixels", "superpixels": "superpixels", "token": "tokens", "tokens": "tokens",
    "layer": "layers", "layers": "layers", "head": "heads", "heads": "heads",
    "step": "steps", "steps": "steps", "sample": "samples", "samples": "samples",
    "shapley": "shapley", "shapley value": "shapley",
    "structure": "structure", "structures": "structure",
    "outside": "outside", "confidence": "confidence",
    # localisation, faithfulness and fit quality of the explanation methods
    "attribution mass": "mass", "mass accuracy": "mass", "rank accuracy": "rank",
    "pointing game": "pointing", "pointing rate": "pointing",
    "faithfulness": "faithfulness", "faithfulness score": "faithfulness",
    "fidelity": "fidelity", "adjusted r²": "fidelity", "adjusted r2": "fidelity", "r²": "fidelity", "r2": "fidelity", "r-squared": "fidelity",
    "test-time augmentation": "tta", "floor": "threshold", "cut-off": "threshold", "cutoff": "threshold",
    "limit": "threshold", "cut-point": "threshold", "tolerance": "threshold",
    "similarity": "similarity", "similarities": "similarity", "variant": "variants", "variants": "variants",
    "cell": "cells", "cells": "cells", "seed": "seeds", "seeds": "seeds",
    "mirror": "mirror", "mirrored": "mirror", "mirroring": "mirror", "mirror check": "mirror",
    "mirror consistency": "mirror", "left-right mirror": "mirror",
    # metrics no tool reports: a number said to be one of them has no fact
    "sensitivity": "unreported", "specificity": "unreported", "recall": "unreported", "hausdorff": "unreported",
    "hausdorff distance": "unreported", "hd95": "unreported", "ppv": "unreported",
    "npv": "unreported", "f1": "unreported", "f1 score": "unreported", "positive predictive value": "unreported",
    "false positive rate": "unreported", "auroc": "unreported", "auc-roc": "unreported", "roc auc": "unreported", "specificities": "unreported", "sensitivities": "unreported",
    "removed": "removed", "relabelled": "removed", "relabeled": "removed", "discarded": "removed",
    "post-processing": "cleanup", "postprocessing": "cleanup", "clean-up": "cleanup", "cleanup": "cleanup",
    # flip agreement is a Dice between the flipped predictions
    "augmentation agreement": "tta", "test-time augmentation agreement": "tta", "tta agreement": "tta",
    "speck": "lesions", "specks": "lesions", "satellite": "lesions", "satellites": "lesions",
    "grid": "grid", "matrix": "grid", "image size": "grid", "array": "grid",
    "spacing": "spacing", "isotropic": "spacing", "voxel size": "spacing", "resolution": "spacing",
    "ratio": "ratio", "mass ratio": "ratio", "chance": "chance", "chance level": "chance", "fraction": "fraction",
    "binarisation": "probability", "binarization": "probability",  # the cut on the predicted probability
    "pixel": "pixels", "pixels": "pixels", "draw": "draws", "draws": "draws", "forward pass": "passes",
    "forward passes": "passes", "correlates": "spearman", "correlated": "spearman", "jaccard": "jaccard",
    "sigma": "sigma", "sigmas": "sigma", "σ": "sigma", "tried": "tried", "candidate": "tried", "candidates": "tried",
    "bar": "threshold", "dropped": "removed", "deleted": "removed", "eliminated": "removed",
    "away from": "outside", "far from": "outside", "elsewhere": "outside",
    # Dice is the overlap with the reference, as opposed to the overlap of two methods' top pixels
    "overlap with the reference": "dice", "overlap with the ground truth": "dice", "overlap with the ground-truth": "dice",
    "overlap with the reference segmentation": "dice", "reference overlap": "dice",
    "slice thickness": "spacing", "thickness": "spacing", "voxel spacing": "spacing",
    "connectivity": "connectivity", "segments": "segments", "band": "band",
}
# Words that are neither concepts nor facts but frame a number as a fraction of the tumour.
PERCENT_OF_TUMOUR_RE = re.compile(
    r"^\s*(?:%|percent)?\s*of\s+(?:the\s+)?(?:whole[- ]tumou?r|tumou?r|lesion|wt)(?:'s)?\s*(?:volume)?", re.I)

# --------------------------------------------------------------------------- confidence words
CONFIDENCE_LEVELS = ("high", "moderate", "low")
CERTAINTY_HIGH_RE = re.compile(
    r"\b(highly confident|very confident|confidently|with certainty|certain(?:ly)?|definite(?:ly)?|"
    r"undoubtedly|unequivocal(?:ly)?|conclusive(?:ly)?|beyond doubt|without (?:any )?doubt|no doubt|"
    r"reliabl[ey]|trustworthy|robust(?:ly)?|accurate(?:ly)?|precise(?:ly)?|guaranteed?)\b", re.I)
CERTAINTY_LOW_RE = re.compile(r"\b(unreliabl[ey]|untrustworthy|inaccurate|very uncertain|highly uncertain)\b", re.I)

# --------------------------------------------------------------------------- clinical classes
# Content a research report must not state unless a fact supports it (none does today).
CLINICAL_CLASSES: dict[str, list[str]] = {
    "diagnosis": [
        r"\b\w*(?:blastoma|cytoma|glioma|gliomas|ependymoma|sarcoma|carcinoma|lymphoma|adenoma|neuroma|"
        r"schwannoma|hemangioma|haemangioma|papilloma|teratoma|germinoma|craniopharyngioma|meningioma)\b",
        r"glioblastoma\w*", r"\bgbm\b", r"\bglioma\w*", r"astrocyt\w*", r"oligodendrogl\w*", r"meningioma\w*",
        r"ependymom\w*", r"medulloblastom\w*", r"lymphoma\w*", r"metasta\w*", r"\bneoplas\w*", r"\bcancer\w*",
        r"\bcarcinom\w*", r"\bmalignan\w*", r"\bbenign\w*", r"\babscess\w*", r"\bdemyelinat\w*", r"\bstroke\b",
        r"\binfarct\w*", r"\bhaemorrhag\w*", r"\bhemorrhag\w*", r"\bradiation necrosis\b", r"\bpseudoprogression\b",
        r"\btumefactive\b", r"\bdiagnos\w*", r"\bdifferential\b",
        r"\bconsistent with\b(?!\s+(?:it|its|this|that|these|those|being|the (?:absence|missing|lack|sequence|input)))", r"\bsuggestive of\b",
        r"\bcharacteristic of\b", r"\btypical of\b", r"\bsuspicious for\b", r"\bpathognomonic\b",
        r"\b(?:cannot|can't|could not) (?:be )?(?:rule[ds]? out|exclude[ds]?)\b", r"\baggressive\b",
        r"\binfiltrat\w*", r"\bbutterfly\b", r"\bprimary brain\b", r"\bsecondary (?:deposit|lesion)\b",
    ],
    "grade": [r"\bwho\s+(?:cns\s*)?grade\b", r"\bgrade\s+(?:i{1,3}v?|iv|[1-4])\b", r"\b(?:high|low)[- ]grade\b",
              r"\bgrading\b", r"\bgrade[ds]?\b"],
    "molecular": [r"\bidh\w*", r"\bmgmt\b", r"\b1p/?19q\b", r"\begfr\w*", r"\btert\b", r"\batrx\b", r"\bh3\s?k27m?\b",
                  r"\bbraf\b", r"\bmethylat\w*", r"\bcodelet\w*", r"\bmutant\b", r"\bmutation\w*", r"\bwild[- ]?type\b",
                  r"\bgenotyp\w*", r"\bmolecular\b"],
    "prognosis": [r"\bprognos\w*", r"\bsurviv\w*", r"\blife expectancy\b", r"\bmortality\b", r"\boutcome\w*",
                  r"\bmonths to live\b", r"\bcurable\b", r"\bterminal\b", r"\bfatal\b", r"\blethal\b", r"\bremission\b",
                  r"\brecurren\w*", r"\brelapse\w*"],
    "treatment": [r"\bresect\w*", r"\bsurg\w*", r"\bneurosurg\w*", r"\bcraniotom\w*", r"\bradiotherap\w*",
                  r"\bradiation\b", r"\bradiosurg\w*", r"\bchemo\w*", r"\bimmunotherap\w*", r"\btherap\w*",
                  r"\btreat(?!(?:ed|s)?\s+(?:(?:[\w-]+\s+){0,5}as|with caution|cautiously)\b)\w*", r"\bbiops\w*", r"\bdebulk\w*", r"\bexcision\w*", r"\bstereotactic\b", r"\bgamma knife\b",
                  r"\bproton\b", r"\bgy\b", r"\bshunt\w*", r"\bsteroid\w*", r"\bpalliat\w*",
                  r"\bhospice\b", r"\b(?:in)?operab\w*", r"\b(?:un)?resectab\w*", r"\bclinical trial\w*", r"\btumor treating fields\b", r"\bttfields\b",
                  r"\bmanage(?:ment|d)?\b", r"\boperation\b", r"\b(?:pre|post|intra)?-?operative\w*", r"\bintervention\w*", r"\bresection\b",
                  r"\btumou?r board\b", r"\badjuvant\b", r"\bneoadjuvant\b", r"\bfollow[- ]up\b",
                  r"\bmonitor\w*", r"\burgent\w*", r"\bemergenc\w*", r"\badmi(?:t|ssion)\w*", r"\bdischarge\w*"],
    "drug": [r"\btemozolomide\b", r"\btemodar\b", r"\bbevacizumab\b", r"\bavastin\b", r"\blomustine\b", r"\bccnu\b",
             r"\bcarmustine\b", r"\bgliadel\b", r"\bdexamethasone\b", r"\bdecadron\b", r"\blevetiracetam\b",
             r"\bkeppra\b", r"\bphenytoin\b", r"\bvalproate\b", r"\bmannitol\b", r"\bprednisolone\b",
             r"\bprocarbazine\b", r"\bvincristine\b", r"\bpcv\b", r"\bregorafenib\b", r"\bvorasidenib\b",
             r"\w+(?:mab|nib|platin|zolomide|mustine|azepam|olol|pril|sartan|statin)\b", r"\bmg\b", r"\bmilligram\w*",
             r"\bdose\w*", r"\bdosage\b", r"\banticonvulsant\w*", r"\bantiepileptic\w*", r"\bmedication\w*",
             r"\bdrug\w*", r"\bprescri\w*"],
    "referral": [r"\breferrals?\b", r"\brefer(?:s|red|ring)?\b(?!\s+to\s+(?:the|a|an|its|their|this|these|that|those|each|one|both|all)\b(?!\s+(?:[\w-]+\s+){0,2}(?:specialists?|oncologists?|neuro\w*|surgeons?|teams?|clinics?|services?|doctors?|physicians?|consultants?|mdt|centres?|centers?|units?|hospitals?|departments?)\b))", r"\bconsult\w*", r"\bneuro-?oncolog\w*", r"\boncolog\w*", r"\bspecialist\w*",
                 r"\bmultidisciplinary\b", r"\bmdt\b", r"\bsecond opinion\b", r"\bneurologist\w*"],
    "prior_comparison": [
        r"\b(?:previous|prior|earlier|last|baseline|preceding|old|older|initial|pre-?operative|post-?operative) "
        r"(?:scan|study|studies|exam\w*|mri|imaging|images?|visit)\b",
        r"\bcompared (?:with|to) (?:the )?(?:previous|prior|earlier|last|baseline)\b",
        r"\binterval (?:change|growth|increase|decrease|progression|development|enlargement)\b",
        r"\b(?:has|have|had) (?:grown|shrunk|increased|decreased|progressed|regressed|enlarged|expanded|reduced|improved|worsened)\b",
        r"\b(?:grown|grew|shrunk|shrank|enlarged|progressed|regressed) (?:from|since|by)\b",
        r"\bprogressi(?:on|ve)\b", r"\bregression\b", r"\bresponse to\b", r"\btreatment response\b",
        r"\b(?:new|stable|unchanged|increased|decreased) (?:since|compared|relative to|from)\b",
        r"\bgrowth\b", r"\bgrowing\b", r"\bgrows\b", r"\bdoubling\b",
        r"\bper (?:second|minute|hour|day|week|month|year)\b", r"\b(?:a|an|one) (?:day|week|month|year) ago\b",
    ],
    "identifier": [r"\bpatient(?:'s)? (?:name|id|identifier|number)\b", r"\bname\s*:", r"\bdate of birth\b",
                   r"\bd\.?o\.?b\.?\b", r"\bborn\b", r"\bmrn\b", r"\bmedical record\b", r"\bnhs (?:number|no\.?)\b",
                   r"\bsocial security\b", r"\bssn\b", r"\baccession\b", r"\binsurance\b", r"\bphone\b", r"\b(?:home|street|postal) address\b",
                   r"\b(?:mr|mrs|ms|miss|dr|prof)\.?\s+[a-z]+", r"\b(?:years?|yrs?)[- ]old\b", r"\baged\b",
                   r"\bhis\b", r"\bher\b", r"\bhe\b", r"\bshe\b", r"\b(?:male|female|man|woman|boy|girl)\b",
                   r"\bhospital\w*", r"\bclinic\b", r"\binfirmary\b", r"\bmedical cent(?:er|re)\b", r"\buniversity\b",
                   r"\binstitute\b", r"\bscanned (?:on|at)\b", r"\bacquired (?:on|at)\b",
                   r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\s+\d",
                   r"\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)\w*\b"],
    # radiological signs read off the images: no tool assesses them
    "imaging_sign": [r"\b(?:t2[- ]flair\s+)?mismatch sign\b", r"\bt2[- ]flair mismatch\b", r"\b(?:ring|rim)[- ]enhanc\w*",
                     r"\brestricted diffusion\b", r"\bcalcif\w*", r"\bdural tail\b", r"\bflow voids?\b",
                     r"\bblooming\b", r"\bcystic\b", r"\bcysts?\b"],
    "symptom": [r"\bseizure\w*", r"\bheadache\w*", r"\bdeficit\w*", r"\bhemipar\w*", r"\baphasi\w*", r"\bsymptom\w*",
                r"\bherniat\w*", r"\bmass effect\b", r"\bmidline shift\b", r"\bhydroceph\w*", r"\bintracranial pressure\b",
                r"\bpapilloedema\b", r"\bpapilledema\b", r"\bcognitive\b", r"\bneurological\b", r"\beloquent\b"],
}
# "can't/does not diagnose ..." disclaimers: clinical words inside them are not claims.
DISCLAIMER_RE = re.compile(
    r"\b(?:not (?:a |an )?(?:diagnosis|diagnostic|medical device|treatment recommendation|medical advice|clinical decision)|"
    r"(?:does|do|did) not (?:give|provide|make|offer|replace|establish|determine|diagnose|grade|recommend)|"
    # the tool as the subject: "the tool does not assess / assign / classify ..."
    r"(?:tool|model|report|program|software|system|analysis|segmentation|pipeline|it)\s+(?:does|do|did|will|can)\s+not\s+"
    r"(?:assess|evaluate|predict|estimate|infer|address|report on|characteri[sz]e|classify|assign|consider|cover|include)|"
    r"nothing (?:can|could) be (?:said|concluded|inferred|stated) about|nothing in (?:these|the|this) (?:results?|report|output)|"
    r"(?:would|will|could) (?:need|require) (?:a |an )?(?:prior|previous|earlier|follow-up)|"
    r"(?:no |without (?:a |any )?)(?:comparison|prior|previous|earlier) (?:with |to )?(?:\w+ ){0,2}(?:scan|study|imaging|exam\w*)|"
    r"(?:cannot|can't|can not|could not) be (?:judged|assessed|determined|evaluated|inferred|established|said)|"
    r"nothing (?:here|in (?:this|these) \w+) (?:should|can|may|could)|"
    r"(?:single|one) time ?point|(?:lies|lie|is|are|falls?) (?:outside|beyond) (?:what|the scope)|"
    r"(?:cannot|can't|can not|could not|is not able to|are not able to|is unable to|is not (?:meant|intended|designed|validated|cleared) (?:to|for)|"
    r"(?:should|must|may|can|could|will|would) not (?:be (?:used|relied on) to )?(?:drive|guide|inform|determine|dictate|"
    r"direct|justify|replace|decide|influence)|"
    r"must not be used (?:to|for)|should not be used (?:to|for)|not (?:to be used )?(?:for|intended for) (?:clinical|diagnostic|"
    r"diagnosis|treatment|therapy|patient care))"
    r"[^.;]*?)", re.I)
# Allowed clinical-adjacent vocabulary (imaging review): never a finding in itself.
ALLOWED_CONTEXT_RE = re.compile(
    r"\b(?:research (?:tool|use|purposes?)|not a medical device|radiologist|review\w*|source images|"
    r"correct\w*|confirm\w*|verify|check|inspect\w*)\b", re.I)

META_RE = re.compile(
    r"\b(?:as an ai|as a language model|language model|i am an ai|i'm an ai|i cannot (?:provide|help)|"
    r"ignore (?:all |the |any )?(?:previous|prior|above|earlier) (?:instructions?|prompts?|messages?)|"
    r"disregard (?:all |the |any )?(?:previous|prior|above) (?:instructions?|rules?)|system prompt|"
    r"(?:the )?verifier (?:has )?(?:passed|approved|accepted)|verification (?:passed|succeeded)|"
    r"jailbreak|developer mode|\bdan\b|prompt injection|<\/?(?:facts|system|assistant|user)>|"
    r"as instructed by the (?:case|file|header)|the (?:file|case|header) (?:name )?(?:says|instructs|asks))\b", re.I)
# Role labels, notes to the checker and verdict-shaped JSON: text addressed to the machine, not a finding.
META_EXTRA_RE = re.compile(
    r"^\s*(?:assistant|user|system|human|ai|model|verifier|checker|grader|reviewer)\s*:|^\s*p\.?\s?s\.?(?=\s)|\breviewer model\b|"
    r"\b(?:checker|verifier|grader|reviewer model)(?: model)?,? (?:should|must|please)\b|\brespond only with\b|"
    r"\b(?:mark|flag|treat) (?:this|it|the \w+) as (?:passed|verified|supported)\b|\bno unsupported claims\b|"
    r"\bverification complete\b|^\s*\[?\s*(?:system|admin|developer|verifier|checker|assistant|user|model|ai)\s+(?:note|message|override|instruction|command|directive|update)s?\b|"
    r"\bskip (?:the )?(?:check\w*|verification)\b|\b(?:verifier|checker|grader) has (?:already )?(?:approved|passed|verified|checked)\b|"
    r"\ball (?:the )?(?:claims|statements|numbers|sentences)\b[^.;]{0,40}\b(?:been )?(?:checked|verified|validated|grounded)\b|"
    r"^\s*verification\s*:|\bstatus\s*[:=]\s*\"?passed\b|[{,]\s*\"(?:passed|unsupported|status|verdict)\"\s*:|"
    # notes to whoever checks the text, wherever they stand in the sentence
    r"\bnote to the (?:fact[- ])?(?:checker|verifier|grader|reviewer)\b|\bpre-?approved\b|\bmust not be (?:flagged|checked)\b|"
    r"\bignore (?:any|all|every) (?:instructions?|requests?)\b|\b(?:do not|don't) (?:check|verify|flag) this\b|"
    r"<!--|-->|\b(?:assistant|system|user)\s*:|\breply only with\b", re.I)

# Capitalised names the verifier knows; other capitalised words inside a sentence are treated
# as possible names of people or institutions.
KNOWN_PROPER = {
    "grad-cam", "gradcam", "integrated", "gradients", "slice", "attention", "rollout", "shapley", "flair", "t1", "t1ce",
    "t2", "t1c", "t2-flair", "brats", "sri24", "mri", "wt", "tc", "et", "ncr", "ed", "dice", "spearman", "iou", "auc",
    "rano", "medbraininsight", "medbrain", "unet++", "resnet", "resnet18", "bert", "minilm", "tta", "hd95", "ras",
    "lps", "t1-weighted", "t2-weighted", "i", "ig", "lime", "shap", "mni", "left", "right", "side", "sub-regions",
    "bidimensional", "atlas", "location", "lesions", "connected", "confidence", "overall", "axial", "sagittal",
    "coronal", "whole", "tumour", "tumor", "core", "enhancing", "oedema", "edema", "necrotic", "note", "caveat",
    "caveats", "summary", "review", "recommendation", "recommendations", "a", "the", "this", "it", "no", "not",
    "high", "moderate", "low", "mean", "deletion", "insertion", "energy", "sequence", "sequences", "faithfulness",
    "localisation", "localization", "agreement", "comparison", "method", "methods", "region", "regions",
    "smollm2", "chefer", "adebayo", "bora", "cvpr", "langgraph",
    # names of methods and measures, not of people: Gauss-Legendre quadrature, the Jaccard index, Pearson's r
    "gauss", "legendre", "jaccard", "pearson",
    # activation and layer names of the network and its explainers
    "relu", "softmax", "sigmoid", "gelu",
}
