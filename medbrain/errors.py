"""One exception family for every problem a user can fix.

The CLI prints ``str(error)`` and exits non-zero without a traceback, so each message
says what was wrong and, where possible, how to fix it.
"""

from __future__ import annotations


class MedBrainError(Exception):
    """Base class of all user-facing errors."""

    exit_code: int = 2


class CaseNotFoundError(MedBrainError):
    """The path does not exist or is not a recognisable case."""


class MissingModalityError(MedBrainError):
    """A case lacks one of the four required MRI sequences."""


class ShapeMismatchError(MedBrainError):
    """Images of one case (or image and label) have different shapes."""


class GeometryMismatchError(MedBrainError):
    """Images of one case have affines that disagree."""


class InvalidImageError(MedBrainError):
    """An image is not 3-D, holds NaN/Inf, or is all zero."""


class UnknownLabelError(MedBrainError):
    """A label map holds values outside its convention."""


class CorruptFileError(MedBrainError):
    """A file cannot be read (truncated, not NIfTI, ...)."""


class CheckpointError(MedBrainError):
    """A checkpoint is missing, malformed, or not in safetensors + JSON form."""


class PathNotAllowedError(MedBrainError):
    """A path lies outside the allowed data roots."""


class ConfigError(MedBrainError):
    """An option or configuration value is invalid."""


class FileAccessError(MedBrainError):
    """A file or folder exists but cannot be opened: permission denied, a directory where a
    file belongs, a broken symlink, a symlink loop, a FIFO or device."""


class InvalidGeometryError(MedBrainError):
    """An image's affine or voxel size is unusable: singular, sheared, zero or not finite."""


class ImageTooLargeError(InvalidImageError):
    """An image header declares more voxels than the file holds or than is sane to read."""


class OutputError(MedBrainError):
    """An output path cannot be used: an existing file where a folder belongs, not writable,
    outside the output root, or claimed by another input."""


class CaseBusyError(MedBrainError):
    """Another medbrain process is writing the same case's output right now."""
