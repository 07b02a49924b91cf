"""MedBrainInsight: brain-tumour MRI segmentation, explanation and grounded reporting.

A research tool, not a medical device.
"""

__version__ = "0.1.0"
