"""Exceptions that abort a run.

Problems in the data are never raised: they become findings. These exceptions are only for
situations in which the run cannot continue (an unreadable spec file, an output folder that
cannot be written). The CLI turns them into a one-line message and exit code 2.
"""


class SdtmError(Exception):
    """Base class of every error that stops a run; its message is shown to the user as is."""


class StandardsError(SdtmError):
    """The standards files under ``specs/`` are missing or malformed."""


class SpecError(SdtmError):
    """A mapping spec cannot be loaded at all (for example a YAML syntax error)."""


class MappingError(SdtmError):
    """The mapping stage cannot continue."""


class InputError(SdtmError):
    """An input file or folder cannot be read."""


class ExportError(SdtmError):
    """An export target cannot be written."""
