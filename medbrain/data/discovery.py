"""Find BraTS cases on disk: BraTS 2018-2021, BraTS 2023+ and MSD Task01 layouts.

Only file names are inspected here; reading and validating the images is
:mod:`medbrain.data.loading`'s job.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from medbrain.errors import CaseNotFoundError, FileAccessError, MedBrainError, MissingModalityError
from medbrain.io import access_problem, list_folder
from medbrain.labels import LabelConvention

MODALITIES: tuple[str, ...] = ("t1", "t1ce", "t2", "flair")


def subset_name(sequences) -> str:
    """Canonical name of a set of sequences: 'all', or the names in MODALITIES order joined by '+'."""
    names = set(sequences)
    return "all" if names >= set(MODALITIES) else "+".join(m for m in MODALITIES if m in names)


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

    @property
    def sequences(self) -> tuple[str, ...]:
        """The sequences this case has, in MODALITIES order."""
        return tuple(m for m in MODALITIES if m in self.images)

    @property
    def missing(self) -> tuple[str, ...]:
        """The sequences this case lacks (segmented without them unless all are required)."""
        return tuple(m for m in MODALITIES if m not in self.images)

    @property
    def first_image(self) -> Path:
        """The file of the first sequence present (the geometry reference)."""
        return self.images[self.sequences[0]]

    def require_all(self) -> "CaseFiles":
        """This case if it has all four sequences; else MissingModalityError naming the files."""
        if self.missing:
            raise MissingModalityError(
                f"Case {self.case_id} in {self.first_image.parent} is missing modality "
                f"{', '.join(self.missing)} (expected file {', '.join(self._expected_names())}). "
                "All four of t1, t1ce, t2, flair are required here (training, or --require-all); "
                "segment, explain, report and chat accept a case with some of them unless --require-all is given.")
        return self

    def _expected_names(self) -> list[str]:
        sep, names = _FOLDER_LAYOUTS[self.layout]
        disk_name = {v: k for k, v in names.items()}
        return [f"{self.case_id}{sep}{disk_name[m]}.nii.gz" for m in self.missing]


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
        entries = list_folder(folder)
        niftis = [p.name for p in entries if _is_visible_nifti(p)]
        if niftis:
            shown = ", ".join(niftis[:4]) + (f" and {len(niftis) - 4} more" if len(niftis) > 4 else "")
            raise CaseNotFoundError(
                f"{folder} is not a case folder: it holds NIfTI files whose names match no known "
                f"layout ({shown}), so none was read. Fix: rename them after the case id "
                "(e.g. CASE_t1.nii.gz ... CASE_flair.nii.gz), or move the folder out of the data "
                "root. " + LAYOUT_HINT)
        subdirs = any(p.is_dir() and not p.name.startswith(".") for p in entries)
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
    images = {m: roles[m][0] for m in MODALITIES if m in roles}
    if not images:  # only a label file: nothing to segment
        raise MissingModalityError(
            f"Case {case_id} in {folder} has no image: none of t1, t1ce, t2, flair was found "
            f"(expected files such as {case_id}{sep}{disk_name['flair']}.nii.gz). " + LAYOUT_HINT)
    label = roles["seg"][0] if "seg" in roles else None
    return CaseFiles(case_id, layout, images, label, _CONVENTIONS[layout])


def _resolve_msd(image: Path) -> CaseFiles:
    case_id = _strip_nifti(image.name)
    label_dir = image.parent.parent / _MSD_DIRS[image.parent.name]
    label = next((p for p in (label_dir / image.name, label_dir / f"{case_id}.nii.gz",
                              label_dir / f"{case_id}.nii") if p.is_file()), None)
    return CaseFiles(case_id, "msd", {m: image for m in MODALITIES}, label, LabelConvention.MSD)


def resolve_case(path: str | Path, *, allow_missing: bool = False) -> CaseFiles:
    """Identify the case at ``path`` (a case folder, or an MSD ``imagesTr/*.nii.gz``).

    A single modality file of a BraTS case folder resolves to its folder. A case without
    all four sequences raises MissingModalityError unless ``allow_missing``.
    """
    files = _resolve(path)
    return files if allow_missing else files.require_all()


def _resolve(path: str | Path) -> CaseFiles:
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


OUTPUT_STATE_DIR = ".medbrain"  # marks an output root (pipeline.outputs.STATE_DIR); never searched for cases


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _skipped_subfolder(name: str) -> bool:
    """Hidden folders, MSD label folders and folders named like NIfTI files are not searched."""
    return name.startswith(".") or name in _MSD_DIRS.values() or bool(_NIFTI.search(name))


def _dangling(link: Path) -> CaseProblem | None:
    """A problem for a symlink in the data root that leads nowhere (broken or a loop)."""
    if not link.is_symlink() or link.exists() or _is_visible_nifti(link) or link.name.startswith("."):
        return None
    problem = access_problem(link) or "cannot be followed"
    return CaseProblem(link, FileAccessError(
        f"{link} {problem}; if it was meant to be a case folder, it cannot be read. Fix: point the "
        "link at the case folder (ln -sfn TARGET LINK), or remove it."))


def _walk(base: Path, problems: list[CaseProblem]) -> Iterator[tuple[Path, list[Path]]]:
    """(folder, entries) for every folder to inspect under ``base``, top-down.

    Symlinked folders are followed, each real folder once (a link back to an ancestor, or a
    second link to one folder, is not searched again). A link that leads out of ``base`` is
    inspected itself but its sub-folders are not searched; the caller's allowed-roots check
    decides whether a case found there may be read. Folders that cannot be listed and
    dangling links become problems.
    """
    base_real = os.path.realpath(base)
    seen: set[str] = set()
    stack = [base]
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in seen:
            continue
        seen.add(real)
        try:
            entries = list_folder(folder)
        except FileAccessError as exc:
            problems.append(CaseProblem(folder, FileAccessError(
                f"Cannot search the folder {folder}: {_reason(exc)}. Fix: make it readable and "
                "searchable by this user (chmod a+rx FOLDER), or move it out of the data root.")))
            continue
        if folder != base and any(p.name == OUTPUT_STATE_DIR and p.is_dir() for p in entries):
            continue  # a medbrain output folder (e.g. --out inside --data-dir): our own results, not cases
        outside = not _under(real, base_real)
        yield folder, entries
        if outside:
            if not any(_is_visible_nifti(p) for p in entries):
                problems.append(CaseProblem(folder, CaseNotFoundError(
                    f"{folder} links to {real}, outside the data folder {base}, and is not a case "
                    "folder itself; folders reached through such a link are not searched. Fix: "
                    "link the case folders themselves, or pass that folder with --data-dir.")))
            continue
        subdirs = []
        for p in entries:
            if p.is_dir():
                if not _skipped_subfolder(p.name):
                    subdirs.append(p)
            elif (dangling := _dangling(p)) is not None:
                problems.append(dangling)
        stack.extend(reversed(subdirs))


def _reason(exc: FileAccessError) -> str:
    cause = exc.__cause__
    if isinstance(cause, PermissionError):
        return "permission denied"
    return (cause.strerror if isinstance(cause, OSError) and cause.strerror else str(exc))


def scan_cases(root: str | Path, *, allow_missing: bool = False) -> tuple[list[CaseFiles], list[CaseProblem]]:
    """Every case under ``root`` (searched recursively, symlinked folders followed once) and
    every folder that looks like a case but cannot be used (a sequence missing, files of
    several cases, NIfTI files with unrecognised names, a folder that cannot be listed, a
    dangling link), each with its error. Cases are sorted by case id, problems by folder.
    A case without all four sequences is a problem unless ``allow_missing``.
    """
    base = Path(root).expanduser()
    if not base.is_dir():
        if base.is_file():
            return [resolve_case(base, allow_missing=allow_missing)], []
        raise CaseNotFoundError(f"Data root {base} does not exist or is not a folder. "
                                + LAYOUT_HINT)
    cases: list[CaseFiles] = []
    problems: list[CaseProblem] = []
    for folder, entries in _walk(base, problems):
        try:
            if folder.name in _MSD_DIRS:
                cases += [_resolve_msd(p) for p in entries if _is_visible_nifti(p)]
            elif any(_is_visible_nifti(p) for p in entries):
                found = _resolve_folder(folder)
                cases.append(found if allow_missing else found.require_all())
        except MedBrainError as exc:
            problems.append(CaseProblem(folder, exc))
    cases.sort(key=lambda c: (c.case_id, str(c.first_image)))
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
