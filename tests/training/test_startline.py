"""The start line (device, threads, folder, steps, measured time) and the warning before a CPU run of hours."""
from pathlib import Path

import torch

from gans.config import resolve
from gans.training.startline import StartLine, cpu_seconds, cpu_warning
from gans.training.trainer import Trainer

CPU = torch.device("cpu")


def test_the_line_comes_once_after_the_first_log_period_with_the_whole_runs_time():
    cfg = resolve({"preset": "sngan", "steps": 1500, "log_every": 10})
    now = [100.0]
    start = StartLine(cfg, CPU, Path("runs/x"), 0, threads=2, clock=lambda: now[0])
    now[0] += 1.6  # 10 steps in 1.6 s: 1,500 in 240 s
    assert start.after(9) is None
    assert start.after(10) == "training sngan on cpu (2 threads) -> runs/x, 1,500 steps, ~4 min"
    assert start.after(20) is None  # once


def test_a_resumed_run_says_where_it_continues_and_a_short_one_is_timed_whole():
    cfg = resolve({"preset": "msngan", "steps": 5, "log_every": 10})
    now = [0.0]
    start = StartLine(cfg, torch.device("cuda"), Path("r"), 2, world=2, threads=1, clock=lambda: now[0])
    now[0] += 30
    assert start.after(4) is None
    assert start.after(5) == "training msngan on cuda (1 CPU thread, 2 processes) -> r, steps 2 to 5, ~30 s"


def test_the_trainer_says_its_start_line(tiny_cfg):
    said = []
    trainer = Trainer(tiny_cfg(log_every=2))
    trainer.say = said.append
    trainer.fit(progress=False)
    lines = [s for s in said if s.startswith("training ")]
    threads = torch.get_num_threads()
    assert len(lines) == 1 and lines[0].startswith(
        f"training sngan on cpu ({threads} thread{'s' if threads > 1 else ''}) -> {trainer.run_dir}, 4 steps, ~")


def test_a_cpu_run_of_hours_is_warned_about_with_the_flags_that_shrink_it():
    full = resolve({"preset": "sngan"})  # `gans train` with no flags: 100,000 steps at full width
    warning = cpu_warning(full, CPU)
    assert warning and "--steps" in warning and "--width" in warning and " h)" in warning
    assert cpu_warning(full, torch.device("cuda")) is None  # a GPU run of that size is the point
    quick = resolve({"preset": "sngan", "steps": 600, "width": 0.25, "batch_size": 32})
    assert cpu_warning(quick, CPU) is None
    assert cpu_warning(full, CPU, first_step=99_990) is None  # what is left to train counts, not the total


def test_the_estimate_grows_with_width_batch_and_critic_steps():
    base = resolve({"preset": "sngan", "steps": 1000, "width": 0.5, "n_critic": 1})
    wider = resolve({"preset": "sngan", "steps": 1000, "n_critic": 1})
    bigger = resolve({"preset": "sngan", "steps": 1000, "width": 0.5, "batch_size": 128, "n_critic": 1})
    more_critic = resolve({"preset": "sngan", "steps": 1000, "width": 0.5, "n_critic": 5})
    assert cpu_seconds(base, 1000) < min(cpu_seconds(wider, 1000), cpu_seconds(bigger, 1000), cpu_seconds(more_critic, 1000))
    assert cpu_seconds(base, 2000) == 2 * cpu_seconds(base, 1000)
