"""agent layer of MedBrainInsight."""
