"""The explanation montage: written atomically, non-blank, expected size."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from medbrain.errors import MedBrainError
from medbrain.report.figures import figure_size, montage


def phantom(size: int = 48) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    i, j = np.mgrid[:size, :size]
    head = (i - size / 2) ** 2 + (j - size / 2) ** 2 <= (size / 2 - 3) ** 2
    image = np.where(head, 1.0 + 0.2 * np.sin(i / 3.0), 0.0)
    label = np.zeros((size, size), np.uint8)
    label[(i - 20) ** 2 + (j - 28) ** 2 <= 64] = 2
    label[(i - 20) ** 2 + (j - 28) ** 2 <= 25] = 4
    label[(i - 20) ** 2 + (j - 28) ** 2 <= 4] = 1
    maps = {
        "gradcam": np.exp(-((i - 20) ** 2 + (j - 28) ** 2) / 50.0),
        "integrated_gradients": np.sin(i / 4.0) * np.cos(j / 5.0),
        "slice": np.where(label > 0, 0.3, 0.0) - np.where((i > 35) & head, 0.1, 0.0),
    }
    return image, label, maps


def test_montage_is_written_non_blank_and_sized(tmp_path):
    image, label, maps = phantom()
    out = montage(image, label, label, maps, "Case X - WT - z=12", tmp_path / "sub" / "montage.png",
                  image_name="FLAIR", sides=("R", "L"))
    assert out == tmp_path / "sub" / "montage.png" and out.is_file()
    assert [p.name for p in out.parent.iterdir()] == ["montage.png"]  # no temporary file left
    with Image.open(out) as im:
        assert im.size == figure_size(3, has_truth=True)
        pixels = np.asarray(im.convert("RGB"), dtype=np.float64)
    assert pixels.std() > 20  # not blank
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 100  # many colours: images and maps


def test_montage_without_truth_and_with_bool_mask(tmp_path):
    image, label, maps = phantom()
    out = montage(image, None, label, {"attention": maps["gradcam"]}, "no truth", tmp_path / "a.png", dpi=60)
    with Image.open(out) as im:
        assert im.size == figure_size(1, has_truth=False, dpi=60)
    out2 = montage(image, label > 0, label, {}, "bool truth", tmp_path / "b.png")
    assert out2.is_file()


def test_montage_rejects_mismatched_shapes(tmp_path):
    image, label, maps = phantom()
    with pytest.raises(MedBrainError, match="shape"):
        montage(image, None, label[:10], maps, "bad", tmp_path / "c.png")
    with pytest.raises(MedBrainError, match="expected internal labels"):
        montage(image, None, label + 5, {}, "bad", tmp_path / "d.png")
    assert not (tmp_path / "c.png").exists()
