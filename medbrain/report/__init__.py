"""report layer of MedBrainInsight."""
