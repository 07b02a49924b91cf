"""``python -m medbrain.train`` / ``torchrun ... -m medbrain.train``: same options as ``medbrain train run``."""

from medbrain.train.cli import main

if __name__ == "__main__":
    main()
