"""tools layer of MedBrainInsight."""
