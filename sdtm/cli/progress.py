"""Progress display of long commands on stderr (stdout stays parseable), silent with --quiet.

``StageProgress`` is the ``progress`` callback ``run_study`` takes. Each new message starts a
stage; the previous one is closed with its time. On a terminal the stages are a rich progress
display: a bar, the records done and records per second when the caller reports counts
(``progress(message, done=..., total=...)``), else a pulsing bar and the elapsed time. Off a
terminal (CI logs, pipes) each finished stage is one plain line. After the run,
``print_throughput`` gives the run's records per second.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


def _speed_column() -> Any:
    from rich.progress import ProgressColumn
    from rich.text import Text

    class RecordsPerSecond(ProgressColumn):
        """Records done and records per second, for stages that report counts."""

        def render(self, task: Any) -> Text:
            if task.total is None or not task.fields.get("counted"):
                return Text("")
            # Records over the stage's elapsed time: rich's own speed needs several samples.
            elapsed = task.elapsed
            rate = f", {task.completed / elapsed:,.0f} records/s" if elapsed else ""
            return Text(f"{int(task.completed):,}/{int(task.total):,} records{rate}")

    return RecordsPerSecond()


class StageProgress:
    """A ``progress`` callback showing the pipeline's stages on ``console`` (stderr).

    Args:
        console: Where to draw (stderr).
        title: Prefix of every stage line (``sdtm run``).
        enabled: ``False`` (``--quiet``) shows nothing.
    """

    def __init__(self, console: Console, title: str, *, enabled: bool = True) -> None:
        self.console = console
        self.title = title
        self.enabled = enabled
        self.live = enabled and console.is_terminal
        self.stage: str | None = None
        self.started = time.perf_counter()
        self.stage_started = self.started
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> StageProgress:
        self.started = self.stage_started = time.perf_counter()
        if self.live:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                _speed_column(),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
            )
            self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._close_stage(failed=error is not None)
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, message: str, *, done: int | None = None, total: int | None = None) -> None:
        """Start the stage ``message``, or report ``done`` of ``total`` records within it."""
        if not self.enabled:
            return
        if message != self.stage:
            self._close_stage()
            self.stage = message
            self.stage_started = time.perf_counter()
            if self._progress is not None:
                self._task = self._progress.add_task(
                    f"{self.title}: {message}", total=total, counted=total is not None
                )
        if self._progress is not None and self._task is not None and done is not None:
            self._progress.update(self._task, completed=done, total=total, counted=True)

    def _close_stage(self, *, failed: bool = False) -> None:
        if self.stage is None or not self.enabled:
            return
        seconds = time.perf_counter() - self.stage_started
        if self._progress is not None and self._task is not None:
            task = next(t for t in self._progress.tasks if t.id == self._task)
            total = task.total if task.total is not None else 1
            self._progress.update(self._task, total=total, completed=total)
            self._progress.stop_task(self._task)
        elif not failed:
            self.console.print(f"{self.title}: {self.stage} ({seconds:.1f} s)", highlight=False)
        self.stage = None
        self._task = None

    def print_throughput(self, raw_rows: int, records: int) -> None:
        """Print the run's raw rows and SDTM records per second of wall time."""
        if not self.enabled:
            return
        seconds = max(time.perf_counter() - self.started, 1e-9)
        self.console.print(
            f"{self.title}: {raw_rows:,} raw rows -> {records:,} SDTM records in "
            f"{seconds:.1f} s ({records / seconds:,.0f} records/s)",
            highlight=False,
        )
