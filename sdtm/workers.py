"""Run independent calls on several CPU cores; the results come back in call order.

Validation runs dozens of independent checks over the same datasets. Where the operating
system can fork (Linux, macOS), the calls are shared out among forked worker processes: a
fork sees the parent's datasets without copying or pickling them, and only each call's result
travels back, pickled through a temporary file. Every process, this one included, takes the
next call nobody has taken yet, so one slow call does not hold the others up. The results are
returned in the order of the calls whichever process ran them, so what a caller builds from
them does not depend on the number of jobs.

While the workers work, this process can do other work first (``alongside``): a run
validates its datasets while they are exported, since the files written do not depend on the
findings.

With one job, fewer than two calls, or no ``os.fork`` (Windows), the calls run one after the
other in this process. Nothing is lost when a worker fails (killed, out of memory, a result
that cannot be pickled): the calls it took and did not report are run again here, and a
``RuntimeWarning`` says why. A call that raises is re-raised here, the one
first in call order, as it would be if the calls ran one after the other.

The calls run in a forked copy of this process, so they must not rely on side effects (a
worker's changes to shared objects are not seen here) nor write to the terminal through an
object another thread may hold a lock on (a progress display): they compute and return.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sdtm.memory import release_free_memory

T = TypeVar("T")

MAX_DEFAULT_JOBS = 4
"""The default number of jobs is the usable CPUs, at most this many.

Every worker holds its own copy of the memory pages it writes to (Python's reference counts
are writes), so more workers cost more memory; docs/scaling.md has the measured figures.
"""

_Outcome = tuple[bool, Any]
"""(True, result) or (False, the exception the call raised)."""


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def default_jobs() -> int:
    """The number of jobs used when none is given: usable CPUs, at most ``MAX_DEFAULT_JOBS``."""
    return max(1, min(usable_cpus(), MAX_DEFAULT_JOBS))


def can_fork() -> bool:
    """Whether calls can be shared out among forked workers on this system."""
    return hasattr(os, "fork")


def run_calls(
    calls: Sequence[Callable[[], T]],
    *,
    jobs: int = 1,
    costs: Sequence[float] | None = None,
    on_start: Callable[[int], None] | None = None,
    alongside: Callable[[], None] | None = None,
) -> list[T]:
    """Run every call and return their results in call order.

    Args:
        calls: Independent calls without arguments.
        jobs: Processes to use, this one included; 1 runs the calls here, one by one.
        costs: An estimate of each call's cost; with several jobs, costlier calls are started
            first, so the processes finish at about the same time. Without it, or with one
            job, calls start in order.
        on_start: Called in this process with a call's index before this process runs it
            (a progress display); calls run by a worker are not announced.
        alongside: Other work for this process: called here once the workers have started
            and before this process takes a call, so that it runs while the workers work
            (the run's validation while its datasets are exported). With one process it is
            called before the calls. An exception it raises stops the workers and is raised.

    Returns:
        ``[call() for call in calls]``.

    Raises:
        Exception: The exception of the first call, in call order, that raised one.
    """
    order = list(range(len(calls)))
    # Work alongside keeps this process busy: one call is then enough for a worker.
    workers = min(jobs, len(calls) + (alongside is not None)) - 1
    if workers < 1 or not can_fork():
        if alongside is not None:
            alongside()
        outcomes = dict(_run_taken(calls, iter(order), on_start))
    else:
        if costs is not None:
            order.sort(key=lambda index: -costs[index])
        outcomes = _run_forked(calls, order, workers, on_start, alongside)
    results = []
    for index in range(len(calls)):
        succeeded, value = outcomes[index]
        if not succeeded:
            raise value
        results.append(value)
    return results


def _run_taken(
    calls: Sequence[Callable[[], T]],
    taken: Iterator[int],
    on_start: Callable[[int], None] | None,
) -> Iterator[tuple[int, _Outcome]]:
    """Run the calls whose indexes ``taken`` yields, keeping each one's result or exception."""
    for index in taken:
        if on_start is not None:
            on_start(index)
        try:
            outcome: _Outcome = (True, calls[index]())
        except Exception as error:  # handed to the caller in call order
            outcome = (False, error)
        # A call's temporaries are given back before the next one adds its own: the calls
        # of a run are large (a dataset's export), and free heap counts in the peak.
        release_free_memory()
        yield index, outcome


def _run_forked(
    calls: Sequence[Callable[[], T]],
    order: list[int],
    workers: int,
    on_start: Callable[[int], None] | None,
    alongside: Callable[[], None] | None,
) -> dict[int, _Outcome]:
    import multiprocessing

    # A counter in shared memory: the position in ``order`` of the next call nobody has taken.
    next_position = multiprocessing.get_context("fork").Value("q", 0)

    def take() -> Iterator[int]:
        while True:
            with next_position.get_lock():
                position = next_position.value
                next_position.value = position + 1
            if position >= len(order):
                return
            yield order[position]

    outcomes: dict[int, _Outcome] = {}
    with tempfile.TemporaryDirectory(prefix="sdtm-workers-") as folder:
        children: dict[int, Path] = {}
        try:
            for number in range(workers):
                result_file = Path(folder) / f"worker-{number}.pickle"
                pid = os.fork()
                if pid == 0:  # pragma: no cover - runs in the worker; its results are tested
                    _work_and_exit(calls, take(), result_file)
                children[pid] = result_file
            if alongside is not None:
                alongside()
            outcomes.update(_run_taken(calls, take(), on_start))
            for pid, result_file in children.items():
                outcomes.update(_collect(pid, result_file))
            children.clear()
        finally:
            for pid in children:  # interrupted: do not leave workers behind
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
                    os.waitpid(pid, 0)
    # Calls a dead worker took and did not report are run here.
    missing = iter([index for index in order if index not in outcomes])
    outcomes.update(_run_taken(calls, missing, on_start))
    return outcomes


def _work_and_exit(
    calls: Sequence[Callable[[], Any]], taken: Iterator[int], result_file: Path
) -> None:  # pragma: no cover - runs in a forked worker
    status = 1
    try:
        outcomes = dict(_run_taken(calls, taken, None))
        with result_file.open("wb") as stream:
            pickle.dump(_picklable(outcomes), stream, protocol=pickle.HIGHEST_PROTOCOL)
        status = 0
    except BaseException as error:
        # Said by the main process, which runs this worker's calls again.
        _error_file(result_file).write_text(f"{type(error).__name__}: {error}", "utf-8")
    finally:
        # The worker is a copy of the parent: it must not run the parent's exit handlers
        # nor flush the parent's buffered output a second time.
        os._exit(status)


def _picklable(outcomes: dict[int, _Outcome]) -> dict[int, _Outcome]:
    """Exceptions that cannot be pickled travel as a RuntimeError with their text."""
    out: dict[int, _Outcome] = {}
    for index, (succeeded, value) in outcomes.items():
        if not succeeded:
            try:
                pickle.dumps(value)
            except Exception:  # any pickling failure
                value = RuntimeError(f"{type(value).__name__}: {value}")
        out[index] = (succeeded, value)
    return out


def _error_file(result_file: Path) -> Path:
    return result_file.with_suffix(".error")


def _collect(pid: int, result_file: Path) -> dict[int, _Outcome]:
    """Wait for one worker; its outcomes, or none (with a warning) when it failed."""
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and result_file.is_file():
        with result_file.open("rb") as stream:
            return pickle.load(stream)  # written by our own forked worker
    if _error_file(result_file).is_file():
        reason = _error_file(result_file).read_text("utf-8")
    elif os.WIFSIGNALED(status):
        reason = f"killed by signal {os.WTERMSIG(status)}"
    else:
        reason = f"exit status {os.WEXITSTATUS(status)}"
    # The results are complete all the same; the warning says why the work took longer.
    warnings.warn(
        f"a worker process failed ({reason}); its calls ran again in the main process",
        RuntimeWarning,
        stacklevel=4,
    )
    return {}
