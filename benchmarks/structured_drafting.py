"""What an LLM contributes under structured drafting: sentences drafted, rendered and kept, per section.

For each case of the real eval suite (stored facts, no segmentation), the writer half of the
report graph drafts with ``drafting="structured"`` and runs the verifier loop; the table counts,
per section, the sentences the model drafted (all rounds), those that rendered (no typed
number, known references) and those in the final text that came from the model (``llm`` or
``llm-pruned`` sections), beside the section's source. A scripted "capable" model (replaying
JSON that cites the right references) runs in the same table as the upper bound.

    python benchmarks/structured_drafting.py --llm local --threads 2
"""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from medbrain.agent.fake import ScriptedChatModel
from medbrain.agent.grounding.text import split_sentences
from medbrain.agent.llm import make_chat_model, settings_from_env
from medbrain.agent.writer import SECTION_KEYS
from medbrain.evals.suites import load_suite
from medbrain.evals.writers import write_with_llm


def capable_draft(facts: dict) -> str:
    """JSON a capable model would return: one correct, referenced sentence per section."""
    return json.dumps({
        "clinical_assessment": ["The whole tumour measures {measurements.volumes_ml.WT}, with a tumour core of "
                                "{measurements.volumes_ml.TC}."],
        "method_comparison": ["{comparison.most_agreeing_pair} agree most closely."],
        "confidence": ["Overall confidence is {confidence.level}."],
        "recommendations": ["Start the review at axial slice {measurements.largest_axial_slice.slice_index}."],
        "patient_summary": ["The program outlined an area of {measurements.volumes_ml.WT} for your doctor to review."],
    })


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--llm", default="local", help="local or openai (the scripted model always runs).")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=600)
    args = ap.parse_args()
    items = load_suite("real").items
    llm = make_chat_model(settings_from_env(args.llm, n_threads=args.threads, max_tokens=args.max_tokens))
    table = Table(title="Structured drafting: sentences drafted / rendered / kept, and the section's source")
    for col in ("writer", "case", *SECTION_KEYS):
        table.add_column(col)
    totals: dict[str, list[int]] = {}
    for name in ("scripted capable", args.llm):
        for item in items:
            model = ScriptedChatModel([capable_draft(item.facts)] * 3) if name == "scripted capable" else llm
            written = write_with_llm(item.facts, model, drafting="structured")
            logs = [c for c in written.llm_calls if c.get("drafting")]
            cells = []
            for key in SECTION_KEYS:
                drafted = sum(c["sentences"].get(key, {}).get("drafted", 0) for c in logs if "sentences" in c)
                rendered = sum(c["sentences"].get(key, {}).get("rendered", 0) for c in logs if "sentences" in c)
                source = written.sources.get(key, "error")
                kept = 0 if source.startswith("grounded") else len(split_sentences(written.sections[key]))
                totals.setdefault(name, [0, 0, 0])
                totals[name] = [totals[name][0] + drafted, totals[name][1] + rendered, totals[name][2] + kept]
                cells.append(f"{drafted}/{rendered}/{kept} {source}")
            table.add_row(name, item.id, *cells)
    Console().print(table)
    for name, (d, r, k) in totals.items():
        print(f"{name}: {d} sentences drafted over all rounds, {r} rendered, {k} kept in the final text")


if __name__ == "__main__":
    main()
