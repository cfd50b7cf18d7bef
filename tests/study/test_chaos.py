"""A study killed with SIGKILL again and again, at every kind of moment, ends as if never killed.

A study (2 systems x 2 seeds, 40 CPU steps each, scored with a small Inception pass) is run as a
process group and killed: in its reference statistics, a checkpoint write, the middle of training,
an evaluation, an eval.json write and the report. Each time the same command continues it. At the
end every run's weights are bitwise those of an uninterrupted study, its scores the same numbers,
and its metrics log has each step once: no step was trained past its last checkpoint twice. (A
driver killed alone while its jobs run on: tests/study/test_attach.py.)
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from gans.data.shapes import make_shapes
from gans.runs import checkpoint as ckpt_io

STEPS = 40
RUNS = ("sngan-seed0", "sngan-seed1", "msngan-wgan-seed0", "msngan-wgan-seed1")
STUDY = f"""
seeds = [0, 1]
jobs = 2
[systems]
sngan = {{{{}}}}
msngan-wgan = {{{{ preset = "msngan", loss = "wgan" }}}}
[train]
dataset = "{{data}}"
image-size = 16
width = 0.0625
z-dim = 8
batch-size = 8
n-critic = 1
steps = {STEPS}
checkpoint-every = 5
sample-every = {STEPS}
log-every = 1
device = "cpu"
deterministic = true
[eval]
num-samples = 10
reference = "{{data}}[:20]"
kid-subsets = 5
inception-weights = "{{weights}}"
"""


def _start(out: Path, config: Path, cache: Path, chaos: str = "") -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GANS_CACHE": str(cache), "GANS_CHAOS": chaos,
           "GANS_CHAOS_KILL": "group"}
    # its own process group: the driver, submitit's controllers and the jobs, killed together as by a power cut
    return subprocess.Popen([sys.executable, "-m", "gans", "study", "--config", str(config), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)


def _logged_steps(run: Path) -> list[int]:
    path = run / "metrics.jsonl"
    return [json.loads(line)["step"] for line in path.read_text().splitlines()] if path.exists() else []


def _kill_mid_training(proc: subprocess.Popen, runs: Path) -> None:
    """SIGKILL the whole study once some run has logged a step that is not a checkpoint's, beyond
    where it was: a kill between checkpoints, with steps trained past the last one."""
    before = {r: max(_logged_steps(runs / r), default=0) for r in RUNS}
    deadline = time.time() + 300
    while proc.poll() is None and time.time() < deadline:
        if any(s > before[r] and s % 5 for r in RUNS for s in _logged_steps(runs / r)[-1:]):
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.01)


def _final(out: Path, run: str) -> tuple[dict, dict]:
    state = ckpt_io.load_checkpoint(out / "runs" / run)
    scored = json.loads((out / "runs" / run / "eval.json").read_text())["results"][0]
    return state, {"summary": scored["summary"], "draws": scored["draws"], "step": scored["step"]}


@pytest.mark.slow  # eight study processes, each with jobs, at 299 px
def test_a_study_killed_at_every_kind_of_moment_ends_bitwise_as_an_uninterrupted_one(tmp_path, inception_files):
    data = tmp_path / "data.npz"
    np.savez(data, x=make_shapes(64, size=16, seed=1).numpy())
    config = tmp_path / "study.toml"
    config.write_text(STUDY.format(data=data, weights=inception_files["torch-fidelity"]))

    t0 = time.perf_counter()
    straight = tmp_path / "straight"
    done = _start(straight, config, tmp_path / "cache-straight")
    log = done.communicate(timeout=600)[0]
    assert done.returncode == 0, log
    t1 = time.perf_counter()

    out, cache = tmp_path / "chaos", tmp_path / "cache-chaos"
    # (moment, GANS_CHAOS) in the order a study meets them; None: killed by the test, watching its files
    moments = [("reference statistics", "write:*.features.npy@1"),
               ("checkpoint write", "write:ckpt_*.pt@3"),
               ("training, past a checkpoint", None),
               ("evaluation", "evaluate@1"),
               ("eval.json write", "write:eval.json@1"),
               ("report", "write:report.html@1")]
    killed, logs, took = [], [], []
    for moment, chaos in moments:
        started = time.perf_counter()
        proc = _start(out, config, cache, chaos or "")
        if chaos is None:
            _kill_mid_training(proc, out / "runs")
        logs.append(proc.communicate(timeout=600)[0])
        took.append(f"{moment} {time.perf_counter() - started:.0f} s")
        assert proc.returncode in (0, -signal.SIGKILL), logs[-1]
        if proc.returncode == -signal.SIGKILL:
            killed.append(moment)
    last = _start(out, config, cache)
    logs.append(last.communicate(timeout=600)[0])
    assert last.returncode == 0, logs[-1]
    print(f"uninterrupted study {t1 - t0:.0f} s; {len(killed)} kills ({', '.join(killed)}) and the study "
          f"continued {len(killed)} times in {time.perf_counter() - t1:.0f} s ({'; '.join(took)})")
    assert killed == [m for m, _ in moments], "\n---\n".join(logs)

    for run in RUNS:
        (a, a_scores), (b, b_scores) = _final(straight, run), _final(out, run)
        assert a["step"] == b["step"] == STEPS
        for net in ("G", "D"):
            assert all(torch.equal(a[net][k], b[net][k]) for k in a[net]), (run, net)
        assert a_scores == b_scores, run
        assert _logged_steps(out / "runs" / run) == list(range(1, STEPS + 1)), run
        assert not list((out / "runs" / run).rglob("*.tmp")), run  # no write cut short is left behind
    assert (out / "report" / "report.html").stat().st_size > 1000
