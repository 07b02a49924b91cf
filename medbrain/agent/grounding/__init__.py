"""The verifier's parts: text handling, vocabulary, number binding and claim checks."""
