"""train layer of MedBrainInsight."""
