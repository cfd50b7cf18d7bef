"""``--cuda-graph`` through whole runs (Trainer.fit, resume_run), on the CPU, where the static step runs
eagerly: the same metrics rows and checkpoints, bit for bit, as a run without the flag, across a resume
that switches it on or off, a checkpoint that carries CUDA's capturable Adam, and a rollback; a run that
cannot be captured says why and trains as before. On a GPU: replays against eager steps."""
from __future__ import annotations

import json

import pytest
import torch

from gans.cli import main
from gans.data.images import Batches
from gans.runs import checkpoint as ckpt_io
from gans.runs.lock import unlock_run
from gans.training import cuda_graph
from gans.training.cuda_graph import NO_CUDA, TrainingStep
from gans.training.launch import resume_run, start_run
from gans.training.static_step import DeviceBatches
from gans.training.trainer import Trainer
from tests.training.poison import poison_critic_once
from tests.training.test_static_step import assert_same

STEPS = 6  # 60 images in batches of 8, 2 critic steps: the data crosses an epoch, and the EMA warms up


@pytest.fixture
def cfg(tiny_cfg, tiny_npz, tmp_path):
    def make(name: str, **over):
        return tiny_cfg(**{"dataset": f"{tiny_npz}[:60]", "width": 0.0625, "batch_size": 8, "ema_decay": 0.999,
                           "steps": STEPS, "checkpoint_every": 2, "sample_every": 1000,
                           "out": str(tmp_path / name), **over})
    return make


def fit(trainer: Trainer) -> list[str]:
    """Train; the lines the trainer said."""
    lines: list[str] = []
    trainer.say = lines.append
    trainer.fit(progress=False)
    return lines


def flag_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("--cuda-graph")]


def resume(run, **flags) -> tuple[Trainer, list[str]]:
    trainer = resume_run(run, flags)
    lines = fit(trainer)
    unlock_run(run)
    return trainer, lines


def rows(run) -> list[dict]:
    """metrics.jsonl without its timing (steps/s is the one number two equal runs differ in)."""
    out = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in row.items() if k != "steps_per_s"} for row in out]


def checkpoints(run) -> dict[int, dict]:
    """Every checkpoint kept, without the config (its out and cuda_graph differ by design)."""
    out = {}
    for step, path in ckpt_io.list_checkpoints(run):
        state = ckpt_io.load_checkpoint(path)
        assert state.pop("config")["out"] == str(run)
        out[step] = state
    return out


def assert_same_runs(a, b) -> None:
    assert rows(a) == rows(b) and len(rows(a)) == STEPS
    got, expected = checkpoints(b), checkpoints(a)
    common = sorted(set(got) & set(expected))  # a resumed run keeps its stop's checkpoint instead of one
    assert common[0] == 0 and common[-1] == STEPS and len(common) >= 3
    # weights, Adam, EMA, data position, RNG, at every step both kept
    assert_same({s: got[s] for s in common}, {s: expected[s] for s in common}, "checkpoints")


@pytest.mark.parametrize("preset", ["sngan", "wgan-gp"])
def test_a_run_with_cuda_graph_equals_one_without(cfg, preset):
    plain = Trainer(cfg("plain", preset=preset))
    assert flag_lines(fit(plain)) == []
    graph = Trainer(cfg("graph", preset=preset, cuda_graph=True))
    assert flag_lines(fit(graph)) == [NO_CUDA]
    assert isinstance(graph.batches, DeviceBatches)  # the static step ran, not the trainer's own
    assert_same_runs(plain.run_dir, graph.run_dir)


@pytest.mark.parametrize("first,then", [(True, True), (True, False), (False, True)])
def test_stopped_and_resumed_equals_uninterrupted(cfg, first, then):
    """--cuda-graph is resumable: a run stopped at step 3 and resumed with the flag on or off equals the
    uninterrupted run, and goes on with what the resume asked for."""
    straight = Trainer(cfg("straight", cuda_graph=first))
    fit(straight)
    run = straight.run_dir.parent / "stopped"
    fit(start_run(cfg("stopped", cuda_graph=first, steps=3)))
    unlock_run(run)
    trainer, lines = resume(run, steps=STEPS, cuda_graph=then)
    assert trainer.cfg.cuda_graph == then and flag_lines(lines) == ([NO_CUDA] if then else [])
    assert_same_runs(straight.run_dir, run)


@pytest.mark.parametrize("graph", [False, True])
def test_a_checkpoint_with_capturable_adam_resumes_on_the_cpu(cfg, graph):
    """A run under CUDA graphs checkpoints Adam with capturable=True, which eager CPU Adam refuses: a
    resume on the CPU, with the flag or without, turns it off and goes on as if it had never been on."""
    straight = Trainer(cfg("straight"))
    fit(straight)
    run = straight.run_dir.parent / "cuda"
    fit(start_run(cfg("cuda", steps=4)))
    unlock_run(run)
    path = ckpt_io.list_checkpoints(run)[-1][1]
    state = ckpt_io.load_checkpoint(path)
    for name in ("opt_g", "opt_d"):
        for group in state[name]["param_groups"]:
            group["capturable"] = True
    ckpt_io.save_atomic(state, path)
    resume(run, steps=STEPS, cuda_graph=graph)
    assert rows(run) == rows(straight.run_dir)
    assert_same(checkpoints(run)[STEPS], checkpoints(straight.run_dir)[STEPS], "final checkpoint")


def test_a_run_that_cannot_be_captured_says_why_and_trains_as_before(cfg):
    plain = Trainer(cfg("plain", lr_decay="linear", steps=4))
    fit(plain)
    graph = Trainer(cfg("graph", lr_decay="linear", steps=4, cuda_graph=True))
    lines = flag_lines(fit(graph))
    assert len(lines) == 1 and lines[0].startswith("--cuda-graph: --lr-decay linear") and "eagerly" in lines[0]
    assert type(graph.batches) is Batches  # the trainer's own step
    assert rows(plain.run_dir) == rows(graph.run_dir)
    assert_same(checkpoints(graph.run_dir), checkpoints(plain.run_dir))


def test_a_rollback_reloads_the_static_step(cfg, monkeypatch):
    """A divergence rolled back under --cuda-graph tells the step (on CUDA: recapture at the new
    learning rate) and then trains as the same rollback does without the flag."""
    reloads: list[int] = []
    original = TrainingStep.reloaded

    def noted(self):
        reloads.append(self.trainer.step)
        original(self)

    monkeypatch.setattr(TrainingStep, "reloaded", noted)
    runs = []
    for name, on in (("plain", False), ("graph", True)):
        reloads.clear()
        t = Trainer(cfg(name, rollback=1, cuda_graph=on))
        fired = poison_critic_once(t, 3)
        lines = fit(t)
        assert fired and any("rolled back to ckpt_00000002.pt" in line for line in lines)
        assert reloads == [0, 2]  # built at the start, then after the reload of step 2's checkpoint
        assert t.lr_scale == 0.5
        runs.append(t.run_dir)
    assert_same_runs(*runs)


def test_the_command_line_takes_the_flag(capsys, tiny_flags):
    args = [f"--{k.replace('_', '-')}={v}" for k, v in tiny_flags.items()]
    assert main(["train", "--cuda-graph", "--no-progress", *args]) == 0
    out = capsys.readouterr().out
    assert NO_CUDA in out.splitlines()
    assert ckpt_io.load_checkpoint(tiny_flags["out"])["config"]["cuda_graph"] is True


# ---- on a GPU ------------------------------------------------------------------------------------
cuda_only = pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a CUDA device")


@cuda_only
@pytest.mark.parametrize("preset", ["sngan", "wgan-gp"])
def test_replayed_runs_equal_eager_static_runs_on_cuda(cfg, preset, monkeypatch):
    """On a GPU: a run captured after 3 steps and replayed equals, bit for bit, the same static step run
    eagerly throughout (capturable Adam both: its rounding differs from the default Adam's), and a run
    stopped and resumed under graphs (captured anew) equals the uninterrupted one."""
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    over = {"preset": preset, "device": "cuda", "deterministic": True, "cuda_graph": True, "steps": 10}
    monkeypatch.setattr(cuda_graph, "WARMUP", 100)
    eager = Trainer(cfg("eager", **over))
    assert flag_lines(fit(eager)) == []
    monkeypatch.setattr(cuda_graph, "WARMUP", 3)
    graphed = Trainer(cfg("graphed", **over))
    fit(graphed)
    run = graphed.run_dir.parent / "stopped"
    fit(start_run(cfg("stopped", **{**over, "steps": 5})))
    unlock_run(run)
    resume(run, steps=10)
    for a, b in ((eager.run_dir, graphed.run_dir), (graphed.run_dir, run)):
        assert rows(a) == rows(b) and len(rows(a)) == 10
        assert_same(checkpoints(b), checkpoints(a), "checkpoints")
