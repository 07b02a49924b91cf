"""model layer of MedBrainInsight."""
