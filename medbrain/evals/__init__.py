"""evals layer of MedBrainInsight."""
