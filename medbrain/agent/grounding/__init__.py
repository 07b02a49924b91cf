"""The verifier's parts: text handling, vocabulary, number binding and claim checks.

``text`` and ``lexicon`` (sentences, negation, vocabulary); ``number_mentions``,
``number_context``, ``number_binding`` (numbers read, their quantity, matched to facts);
``claim`` and ``mentions`` (the claim record, shared term finders); one module per kind of
claim: ``location_claims``, ``location_relations``, ``method_claims``, ``method_relations``,
``confidence_claims``, ``reliability_claims``, ``content_claims``.
"""
