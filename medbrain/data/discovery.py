"""Find BraTS cases on disk: BraTS 2018-2021, BraTS 2023+ and MSD Task01 layouts.

Only file names are inspected here; reading and validating the images is
:mod:`medbrain.data.loading`'s job.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from medbrain.errors import CaseNotFoundError, FileAccessError, MedBrainError, MissingModalityError
from medbrain.io import list_folder
from medbrain.labels import LabelConvention

MODALITIES: tuple[str, ...] = ("t1", "t1ce", "t2", "flair")

# MSD Task01 4-D images store the channels as FLAIR, T1w, T1gd, T2w.
MSD_CHANNELS: dict[str, int] = {"flair": 0, "t1": 1, "t1ce": 2, "t2": 3}

# layout -> (separator, {file suffix -> internal modality name or "seg"})
_FOLDER_LAYOUTS: dict[str, tuple[str, dict[str, str]]] = {
    "brats2018": ("_", {"t1": "t1", "t1ce": "t1ce", "t2": "t2", "flair": "flair", "seg": "seg"}),
    "brats2023": ("-", {"t1n": "t1", "t1c": "t1ce", "t2w": "t2", "t2f": "flair", "seg": "seg"}),
}
_CONVENTIONS = {
    "brats2018": LabelConvention.BRATS2018,
    "brats2023": LabelConvention.BRATS2023,
    "msd": LabelConvention.MSD,
}
_PATTERNS = {
    layout: re.compile(
        rf"^(?P<id>.+){re.escape(sep)}(?P<mod>{'|'.join(sorted(names, key=len, reverse=True))})"
        r"\.nii(?:\.gz)?$",
        re.IGNORECASE,
    )
    for layout, (sep, names) in _FOLDER_LAYOUTS.items()
}
_MSD_DIRS = {"imagesTr": "labelsTr", "imagesTs": "labelsTs"}
_NIFTI = re.compile(r"\.nii(?:\.gz)?$", re.IGNORECASE)

LAYOUT_HINT = (
    "Expected one of: a BraTS 2018-2021 case folder with <id>_t1, <id>_t1ce, <id>_t2, "
    "<id>_flair[, <id>_seg].nii.gz; a BraTS 2023+ case folder with <id>-t1n, <id>-t1c, "
    "<id>-t2w, <id>-t2f[, <id>-seg].nii.gz; or an MSD Task01 4-D image "
    "imagesTr/BRATS_XXX.nii.gz (label in ../labelsTr/)."
)


@dataclass(frozen=True)
class CaseFiles:
    """The files of one case. For MSD every modality maps to the same 4-D file."""

    case_id: str
    layout: str  # "brats2018" | "brats2023" | "msd"
    images: dict[str, Path] = field(hash=False)
    label: Path | None
    convention: LabelConvention

    @property
    def is_4d(self) -> bool:
        """True when all modalities live in one 4-D file (MSD)."""
        return self.layout == "msd"


@dataclass(frozen=True)
class CaseProblem:
    """A folder that looks like a case (or could not be searched) but cannot be used."""

    folder: Path
    error: MedBrainError = field(hash=False)

    @property
    def label(self) -> str:
        """Short name for summaries: the folder's name."""
        return self.folder.name or str(self.folder)


def _is_visible_nifti(p: Path) -> bool:
    """A visible entry named like a NIfTI file. It need not be a regular file: a folder,
    broken symlink or symlink loop with such a name is kept, so that loading names the
    real problem instead of calling the sequence missing."""
    return not p.name.startswith(".") and bool(_NIFTI.search(p.name))


def _strip_nifti(name: str) -> str:
    return _NIFTI.sub("", name)


def _scan_folder(folder: Path) -> dict[str, dict[str, dict[str, list[Path]]]]:
    """layout -> case id -> role (modality/"seg") -> files, for one folder."""
    found: dict[str, dict[str, dict[str, list[Path]]]] = {}
    for p in list_folder(folder):
        if not _is_visible_nifti(p):
            continue
        for layout, pattern in _PATTERNS.items():
            m = pattern.match(p.name)
            if m:
                role = _FOLDER_LAYOUTS[layout][1][m["mod"].lower()]
                found.setdefault(layout, {}).setdefault(m["id"], {}).setdefault(role, []).append(p)
    return found


def _pick_case(folder: Path, found: dict) -> tuple[str, str, dict[str, list[Path]]]:
    candidates = [(layout, cid, roles)
                  for layout, ids in found.items() for cid, roles in ids.items()]
    # Prefer the case whose id is the folder name; otherwise it must be unambiguous.
    named = [c for c in candidates if c[1] == folder.name]
    if len(named) == 1:
        return named[0]
    if len(candidates) == 1:
        return candidates[0]
    ids = sorted(f"{cid} ({layout})" for layout, cid, _ in candidates)
    raise CaseNotFoundError(
        f"Folder {folder} holds files of several cases: {', '.join(ids)}. "
        "Fix: put each case in its own folder named after its id."
    )


def _resolve_folder(folder: Path) -> CaseFiles:
    found = _scan_folder(folder)
    if not found:
        subdirs = any(p.is_dir() and not p.name.startswith(".") for p in list_folder(folder))
        root_hint = (" It has sub-folders: if it is a data root holding several cases, pass "
                     "one case folder (or list them with find_cases)." if subdirs else "")
        raise CaseNotFoundError(f"{folder} is not a case folder: no BraTS image files found."
                                f"{root_hint} " + LAYOUT_HINT)
    layout, case_id, roles = _pick_case(folder, found)
    sep, names = _FOLDER_LAYOUTS[layout]
    disk_name = {v: k for k, v in names.items()}
    for role, files in roles.items():
        if len(files) > 1:
            raise CaseNotFoundError(
                f"Case {case_id} in {folder} has several files for {role}: "
                f"{', '.join(f.name for f in files)}. Fix: keep exactly one."
            )
    missing = [m for m in MODALITIES if m not in roles]
    if missing:
        expected = ", ".join(f"{case_id}{sep}{disk_name[m]}.nii.gz" for m in missing)
        raise MissingModalityError(
            f"Case {case_id} in {folder} is missing modality {', '.join(missing)} "
            f"(expected file {expected}). All four of t1, t1ce, t2, flair are required."
        )
    images = {m: roles[m][0] for m in MODALITIES}
    label = roles["seg"][0] if "seg" in roles else None
    return CaseFiles(case_id, layout, images, label, _CONVENTIONS[layout])


def _resolve_msd(image: Path) -> CaseFiles:
    case_id = _strip_nifti(image.name)
    label_dir = image.parent.parent / _MSD_DIRS[image.parent.name]
    label = next((p for p in (label_dir / image.name, label_dir / f"{case_id}.nii.gz",
                              label_dir / f"{case_id}.nii") if p.is_file()), None)
    return CaseFiles(case_id, "msd", {m: image for m in MODALITIES}, label, LabelConvention.MSD)


def resolve_case(path: str | Path) -> CaseFiles:
    """Identify the case at ``path`` (a case folder, or an MSD ``imagesTr/*.nii.gz``).

    A single modality file of a BraTS case folder resolves to its folder.
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise CaseNotFoundError(f"Case path {p} does not exist. " + LAYOUT_HINT)
    if p.is_dir():
        return _resolve_folder(p)
    if _NIFTI.search(p.name) and p.parent.name in _MSD_DIRS:
        return _resolve_msd(p)
    if any(pat.match(p.name) for pat in _PATTERNS.values()):
        return _resolve_folder(p.parent)
    raise CaseNotFoundError(f"{p} is not a case: it is neither a case folder nor an MSD "
                            "imagesTr/ 4-D image. " + LAYOUT_HINT)


def scan_cases(root: str | Path) -> tuple[list[CaseFiles], list[CaseProblem]]:
    """Every case under ``root`` (searched recursively) and every folder that looks like a
    case but cannot be used (a sequence missing, files of several cases, a folder that
    cannot be listed), each with its error. Cases are sorted by case id, problems by folder.
    """
    base = Path(root).expanduser()
    if not base.is_dir():
        if base.is_file():
            return [resolve_case(base)], []
        raise CaseNotFoundError(f"Data root {base} does not exist or is not a folder. "
                                + LAYOUT_HINT)
    cases: list[CaseFiles] = []
    problems: list[CaseProblem] = []

    def unreadable(exc: OSError) -> None:
        folder = Path(exc.filename or base)
        reason = "permission denied" if isinstance(exc, PermissionError) else (exc.strerror or str(exc))
        problems.append(CaseProblem(folder, FileAccessError(
            f"Cannot search the folder {folder}: {reason}. Fix: make it readable and "
            "searchable by this user (chmod a+rx FOLDER), or move it out of the data root.")))

    for dirpath, dirnames, _ in os.walk(base, onerror=unreadable):
        dirnames[:] = sorted(d for d in dirnames
                             if not d.startswith(".") and d not in _MSD_DIRS.values()
                             and not _NIFTI.search(d))
        folder = Path(dirpath)
        try:
            if folder.name in _MSD_DIRS:
                cases += [_resolve_msd(p) for p in list_folder(folder) if _is_visible_nifti(p)]
                continue
            if not _scan_folder(folder):
                continue
            cases.append(_resolve_folder(folder))
        except MedBrainError as exc:
            problems.append(CaseProblem(folder, exc))
    cases.sort(key=lambda c: (c.case_id, str(c.images["t1"])))
    problems.sort(key=lambda p: str(p.folder))
    return cases, problems


def find_cases(root: str | Path, *, strict: bool = True) -> list[CaseFiles]:
    """All cases under ``root`` (searched recursively), sorted by case id.

    With ``strict=True`` the first unusable case folder raises its error; with
    ``strict=False`` such folders are skipped (use :func:`scan_cases` to report them).
    Raises CaseNotFoundError when no case is found; if folders were skipped, it says why.
    """
    cases, problems = scan_cases(root)
    if problems and strict:
        raise problems[0].error
    if not cases:
        if problems:
            reasons = "; ".join(f"{p.folder}: {p.error}" for p in problems[:3])
            raise CaseNotFoundError(f"No usable case under {root}: {reasons}")
        raise CaseNotFoundError(f"No cases found under {Path(root).expanduser()}. " + LAYOUT_HINT)
    return cases
