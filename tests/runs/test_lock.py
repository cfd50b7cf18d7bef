"""One writer per run: RUN/.lock, flock'ed by the process writing the run, released when it dies."""
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from gans.runs import checkpoint as ckpt_io
from gans.runs.layout import LOCK_FILE
from gans.runs.lock import RunLocked, check_not_locked, lock_run, unlock_run


def test_the_lock_names_its_holder_and_is_held_again_by_the_same_process(tmp_path):
    run = tmp_path / "run"
    try:
        assert lock_run(run) == run / LOCK_FILE
        assert (run / LOCK_FILE).read_text() == f"{os.getpid()} {socket.gethostname()}\n"
        lock_run(run)  # this process writes it already: nothing to refuse
        check_not_locked(run)
    finally:
        unlock_run(run)
    check_not_locked(run)  # let go: free


HOLD = """
import sys, time
from gans.runs.lock import lock_run
lock_run(sys.argv[1])
print("held", flush=True)
time.sleep(120)
"""


def test_a_live_holder_is_refused_by_name_and_a_dead_one_holds_nothing(tmp_path):
    run = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(run)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(RunLocked) as info:
            lock_run(run)
        assert str(info.value) == (f"{run.resolve()} is being written by pid {holder.pid} on {socket.gethostname()}; "
                                   "wait for it or stop it")
        with pytest.raises(RunLocked):
            check_not_locked(run)
    finally:
        holder.send_signal(signal.SIGKILL)  # no chance to clean up: the kernel lets go of the lock
        holder.wait()
    try:
        lock_run(run)
    finally:
        unlock_run(run)


def _train(flags, *extra):
    args = [sys.executable, "-m", "gans", "train", "--no-progress", "--device", "cpu"]
    for k, v in flags.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    return args + list(extra)


@pytest.mark.slow  # real training processes
def test_a_second_writer_is_refused_and_the_first_goes_on(tiny_flags, tmp_path):
    run = tmp_path / "run"
    flags = {**tiny_flags, "steps": 300, "checkpoint_every": 10, "log_every": 10, "sample_every": 1000}
    first = subprocess.Popen(_train(flags), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not ckpt_io.list_checkpoints(run):
        assert first.poll() is None and time.time() < deadline, first.communicate()
        time.sleep(0.05)
    message = f"{run.resolve()} is being written by pid {first.pid} on {socket.gethostname()}; wait for it or stop it"
    for second in (_train({}, "--resume", str(run), "--steps", "400"), _train(flags)):
        refused = subprocess.run(second, capture_output=True, text=True)
        assert refused.returncode == 2 and refused.stderr == f"gans: error: {message}\n"
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert ckpt_io.load_checkpoint(run)["step"] == 300
    steps = [line.split('"step": ')[1].split(",")[0] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [str(s) for s in range(10, 301, 10)]  # one writer: each row once
