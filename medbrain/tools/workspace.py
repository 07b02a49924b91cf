"""Re-export of :mod:`medbrain.pipeline.workspace` (the case workspace is application code,
not an algorithm). Temporary: kept for medbrain/agent and medbrain/evals imports; remove
once they import ``medbrain.pipeline.workspace`` (tests/test_import_layers.py allowlists it)."""

from medbrain.pipeline.workspace import METHODS, RANDOMISATION_SETTINGS, CaseWorkspace, NotReadyError  # noqa: F401
