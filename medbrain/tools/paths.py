"""Allowed data roots: tools read only below the folders given on the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from medbrain.errors import PathNotAllowedError


@dataclass
class AllowedRoots:
    """A path is allowed when, after resolving symlinks and '..', it lies under a root."""

    roots: list[Path] = field(default_factory=list)

    @classmethod
    def of(cls, *paths: str | Path) -> "AllowedRoots":
        return cls([Path(p).expanduser().resolve() for p in paths])

    def check(self, path: str | Path) -> Path:
        resolved = Path(path).expanduser().resolve()
        if not self.roots:
            raise PathNotAllowedError("No data roots are allowed; pass --data-root DIR.")
        for root in self.roots:
            if resolved == root or root in resolved.parents:
                return resolved
        allowed = ", ".join(str(r) for r in self.roots)
        raise PathNotAllowedError(f"{path} is outside the allowed data roots ({allowed}); "
                                  "pass its folder with --data-root to allow it.")
