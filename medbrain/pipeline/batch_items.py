"""Batch items from the command line: every case path or data-dir folder becomes an item,
with its error when it cannot be used (nothing is skipped silently). Light on imports, so a
bad path fails before any model or LLM library loads."""

from __future__ import annotations

from pathlib import Path

from medbrain.data.discovery import CaseFiles, scan_cases
from medbrain.errors import CaseNotFoundError, MedBrainError
from medbrain.pipeline.batch import BatchItem
from medbrain.tools.paths import AllowedRoots


def _input_path(files: CaseFiles) -> Path:
    """The path a case is given by: its folder, or the MSD 4-D image."""
    return files.first_image if files.layout == "msd" else files.first_image.parent


def items_from_paths(paths: list[Path], roots: AllowedRoots) -> list[BatchItem]:
    """One item per case path given on the command line (errors kept, not raised)."""
    items = []
    for path in paths:
        try:
            files = roots.check_case(path)  # discovered once; the report reuses it
            items.append(BatchItem(files.case_id, _input_path(files), files.case_id, files=files))
        except MedBrainError as exc:
            items.append(BatchItem(Path(path).name or str(path), Path(path), error=exc))
    return items


def items_from_data_dir(data_dir: Path, roots: AllowedRoots) -> list[BatchItem]:
    """One item per case folder under ``data_dir``, usable or not (nothing is skipped silently)."""
    cases, problems = scan_cases(data_dir, allow_missing=not roots.require_all)
    items = []
    for files in cases:
        path = _input_path(files)
        try:
            roots.check_path(path)
            roots.check_files(files)
            items.append(BatchItem(files.case_id, path, files.case_id, files=files))
        except MedBrainError as exc:
            items.append(BatchItem(files.case_id, path, error=exc))
    base = Path(data_dir).expanduser()
    for problem in problems:
        try:
            label = str(problem.folder.relative_to(base)) if problem.folder != base else problem.label
        except ValueError:
            label = problem.label
        items.append(BatchItem(label, problem.folder, error=problem.error))
    if not items:
        raise CaseNotFoundError(f"No cases found under {data_dir}: no folder there holds BraTS-named images "
                                "(<id>_t1.nii.gz ... or <id>-t1n.nii.gz ...) or an MSD imagesTr/ folder.")
    return items
