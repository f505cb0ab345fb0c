"""Give the memory a process has freed back to the operating system.

CPython and pandas free most of a stage's temporaries into the C library's heap, which keeps
the pages for later use: after the derive stage of a 1,000-subject run the process held
484 MiB, of which 201 MiB were free heap (measured with ``malloc_trim``). Those pages count in
the process's resident memory, and every worker forked later shares them. Releasing them
between stages lowers the run's peak memory; it changes no data.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """The C library's ``malloc_trim`` (glibc), or ``None`` where it has none (macOS, musl)."""
    try:
        # The symbols the process has loaded, the C library's among them: no search for the
        # library file (``ctypes.util.find_library`` runs ``ldconfig`` in a child process).
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError, TypeError):
        return None


def release_free_memory() -> bool:
    """Return the heap's free pages to the operating system; ``False`` where it cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
