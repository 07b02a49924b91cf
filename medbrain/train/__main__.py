"""``python -m medbrain.train`` / ``torchrun ... -m medbrain.train``: same options as ``medbrain train run``."""

import sys

from medbrain.cli import train_app


def main() -> None:
    train_app(["run", *sys.argv[1:]], prog_name="medbrain.train")


if __name__ == "__main__":
    main()
