"""A tiny training cache built from synthetic cases by the project's own generator."""

from __future__ import annotations

from pathlib import Path

import pytest

from medbrain.data.synthetic import make_synthetic_case
from medbrain.train.cache import prepare_cache

SHAPE = (64, 64, 24)


@pytest.fixture(scope="session")
def tiny_cache(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synthetic_data")
    for seed in range(4):
        make_synthetic_case(root, seed=seed, case_id=f"Synthetic_{seed:04d}", shape=SHAPE)
    cache = tmp_path_factory.mktemp("cache")
    prepare_cache(root, cache)
    return cache
