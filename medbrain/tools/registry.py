"""Re-export of :mod:`medbrain.pipeline.registry` (the LangChain tool registry is application
code). Temporary: kept for medbrain/agent imports; remove once they import
``medbrain.pipeline.registry`` (tests/test_import_layers.py allowlists it)."""

from medbrain.pipeline.registry import build_tools  # noqa: F401
