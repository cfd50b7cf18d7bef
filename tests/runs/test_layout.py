"""The run-directory layout: names spelled here on purpose (this is the test of the layout itself),
and a trained run's files where the layout says they are."""
from pathlib import Path

from gans.runs import layout
from gans.runs.layout import RunLayout
from gans.training.trainer import Trainer


def test_the_layout_names_each_file_of_a_run():
    files = RunLayout("runs/x")
    assert files.root == Path("runs/x")
    assert (files.config, files.metrics, files.evals, files.diagnostics, files.eval_report, files.eval_csv) == tuple(
        Path("runs/x") / n for n in ("config.toml", "metrics.jsonl", "eval.jsonl", "diagnostics.jsonl", "eval.json",
                                     "eval.csv"))
    assert files.checkpoint(12) == Path("runs/x/checkpoints/ckpt_00000012.pt")
    assert files.best == Path("runs/x/checkpoints/best.pt") and files.lock == Path("runs/x/.lock")
    assert files.grid(3) == Path("runs/x/samples/step_00000003.png")
    assert layout.samples_path("runs/x", 4, 1, 8, True) == Path("runs/x/samples/step00000004-seed1-n8-ema.npz")


def test_steps_are_read_back_from_the_names_written():
    for step in (0, 7, 123456789):
        assert layout.step_of(layout.checkpoint_path("r", step)) == step
        assert layout.grid_step(layout.grid_path("r", step)) == step
        assert layout.run_dir_of(layout.checkpoint_path("r", step)) == Path("r")
    for other in ("best.pt", "ckpt_12.pt.tmp", "ckpt_x.pt", "step_00000001.png.tmp"):
        assert layout.step_of(other) is None and layout.grid_step(other) is None
    assert layout.run_dir_of("elsewhere/ckpt_00000001.pt") is None


def test_listings_hold_steps_in_order_and_nothing_else(tmp_path):
    files = RunLayout(tmp_path)
    assert files.checkpoint_files() == [] and files.grids() == []  # no folders yet
    files.checkpoints.mkdir()
    files.samples.mkdir()
    for step in (10, 2, 100):
        files.checkpoint(step).touch()
        files.grid(step).touch()
    files.best.touch()
    (files.checkpoints / "ckpt_00000003.pt.tmp-1").touch()  # a save cut off by a kill
    layout.samples_path(tmp_path, 2, 0, 4, False).touch()
    assert files.checkpoint_files() == [(s, files.checkpoint(s)) for s in (2, 10, 100)]
    assert files.grids() == [(s, files.grid(s)) for s in (2, 10, 100)]


def test_training_writes_where_the_layout_says(tiny_cfg):
    t = Trainer(tiny_cfg())
    t.fit(progress=False)
    files = RunLayout(t.cfg.out)
    assert files.config.is_file() and files.metrics.is_file()
    assert [s for s, _ in files.checkpoint_files()] == [0, 2, 4]
    assert [s for s, _ in files.grids()] == [2, 4]
