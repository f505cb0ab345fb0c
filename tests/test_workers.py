"""run_calls: results in call order for any number of jobs; nothing lost when a worker fails."""

import os
import pickle
import time

import pytest

from sdtm.workers import _picklable, can_fork, default_jobs, run_calls

needs_fork = pytest.mark.skipif(not can_fork(), reason="no os.fork on this system")


def _square(number: int) -> int:
    return number * number


def _pid_after_nap(_: int) -> int:
    time.sleep(0.05)
    return os.getpid()


def _call(function, *args):
    return lambda: function(*args)


@pytest.mark.parametrize("jobs", [1, 2, 3, 7])
def test_results_come_back_in_call_order(jobs):
    calls = [_call(_square, number) for number in range(25)]
    # Costs that start the calls in reverse order: the results keep the call order.
    costs = [float(number) for number in range(25)]
    assert run_calls(calls, jobs=jobs, costs=costs) == [n * n for n in range(25)]


@needs_fork
def test_two_jobs_run_calls_in_two_processes():
    pids = run_calls([_call(_pid_after_nap, n) for n in range(8)], jobs=2)
    assert len(set(pids)) == 2
    assert os.getpid() in pids


def test_one_job_runs_every_call_here_and_announces_each_in_order():
    started = []
    pids = run_calls([_call(_pid_after_nap, n) for n in range(3)], jobs=1, on_start=started.append)
    assert set(pids) == {os.getpid()}
    assert started == [0, 1, 2]


@needs_fork
def test_only_the_calls_run_here_are_announced():
    started = []
    pids = run_calls([_call(_pid_after_nap, n) for n in range(8)], jobs=2, on_start=started.append)
    here = [index for index, pid in enumerate(pids) if pid == os.getpid()]
    assert sorted(started) == here


def _fail(kind: type[Exception], text: str) -> None:
    raise kind(text)


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_first_failing_call_in_call_order_is_raised(jobs):
    calls = [_call(_square, 2), _call(_fail, ValueError, "second"), _call(_fail, KeyError, "3")]
    with pytest.raises(ValueError, match="second"):
        # The third call is started first: still the second call's error is raised.
        run_calls(calls, jobs=jobs, costs=[0.0, 1.0, 2.0])


def _die_in_a_worker(parent: int, value: int) -> int:
    if os.getpid() != parent:
        os._exit(3)
    time.sleep(0.05)  # the worker takes a call meanwhile
    return value


@needs_fork
def test_calls_of_a_worker_that_died_are_run_here():
    parent = os.getpid()
    calls = [_call(_die_in_a_worker, parent, n) for n in range(6)]
    with pytest.warns(RuntimeWarning, match=r"worker process failed \(exit status 3\)"):
        assert run_calls(calls, jobs=2) == list(range(6))


@needs_fork
def test_a_result_that_cannot_be_pickled_is_computed_again_here():
    parent = os.getpid()

    def unpicklable(number: int):
        time.sleep(0.05)
        # A worker's lambda cannot travel back; the one made here can be returned as it is.
        return lambda: (number, os.getpid() == parent)

    with pytest.warns(RuntimeWarning, match=r"failed \(.*pickle.*\); its calls ran again"):
        results = run_calls([_call(unpicklable, n) for n in range(4)], jobs=2)
    assert [result() for result in results] == [(n, True) for n in range(4)]


class _UnpicklableError(Exception):
    def __reduce__(self):
        raise TypeError("not picklable")


def test_an_exception_that_cannot_be_pickled_travels_as_its_text():
    outcomes = _picklable({0: (True, 1), 1: (False, _UnpicklableError("bad value"))})
    assert outcomes[0] == (True, 1)
    error = outcomes[1][1]
    assert isinstance(error, RuntimeError)
    assert str(error) == "_UnpicklableError: bad value"
    pickle.dumps(error)


def test_default_jobs_is_between_one_and_four():
    assert 1 <= default_jobs() <= 4
    assert default_jobs() <= (os.cpu_count() or 1)


@needs_fork
def test_work_alongside_runs_here_while_a_worker_takes_the_calls():
    # A single call and work alongside: the call goes to a worker, which has finished it by
    # the time the work here (which waits for the worker's file) ends.
    import tempfile
    from pathlib import Path

    marker = Path(tempfile.mkdtemp()) / "done"
    seen: list[bool] = []

    def mark() -> int:
        marker.write_text("x")
        return os.getpid()

    def wait_for_the_worker() -> None:
        deadline = time.monotonic() + 10
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(marker.exists())

    pids = run_calls([mark], jobs=2, alongside=wait_for_the_worker)
    assert seen == [True]
    assert pids[0] != os.getpid()


def test_with_one_job_the_work_alongside_comes_before_the_calls():
    happened: list[str] = []
    calls = [_call(happened.append, f"call {n}") for n in range(2)]
    run_calls(calls, jobs=1, alongside=lambda: happened.append("alongside"))
    assert happened == ["alongside", "call 0", "call 1"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_error_of_the_work_alongside_is_raised(jobs):
    calls = [_call(_square, n) for n in range(4)]
    with pytest.raises(KeyError, match="alongside"):
        run_calls(calls, jobs=jobs, alongside=lambda: _fail(KeyError, "alongside"))
