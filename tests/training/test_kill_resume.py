"""Kill real training processes and check that resuming loses nothing."""
import signal
import subprocess
import sys
import time

import torch

from gans.runs import checkpoint as ckpt_io

STEPS = 150
KILL_AT = 27  # between the checkpoints at 20 and 30, after the metrics row of step 25

# The real `gans train` in a child process that SIGKILLs itself right after step KILL_AT: a fixed
# point, where a sleep-then-kill lands wherever the machine's speed puts it.
KILLER = f"""
import os, signal, sys
from gans.training.trainer import Trainer
step = Trainer.train_step
def train_step(self):
    out = step(self)
    if self.step == {KILL_AT}:
        os.kill(os.getpid(), signal.SIGKILL)
    return out
Trainer.train_step = train_step
from gans.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _cmd(flags: dict, out, *extra) -> list[str]:
    args = [sys.executable, "-m", "gans", "train", "--no-progress", "--deterministic", "--device", "cpu"]
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
    killed = subprocess.run([sys.executable, "-c", KILLER, *_cmd(flags, run_dir)[3:]], capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    killed_at = ckpt_io.list_checkpoints(run_dir)[-1][0]
    assert killed_at == 20
    assert max(int(line.split('"step": ')[1].split(",")[0])
               for line in (run_dir / "metrics.jsonl").read_text().splitlines()) == 25  # to be trimmed on resume

    resumed = subprocess.run([sys.executable, "-m", "gans", "train", "--resume", str(run_dir), "--no-progress"],
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
