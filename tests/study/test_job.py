"""A study job stopped as on its time limit saves a checkpoint, requeues itself and ends where an
uninterrupted run ends, bitwise."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import torch

from gans.data.shapes import make_shapes
from gans.runs import checkpoint as ckpt_io
from gans.runs import layout

# two systems that are one and the same training: the twin is stopped, the other is the reference
STUDY = """
seeds = [0]
jobs = 2
timeout-min = 5
[systems]
sngan = {{}}
twin = {{ preset = "sngan" }}
[train]
dataset = "{data}"
image-size = 16
width = 0.0625
z-dim = 8
batch-size = 8
n-critic = 1
steps = 200
checkpoint-every = 20
sample-every = 1000
log-every = 10
device = "cpu"
deterministic = true
[eval]
num-samples = 10
reference = "{data}[:20]"
kid-subsets = 5
inception-weights = "{weights}"
"""


def _lock_holder(run) -> int | None:
    try:
        pid = (run / ".lock").read_text().split()[0]
    except (OSError, IndexError):
        return None
    return int(pid)


def test_a_job_stopped_as_on_timeout_checkpoints_requeues_and_ends_bitwise_equal(tmp_path, inception_files):
    data = tmp_path / "data.npz"
    np.savez(data, x=make_shapes(64, size=16, seed=1).numpy())
    config = tmp_path / "study.toml"
    config.write_text(STUDY.format(data=data, weights=inception_files["torch-fidelity"]))
    out = tmp_path / "study"
    twin = out / "runs" / "twin-seed0"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    driver = subprocess.Popen([sys.executable, "-m", "gans", "study", "--config", str(config), "--out", str(out)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 240
    while not (layout.checkpoint_path(twin, 20).exists() and _lock_holder(twin)):
        assert driver.poll() is None and time.time() < deadline, driver.communicate()
        time.sleep(0.02)
    # what submitit's local controller does at timeout-min minus signal_delay_s: the preemption signal to the task
    os.kill(_lock_holder(twin), signal.SIGUSR2)
    stdout, stderr = driver.communicate(timeout=300)
    assert driver.returncode == 0, stderr
    assert "twin-seed0: requeued 1 time (time limit or preemption)" in stdout
    assert "  twin-seed0: done, requeued 1 time (step 200" in stdout and "  sngan-seed0: done (step 200" in stdout
    log = " ".join(p.read_text() for p in (out / "jobs").glob("*_log.*"))
    assert "SIGUSR2: stopping after this step and saving a checkpoint" in log  # the trainer saved, then submitit requeued
    assert "this job is timed-out" in log and f"resuming {twin} from step" in log

    straight, stopped = (ckpt_io.load_checkpoint(out / "runs" / r) for r in ("sngan-seed0", "twin-seed0"))
    assert straight["step"] == stopped["step"] == 200
    for net in ("G", "D", "opt_g", "opt_d"):
        a, b = straight[net], stopped[net]
        if net.startswith("opt"):
            a, b = ({(i, k): t for i, s in x["state"].items() for k, t in s.items()} for x in (a, b))
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), net
    scored = [json.loads((out / "runs" / r / "eval.json").read_text())["results"][0]["summary"]
              for r in ("sngan-seed0", "twin-seed0")]
    assert scored[0] == scored[1]
    steps = [json.loads(line)["step"] for line in (twin / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(10, 201, 10))  # trained past its last checkpoint once: the rows after it were trimmed
