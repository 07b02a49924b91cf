"""The verifier's parts: text handling, vocabulary, number binding and claim checks.

``text`` and ``lexicon`` (sentences, negation, vocabulary); ``number_mentions``,
``number_context``, ``number_lists``, ``number_qualifiers``, ``number_tuples``, ``number_binding``
(numbers read, their quantity, matched to facts); ``claim`` and ``mentions`` (the claim record,
shared term finders); one module per kind of claim: ``location_claims``, ``location_relations``,
``method_claims``, ``agreement_claims``, ``dominance_claims``, ``method_relations``,
``localisation_claims``, ``sign_claims``, ``confidence_claims``, ``reliability_claims``,
``content_claims``.
"""
