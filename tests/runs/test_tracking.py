"""wandb offline runs hold the metrics (read back from the .wandb records), and `gans compare`
reports the same numbers as the runs' eval JSON."""
import csv
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from gans.cli import main
from gans.config import resolve
from gans.eval.report import csv_fields
from gans.data.shapes import make_shapes
from gans.runs.eval_report import RUN_LABELS
from tests.wandb_records import config, history, read_records, run_info, summary

PRESETS, SEEDS = ("sngan", "msngan"), (0, 1)


@pytest.fixture(scope="module")
def tracked_runs(tmp_path_factory, inception_files):
    """Two presets x two seeds, tiny, wandb offline, FID every 2 steps; then gans eval on all four."""
    root = tmp_path_factory.mktemp("tracked")
    data, ref = root / "data.npz", root / "ref.npz"
    np.savez(data, x=make_shapes(64, size=16, seed=1).numpy())
    np.savez(ref, x=make_shapes(12, size=16, seed=2).numpy())
    weights = str(inception_files["torch-fidelity"])
    runs = {}
    for preset in PRESETS:
        for seed in SEEDS:
            out = root / "runs" / f"{preset}-seed{seed}"
            code = main(["train", "--preset", preset, "--seed", str(seed), "--dataset", str(data), "--image-size", "16",
                         "--width", "0.0625", "--z-dim", "8", "--batch-size", "8", "--n-critic", "1", "--steps", "4",
                         "--device", "cpu", "--out", str(out), "--checkpoint-every", "2", "--sample-every", "2",
                         "--log-every", "1", "--eval-every", "2", "--eval-samples", "10", "--eval-reference", str(ref),
                         "--inception-weights", weights, "--no-progress",
                         "--wandb", "--wandb-mode", "offline", "--wandb-tags", "test,tiny"])
            assert code == 0
            runs[(preset, seed)] = out
    code = main(["eval", *sum((["--checkpoint", str(r)] for r in runs.values()), []), "--num-samples", "10",
                 "--repeats", "2", "--reference", str(ref), "--inception-weights", weights, "--device", "cpu",
                 "--kid-subsets", "5", "--no-progress", "--wandb", "--wandb-mode", "offline"])
    assert code == 0
    return root, runs


def _train_records(run_dir):
    files = sorted(run_dir.glob("wandb/offline-run-*/run-*.wandb"))
    assert len(files) == 2  # the training run, then gans eval continuing it
    return read_records(files[0]), read_records(files[1])


@pytest.mark.slow
def test_offline_history_holds_the_metrics(tracked_runs):
    _, runs = tracked_runs
    for (preset, seed), run_dir in runs.items():
        train, evaluated = _train_records(run_dir)
        rows = history(train)
        keys = set().union(*rows)
        for key in ("train/loss_d", "train/loss_g", "train/penalty", "train/d_real", "train/d_fake", "train/lr",
                    "train/steps_per_s", "eval/fid", "eval/is_mean", "eval/kid_mean", "samples/path"):
            assert key in keys, key
        assert [r["step"] for r in rows if "train/loss_d" in r] == [1, 2, 3, 4]
        logged = {r["step"]: r["eval/fid"] for r in rows if "eval/fid" in r}
        on_disk = {json.loads(line)["step"]: json.loads(line)["fid"]
                   for line in (run_dir / "eval.jsonl").read_text().splitlines()}
        assert logged == pytest.approx(on_disk)
        cfg = config(train)
        want = resolve({"preset": preset})
        assert (cfg["preset"], cfg["norm"], cfg["seed"], cfg["loss"]) == (preset, want.norm, seed, want.loss)
        assert cfg["params_d"] > 0 and cfg["penalty"] == "none" and cfg["lr"] == want.lr
        info = run_info(train)
        assert info.run_group == preset and info.display_name == f"{preset}-seed{seed}"
        assert list(info.tags) == ["test", "tiny"]
        end = summary(train)
        assert end["best_fid"] == pytest.approx(min(on_disk.values())) and end["final_step"] == 4
        # gans eval --wandb continued the same wandb run with the repeated-draw table
        assert run_info(evaluated).run_id == info.run_id
        eval_json = json.loads((run_dir / "eval.json").read_text())
        assert summary(evaluated)["eval/fid"] == pytest.approx(eval_json["results"][0]["summary"]["fid"])
        (table,) = [r for r in history(evaluated) if r.get("eval/table/_type") == "table-file"]
        assert table["eval/table/nrows"] == 3 and table["eval/table/ncols"] == len(csv_fields(RUN_LABELS))  # 2 draws + their summary


@pytest.mark.slow
def test_wandb_sync_dry_run_lists_the_run(tracked_runs):
    _, runs = tracked_runs
    run_dir = runs[("sngan", 0)]
    offline = sorted(run_dir.glob("wandb/offline-run-*"))[0]
    result = subprocess.run([sys.executable, "-m", "wandb", "sync", "--dry-run", str(offline)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Would sync 1 run" in result.stdout + result.stderr
    assert offline.name in result.stdout + result.stderr


@pytest.mark.slow
def test_compare_report_equals_eval_json(tracked_runs, capsys):
    root, runs = tracked_runs
    out = root / "report"
    assert main(["compare", str(root / "runs"), "--out", str(out)]) == 0
    rows = {r["system"]: r for r in csv.DictReader((out / "table.csv").open())}
    for preset in PRESETS:
        per_seed = [json.loads((runs[(preset, s)] / "eval.json").read_text())["results"][0]["summary"] for s in SEEDS]
        for name, key in (("fid", "fid"), ("is", "is_mean"), ("kid", "kid_mean"), ("precision", "precision"),
                          ("recall", "recall"), ("density", "density"), ("coverage", "coverage")):
            values = [s[key] for s in per_seed]
            assert int(rows[preset][f"{name}_n"]) == 2
            assert float(rows[preset][f"{name}_mean"]) == pytest.approx(np.mean(values), rel=1e-12)
            assert float(rows[preset][f"{name}_std"]) == pytest.approx(np.std(values, ddof=1), rel=1e-9, abs=1e-15)
        assert rows[preset]["seeds"] == "0 1" and "gans eval" in rows[preset]["evaluated"]
    for name in ("fid_vs_step.png", "losses.png", "samples.png"):
        with Image.open(out / name) as im:
            im.verify()
            assert im.format == "PNG" and im.size[0] > 300
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 3 and "<table>" in page and "msngan" in page
    assert "| system | norm | loss | seeds |" in (out / "table.md").read_text()


@pytest.mark.parametrize("argv,message", [
    (["train", "--wandb-project", "x"], "--wandb-project needs --wandb"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, message):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
