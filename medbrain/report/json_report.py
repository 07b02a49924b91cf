"""Render a :class:`ReportDocument` as JSON (``report.json``): everything, machine-readable.

Keys are sorted and the output is strict JSON (NaN/inf become ``null``; numpy values,
Paths and objects with ``to_dict()`` are converted), so any JSON reader can load it.
"""

from __future__ import annotations

import json

from medbrain.report.document import ReportDocument


def render_json(doc: ReportDocument) -> str:
    """The whole report (facts, sections with source/verification, summary, verifier,
    provenance, scores, warnings, figure paths) as pretty-printed JSON text."""
    return json.dumps(doc.to_dict(), sort_keys=True, indent=2, ensure_ascii=False,
                      allow_nan=False, default=str) + "\n"
