"""Finding the jobs an earlier driver left running: by the ids it stored, never a reused pid."""
import os
import signal
import subprocess
import sys
import time

import pytest

from gans.core.errors import UserError
from gans.study.attach import controller_alive, live_job
from gans.study.jobfiles import CONTROLLER_LOG, JobFiles


def test_job_files_round_trip_and_a_new_job_has_no_requeues(tmp_path):
    files = JobFiles(tmp_path, "sngan-seed0")
    assert files.job() is None and files.requeues() == 0
    files.submitted("local", "1234")
    files.write_requeues(2)
    assert files.job() == ("local", "1234") and files.requeues() == 2
    files.submitted("slurm", "99")
    assert files.job() == ("slurm", "99") and files.requeues() == 0


def test_no_job_a_dead_one_or_another_executors_is_not_attached(tmp_path):
    files = JobFiles(tmp_path, "run")
    assert live_job("local", files) is None
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    files.submitted("local", str(dead.pid))
    assert live_job("local", files) is None
    files.submitted("slurm", str(os.getpid()))
    assert live_job("local", files) is None


def test_a_live_process_that_is_not_this_studys_controller_is_not_attached(tmp_path):
    assert not controller_alive(os.getpid(), tmp_path)  # alive, but pytest, not submitit's controller


def test_a_live_controller_of_this_folder_is_attached(tmp_path):
    # a stand-in with the controller's command line (python -m submitit.local._local FOLDER)
    fake = tmp_path / "submitit" / "local"
    fake.mkdir(parents=True)
    (fake.parent / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (fake / "_local.py").write_text("import time\ntime.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-m", "submitit.local._local", str(tmp_path / "jobs")], cwd=tmp_path)
    try:
        files = JobFiles(tmp_path / "jobs", "run")
        files.submitted("local", str(proc.pid))
        job = live_job("local", files)
        assert job is not None and not job.done()
        # continued with the other executor, the run would get a second writer: refused, naming the job
        with pytest.raises(UserError, match=f"run's local job \\(controller pid {proc.pid}\\) still runs"):
            live_job("slurm", files)
        other = JobFiles(tmp_path / "other", "run")
        other.submitted("local", str(proc.pid))
        assert live_job("local", other) is None  # that pid, but another study's controller
    finally:
        proc.kill()
        proc.wait()
    assert job.done()


def endless_study(data, weights, size: str) -> str:
    """One sngan run that never ends by itself (10^6 steps, no periodic checkpoint soon), for the tests
    that stop it; ``size``: [train] lines setting how long a step takes."""
    return f"""seeds = [0]
[systems]
sngan = {{}}
[train]
dataset = "{data}"
{size}
steps = 1000000
checkpoint-every = 1000
sample-every = 1000000
device = "cpu"
[eval]
inception-weights = "{weights}"
"""


QUICK_STEPS = "image-size = 16\nwidth = 0.0625\nz-dim = 8\nbatch-size = 8\nlog-every = 1000"
SLOW_STEPS = "width = 1.0\nbatch-size = 128\nn-critic = 2\nlog-every = 1"  # steps of seconds


def _lines_until(proc, text: str, timeout: float = 240) -> str:
    """The driver's output up to the first line holding ``text``."""
    import selectors

    seen, deadline = [], time.time() + timeout
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    while time.time() < deadline and proc.poll() is None:
        if sel.select(timeout=1):
            seen.append(proc.stdout.readline())
            if text in seen[-1]:
                return "".join(seen)
    raise AssertionError(f"no {text!r} in:\n{''.join(seen)}")


@pytest.mark.slow  # two drivers and a job
def test_a_driver_started_again_waits_on_the_job_still_running_instead_of_starting_a_second(tmp_path, inception_files):
    import numpy as np

    from gans.data.shapes import make_shapes

    data = tmp_path / "data.npz"
    np.savez(data, x=make_shapes(64, size=16, seed=1).numpy())
    config = tmp_path / "study.toml"
    # the test's own weights: without them the study stops before any job, offline, unless gans[fid] is installed
    config.write_text(endless_study(data, inception_files["torch-fidelity"], QUICK_STEPS))
    out = tmp_path / "study"
    run, files = out / "runs" / "sngan-seed0", JobFiles(out / "jobs", "sngan-seed0")
    cmd = [sys.executable, "-m", "gans", "study", "--config", str(config), "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                             start_new_session=True)
    try:
        _lines_until(first, "started sngan-seed0")
        deadline = time.time() + 240
        while not (run / "metrics.jsonl").exists():  # the job is training
            assert time.time() < deadline
            time.sleep(0.05)
        writer = (run / ".lock").read_text().split()[0]
        first.kill()  # the driver alone (a lost ssh session): its job goes on
        first.wait()
        second = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        _lines_until(second, f"re-attached to sngan-seed0: its job {files.job()[1]} is still running")
        _lines_until(second, "waiting on 1 running job(s), 0 to start")
        assert (run / ".lock").read_text().split()[0] == writer  # the same writer, no second job
        assert len(list((out / "jobs").glob("*_submitted.pkl"))) == 1
        second.send_signal(signal.SIGINT)  # Ctrl-C: the study stops, and with it the job it waited on
        rest = second.communicate(timeout=120)[0]
        assert second.returncode == 2 and "study stopped; 1 running job(s) told to finish their step" in rest
        deadline = time.time() + 60
        while live_job("local", files) is not None:
            assert time.time() < deadline, "the attached job outlived the study"
            time.sleep(0.2)
    finally:
        try:  # whatever of the first driver's group is left (its job, when the test failed part-way)
            os.killpg(first.pid, signal.SIGKILL)
        except ProcessLookupError:  # the group is gone: the job ended with the study, as it should
            pass


@pytest.mark.parametrize("who", ["process group", pytest.param("driver", marks=pytest.mark.slow)])
def test_ctrl_c_stops_a_study_in_one_line_and_each_job_saves_the_step_it_was_on(tmp_path, inception_files, who):
    """Steps of seconds (width 1, batch 128). submitit's controller answered a SIGINT (its cancel, or a
    terminal's Ctrl-C to the whole group) by SIGINTing the task again ("abort without saving") and
    SIGKILLing it a second later: every step since the last periodic checkpoint was lost. It also
    printed a KeyboardInterrupt traceback under the study's one-line stop message."""
    import numpy as np

    from gans.data.shapes import make_shapes

    data = tmp_path / "data.npz"
    np.savez(data, x=make_shapes(256, size=32, seed=1).numpy())
    config = tmp_path / "study.toml"
    config.write_text(endless_study(data, inception_files["torch-fidelity"], SLOW_STEPS))
    out = tmp_path / "study"
    run, files = out / "runs" / "sngan-seed0", JobFiles(out / "jobs", "sngan-seed0")
    cmd = [sys.executable, "-m", "gans", "study", "--config", str(config), "--out", str(out)]
    driver = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "OMP_NUM_THREADS": "1"}, start_new_session=True)
    try:
        _lines_until(driver, "started sngan-seed0")
        deadline = time.time() + 240
        while not (run / "metrics.jsonl").exists():  # the job has trained a step and is on the next
            assert time.time() < deadline
            time.sleep(0.05)
        if who == "driver":
            driver.send_signal(signal.SIGINT)
        else:  # a terminal's Ctrl-C: the driver, the job's controller and its task at once
            os.killpg(driver.pid, signal.SIGINT)
        rest = driver.communicate(timeout=120)[0]
        assert driver.returncode == 2 and "study stopped; 1 running job(s) told to finish their step" in rest
        assert "Traceback" not in rest and "KeyboardInterrupt" not in rest, rest
        deadline = time.time() + 120
        while live_job("local", files) is not None:
            assert time.time() < deadline, "the job did not end after its step"
            time.sleep(0.2)
        steps = sorted(int(p.stem.split("_")[1]) for p in (run / "checkpoints").glob("ckpt_*.pt"))
        assert steps[0] == 0 and steps[-1] >= 1, f"only the periodic checkpoints {steps}: the stopped step was lost"
        assert "Traceback" not in (out / "jobs" / CONTROLLER_LOG).read_text()
    finally:
        try:
            os.killpg(driver.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
