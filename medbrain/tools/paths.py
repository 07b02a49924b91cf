"""Allowed roots: tools read only below the data roots given on the command line, and
write only below the output root.

Every file that will actually be opened is checked, after resolving symlinks and '..':
a case folder inside a data root whose image files are symlinks to somewhere else is
refused, naming the file and where it points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from medbrain.data.discovery import CaseFiles, resolve_case
from medbrain.errors import MedBrainError, OutputError, PathNotAllowedError


def _under(resolved: Path, root: Path) -> bool:
    return resolved == root or root in resolved.parents


@dataclass
class AllowedRoots:
    """A path is allowed when, after resolving symlinks and '..', it lies under a root.

    ``require_all``: a case must have all four sequences (``--require-all``); by default a
    case with some of them is accepted and segmented from those.
    """

    roots: list[Path] = field(default_factory=list)
    require_all: bool = False

    @classmethod
    def of(cls, *paths: str | Path, require_all: bool = False) -> "AllowedRoots":
        return cls([Path(p).expanduser().resolve() for p in paths], require_all)

    def _allowed(self) -> str:
        return ", ".join(str(r) for r in self.roots)

    def check_path(self, path: str | Path) -> Path:
        """The resolved ``path`` if it lies under a root (the path itself only)."""
        resolved = Path(path).expanduser().resolve()
        if not self.roots:
            raise PathNotAllowedError("No data roots are allowed; pass --data-root DIR.")
        if any(_under(resolved, root) for root in self.roots):
            return resolved
        raise PathNotAllowedError(f"{path} is outside the allowed data roots ({self._allowed()}); "
                                  "pass its folder with --data-root to allow it.")

    def check_files(self, files: CaseFiles) -> CaseFiles:
        """Refuse a case any of whose files (images, label) resolves outside the roots."""
        for role, file in [*files.images.items(), ("label", files.label)]:
            if file is None:
                continue
            resolved = Path(file).resolve()
            if not any(_under(resolved, root) for root in self.roots):
                raise PathNotAllowedError(
                    f"The {role} file {file} of case {files.case_id} resolves to {resolved}, which is "
                    f"outside the allowed data roots ({self._allowed()}) (a symlink out of the data "
                    "root). Fix: copy the file into the case folder, or pass the folder it points "
                    "into with --data-root if you trust it.")
        return files

    def check_case(self, path: str | Path) -> CaseFiles:
        """Discover the case at ``path`` once and check it and every file of it against the roots."""
        return self.check_files(resolve_case(self.check_path(path), allow_missing=not self.require_all))

    def check(self, path: str | Path) -> Path:
        """The resolved ``path`` if it and every file of the case there lie under a root.

        A path that is not (yet) a recognisable case is only checked itself; loading it
        reports what is wrong with it.
        """
        resolved = self.check_path(path)
        try:
            files = resolve_case(resolved, allow_missing=not self.require_all)
        except MedBrainError:
            return resolved
        self.check_files(files)
        return resolved


@dataclass
class OutputRoot:
    """Outputs go only below ``root``: a relative path is taken under it, an absolute one
    (after resolving symlinks and '..') must lie under it."""

    root: Path

    @classmethod
    def of(cls, path: str | Path) -> "OutputRoot":
        return cls(Path(path).expanduser().resolve())

    def inside(self, path: str | Path | None = None) -> Path:
        """The resolved output folder for ``path`` (default: the root itself)."""
        if path is None or str(path).strip() == "":
            return self.root
        p = Path(str(path).strip()).expanduser()
        resolved = (p if p.is_absolute() else self.root / p).resolve()
        if not _under(resolved, self.root):
            raise OutputError(f"{path} is outside the output root {self.root}; reports are written "
                              "only below it. Fix: give a folder inside it (relative paths are "
                              "taken under it), or start with --out pointing elsewhere.")
        return resolved
