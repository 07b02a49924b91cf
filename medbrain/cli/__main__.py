"""``python -m medbrain.cli``."""

from medbrain.cli import main

main()
