"""The analysis graph (LangGraph): a case in, its facts and figure out.

load -> segment -> (measure || plan -> gradcam -> integrated_gradients -> slice -> attention
-> compare) -> confidence -> figure.

Explanation nodes run one after another: they share one network and captum's hooks, so
threads would corrupt each other; measurement (numpy only) runs beside them. The
workspace does the computing and holds the arrays (volumes, maps); every fact, the plan,
the figure paths and the warnings travel in the graph state, which is what the writing
graph (:mod:`medbrain.agent.writing_graph`) takes as input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from langgraph.graph import END, START, StateGraph

from medbrain.agent.state import AnalysisState
from medbrain.labels import region_masks
from medbrain.pipeline.workspace import METHODS, CaseWorkspace


class AnalysisGraph:
    """Builds and runs the analysis graph for one workspace."""

    def __init__(self, workspace: CaseWorkspace, *, region: str = "WT", methods: tuple[str, ...] = METHODS,
                 figure_dir: Path | None = None):
        self.ws = workspace
        self.region = region
        self.methods = methods
        self.figure_dir = figure_dir
        self.graph = self._build()

    def load(self, state: AnalysisState) -> dict:
        self.ws.load(state["case_path"])  # no work when the caller loaded this case already
        return {"facts": {"case": self.ws.facts["case"]}, "warnings": []}

    def segment(self, state: AnalysisState) -> dict:
        return {"facts": {"segmentation": self.ws.segment()}}

    def measure(self, state: AnalysisState) -> dict:
        return {"facts": {"measurements": self.ws.measure()}}

    def plan_explanations(self, state: AnalysisState) -> dict:
        if not region_masks(self.ws.prediction.label)[self.region].any():
            return {"plan": None,
                    "warnings": [f"No {self.region} was predicted: explanation methods were not run."]}
        return {"plan": {"region": self.region, "slice": self.ws.default_slice(self.region)}}

    def _explain_node(self, method: str) -> Callable[[AnalysisState], dict]:
        def node(state: AnalysisState) -> dict:
            plan = state.get("plan")
            if plan is None or method not in self.methods:
                return {}
            if method == "attention" and self.ws.model.bottleneck is None:
                return {}
            self.ws.explain(method, plan["region"], plan["slice"])
            return {"facts": {"explanations": dict(self.ws.facts["explanations"])}}

        node.__name__ = method
        return node

    def compare(self, state: AnalysisState) -> dict:
        if state.get("plan") is None or not self.ws.maps:
            return {}
        return {"facts": {"comparison": self.ws.compare()}}

    def confidence(self, state: AnalysisState) -> dict:
        return {"facts": {"confidence": self.ws.confidence()}}

    def figure(self, state: AnalysisState) -> dict:
        if not self.ws.maps or self.figure_dir is None:
            return {"figures": []}
        region, _ = self.ws.explained
        path = self.ws.montage(self.figure_dir / f"{self.ws.case.case_id}_{region}_montage.png")
        return {"figures": [str(path)]}

    def _build(self):
        g = StateGraph(AnalysisState)
        explain_nodes = [f"explain_{m}" for m in METHODS]
        for name, fn in [("load", self.load), ("segment", self.segment), ("measure", self.measure),
                         ("plan_explanations", self.plan_explanations), ("compare", self.compare),
                         ("confidence", self.confidence), ("figure", self.figure)]:
            g.add_node(name, fn)
        for method, node in zip(METHODS, explain_nodes):
            g.add_node(node, self._explain_node(method))
        g.add_edge(START, "load")
        g.add_edge("load", "segment")
        g.add_edge("segment", "measure")
        g.add_edge("segment", "plan_explanations")
        chain = ["plan_explanations", *explain_nodes, "compare"]
        for a, b in zip(chain, chain[1:]):
            g.add_edge(a, b)
        g.add_edge(["measure", "compare"], "confidence")
        g.add_edge("confidence", "figure")
        g.add_edge("figure", END)
        return g.compile()

    def run(self, case_path: str | Path) -> AnalysisState:
        return self.graph.invoke({"case_path": str(case_path)}, {"recursion_limit": 30})
