"""Kill real training processes and check that resuming loses nothing."""
import random
import signal
import subprocess
import sys
import time

import torch

from gans import checkpoint as ckpt_io

STEPS = 150


def _cmd(flags: dict, out, *extra) -> list[str]:
    args = [sys.executable, "-m", "cli", "train", "--no-progress", "--deterministic", "--device", "cpu"]
    for k, v in {**flags, "out": str(out), "steps": STEPS, "checkpoint_every": 10, "sample_every": 1000,
                 "log_every": 5}.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    return args + list(extra)


def _start_and_wait_for_checkpoint(cmd, run_dir):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not ckpt_io.list_checkpoints(run_dir):
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline
        time.sleep(0.01)
    return proc


def _final_weights(run_dir):
    state = ckpt_io.load_checkpoint(run_dir)
    assert state["step"] == STEPS
    return state["G"], state["D"]


def test_sigkill_then_resume_is_bitwise_equal(tiny_flags, tmp_path):
    flags = {**tiny_flags, "preset": "msngan"}
    flags.pop("steps"), flags.pop("out")
    straight = subprocess.run(_cmd(flags, tmp_path / "straight"), capture_output=True, text=True)
    assert straight.returncode == 0, straight.stderr

    run_dir = tmp_path / "killed"
    proc = _start_and_wait_for_checkpoint(_cmd(flags, run_dir), run_dir)
    time.sleep(random.uniform(0.0, 0.3))  # somewhere after the first checkpoint
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    killed_at = ckpt_io.list_checkpoints(run_dir)[-1][0]
    assert killed_at < STEPS

    resumed = subprocess.run([sys.executable, "-m", "cli", "train", "--resume", str(run_dir), "--no-progress"],
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"from step {killed_at}" in resumed.stdout
    (g1, d1), (g2, d2) = _final_weights(tmp_path / "straight"), _final_weights(run_dir)
    assert all(torch.equal(g1[k], g2[k]) for k in g1) and all(torch.equal(d1[k], d2[k]) for k in d1)
    # the metrics log has each step once, as if never interrupted
    steps = [int(line.split('"step": ')[1].split(",")[0]) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(5, STEPS + 1, 5))


def test_sigterm_saves_a_loadable_checkpoint_and_exits_nonzero(tiny_flags, tmp_path):
    flags = {**tiny_flags, "preset": "sngan"}
    flags.pop("steps"), flags.pop("out")
    run_dir = tmp_path / "term"
    proc = _start_and_wait_for_checkpoint(_cmd(flags, run_dir), run_dir)
    first = ckpt_io.list_checkpoints(run_dir)[0][0]
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM" in err and f"--resume {run_dir}" in err and err.count("\n") == 1
    state = ckpt_io.load_checkpoint(run_dir)
    assert first <= state["step"] < STEPS and f"after step {state['step']};" in err
