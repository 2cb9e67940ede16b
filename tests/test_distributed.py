"""Failures in a group of processes (notebook 09): a killed or raising worker stops the whole group with a clear
error within a bounded time, and no process of the run is left behind."""
from __future__ import annotations

import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

TIMEOUT = 20  # seconds: the group's timeout; every wait below is bounded by a small multiple of it


def hold_in_collectives(rank: int, world_size: int, init_method: str, out: str, mode: str) -> None:
    """Join a gloo group, record this pid, then loop in all_reduce (rank 1 raises or waits to be killed)."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=world_size,
                            timeout=timedelta(seconds=TIMEOUT))
    Path(out, f"pid{rank}").write_text(str(os.getpid()))
    if rank == 1 and mode == "raise":
        raise ValueError("rank 1 failed on purpose")
    try:
        while True:
            dist.all_reduce(torch.ones(4))
    except RuntimeError as err:  # what the survivors see when a peer dies: recorded, then raised as usual
        Path(out, f"error{rank}").write_text(str(err))
        raise


def _workers_of(parent: psutil.Process) -> list[psutil.Process]:
    """The spawned workers among parent's descendants (multiprocessing's resource tracker is not one)."""
    found = []
    for child in parent.children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def _start(tmp_path: Path, world_size: int, mode: str) -> mp.ProcessContext:
    return mp.start_processes(hold_in_collectives, args=(world_size, (tmp_path / "rendezvous").as_uri(),
                                                         str(tmp_path), mode),
                              nprocs=world_size, join=False, start_method="spawn")


def _pids(tmp_path: Path, world_size: int) -> list[int]:
    deadline = time.monotonic() + 120  # spawned processes import torch first
    while time.monotonic() < deadline:
        files = [tmp_path / f"pid{r}" for r in range(world_size)]
        if all(f.exists() and f.read_text() for f in files):
            return [int(f.read_text()) for f in files]
        time.sleep(0.1)
    raise AssertionError("the workers never joined their group")


def _join(context: mp.ProcessContext, grace_period: float) -> BaseException:
    """Join until the group fails; the exception mp.spawn would raise."""
    try:
        with pytest.raises((mp.ProcessRaisedException, mp.ProcessExitedException)) as caught:
            while not context.join(grace_period=grace_period):
                pass
    finally:
        for path in context.error_files:  # torch leaves the failed rank's traceback file in the temp folder
            Path(path).unlink(missing_ok=True)
    return caught.value


def test_killing_one_worker_stops_the_others_with_a_clear_error_and_leaves_nothing(tmp_path):
    world_size = 3  # two survivors
    context = _start(tmp_path, world_size, "kill")
    pids = _pids(tmp_path, world_size)
    assert all(psutil.pid_exists(p) for p in pids)
    killed_at = time.monotonic()
    os.kill(pids[1], signal.SIGKILL)  # as the out-of-memory killer would
    error = _join(context, grace_period=3 * TIMEOUT)  # let the survivors notice on their own
    stopped_after = time.monotonic() - killed_at
    assert isinstance(error, mp.ProcessExitedException) and error.error_index == 1
    assert "process 1 terminated with signal SIGKILL" in str(error)
    for r in (r for r in range(world_size) if r != 1):  # each survivor stopped by itself, saying why
        code, error_file = context.processes[r].exitcode, tmp_path / f"error{r}"
        message = error_file.read_text() if error_file.exists() else "(no error recorded)"
        # 1 after the error propagated, or SIGABRT when gloo's threads abort while the process exits; never the
        # SIGTERM/SIGKILL that join() would send after the grace period
        assert code not in (0, -signal.SIGTERM, -signal.SIGKILL), f"rank {r}: exit code {code}, {message}"
        assert any(text in message for text in ("Connection closed by peer", "Connection reset by peer",
                                                "Timed out", "timed out")), f"rank {r} (exit code {code}): {message}"
    assert stopped_after < 2 * TIMEOUT, f"the survivors needed {stopped_after:.1f} s"
    assert not _workers_of(psutil.Process()) and not any(psutil.pid_exists(p) for p in pids)
    assert not mp.active_children()


def test_a_raising_worker_is_reported_with_its_traceback_and_leaves_nothing(tmp_path):
    context = _start(tmp_path, 2, "raise")
    pids = _pids(tmp_path, 2)
    error = _join(context, grace_period=None)  # as mp.spawn does: terminate the others at once
    assert isinstance(error, mp.ProcessRaisedException) and error.error_index == 1
    assert "ValueError: rank 1 failed on purpose" in str(error)
    assert not _workers_of(psutil.Process()) and not any(psutil.pid_exists(p) for p in pids)
    assert not mp.active_children()
