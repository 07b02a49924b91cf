"""The raw appendix: every part of the tool facts, the verifier's record and the
provenance as compact ``dotted.key | value`` tables (keys as stored, long lists summarised;
the complete values are in report.json)."""

from __future__ import annotations

from typing import Mapping

from medbrain.report.document import ReportDocument
from medbrain.report.tables import Table
from medbrain.report.values import flatten


def appendix_tables(doc: ReportDocument) -> list[Table]:
    """Raw facts (one table per top-level part), verification and provenance."""
    facts = doc.facts if isinstance(doc.facts, Mapping) else {}
    tables = [Table(f"Raw facts: {key}", ("Key", "Value"), flatten(value))
              for key, value in facts.items() if value is not None and value != {} and value != []]
    if doc.verifier:
        tables.append(Table("Verification", ("Check", "Value"), flatten(doc.verifier)))
    provenance = flatten(doc.provenance) if doc.provenance else []
    tables.append(Table("Provenance", ("Key", "Value"), provenance, note="" if provenance else "(none)"))
    return tables
