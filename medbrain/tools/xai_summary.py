"""Plain-text tables of the explanation facts (for ``medbrain explain`` and the benchmark)."""

from __future__ import annotations

from typing import Any, Mapping

Table = tuple[str, list[str], list[list[str]]]


def _f(value: Any, nd: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{float(value):.{nd}f}"


def method_table(facts: Mapping[str, Any], seconds: Mapping[str, float], title: str) -> Table:
    """One row per map method: faithfulness under both imputations, controls, localisation."""
    comp = facts.get("comparison") or {}
    columns = ["method", "del/ins 0", "del/ins blur", ">random", ">prob", "rank acc (lift)", "point", "consistent", "s"]
    rows = []
    for m in comp.get("methods", []):
        f = m.get("faithfulness") or {}
        b, bl = f.get("baseline", {}), f.get("blur", {})
        beats, prob = f.get("beats_random", {}), f.get("beats_probability", {})
        loc = m.get("localisation") or {}
        rows.append([m["method"], f"{_f(b.get('deletion_auc'), 2)}/{_f(b.get('insertion_auc'), 2)}",
                     f"{_f(bl.get('deletion_auc'), 2)}/{_f(bl.get('insertion_auc'), 2)}",
                     f"{_f(beats.get('baseline'))}/{_f(beats.get('blur'))}",
                     f"{_f(prob.get('baseline'))}/{_f(prob.get('blur'))}",
                     f"{_f(loc.get('rank_accuracy'), 2)} ({_f(loc.get('rank_lift'), 1)})",
                     _f(loc.get("pointing_game")), _consistent(m.get("consistency")),
                     f"{seconds.get(m['method'], 0):.0f}"])
    ctrl = comp.get("controls") or {}
    for name, key in (("random", "random"), ("prob. map", "probability")):
        c = ctrl.get(key) or {}
        if c:
            b, bl = c.get("baseline", {}), c.get("blur", {})
            rows.append([f"({name} control)", f"{_f(b.get('deletion_auc'), 2)}/{_f(b.get('insertion_auc'), 2)}",
                         f"{_f(bl.get('deletion_auc'), 2)}/{_f(bl.get('insertion_auc'), 2)}", "-", "-", "-", "-", "-", "-"])
    ref = comp.get("localisation_reference", "prediction")
    verdict = comp.get("faithfulness_verdict", "no clear winner")
    return (f"{title} | budget {comp.get('budget')} | localisation vs {ref} | most faithful: {verdict}",
            columns, rows)


def _consistent(c: Any) -> str:
    """ "yes (mirror 0.74)", "no (seeds)", "n/a": the method's consistency test and outcome."""
    if not isinstance(c, Mapping) or c.get("consistent") is None:
        return "n/a"
    test = "seeds" if c.get("test") == "independent seeds" else str(c.get("test"))
    rho = c.get("spearman_abs")
    return f"{_f(c['consistent'])} ({test}{'' if rho is None else ' ' + _f(rho, 2)})"


def shapley_table(facts: Mapping[str, Any]) -> Table | None:
    """Signed Shapley shares of the four sequences per region."""
    shap = (facts.get("explanations") or {}).get("shapley")
    if not shap:
        return None
    seqs = shap.get("players", ["t1", "t1ce", "t2", "flair"])
    rows = [[r, *[_f(v["share"][s]) for s in seqs], str(v["dominant_sequence"]), _f(v["efficiency_gap"], 6),
             _f(v.get("checks_ok"))] for r, v in shap["regions"].items()]
    return ("Which sequence drove the prediction (exact Shapley, signed share)",
            ["region", *seqs, "dominant", "efficiency gap", "checks ok"], rows)


def explain_tables(facts: Mapping[str, Any], seconds: Mapping[str, float], title: str) -> list[Table]:
    """The tables ``medbrain explain`` prints."""
    tables = [method_table(facts, seconds, title)] if facts.get("comparison") else []
    shap = shapley_table(facts)
    if shap:
        tables.append(shap)
    return tables
