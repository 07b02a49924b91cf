"""data layer of MedBrainInsight."""
