"""`gans eval` end to end: repeated draws from real checkpoints equal torch-fidelity's numbers."""
import csv
import json

import numpy as np
import pytest
import torch

from gans.cli import main
from gans.eval.metrics import ImageDataset
from gans.config import resolve
from gans.runs.sampling import generate, load_generator
from gans.data.shapes import make_shapes
from gans.training.trainer import Trainer

N, REF = 20, 30


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two training seeds of one preset, a few steps each, and a small reference image set."""
    root = tmp_path_factory.mktemp("eval_runs")
    data = root / "data.npz"
    np.savez(data, x=make_shapes(64, size=16, seed=1).numpy())
    ref = root / "ref.npz"
    np.savez(ref, x=make_shapes(REF, size=16, seed=9).numpy())
    runs = []
    for seed in (0, 1):
        # PyTorch's generator init: the preset's N(0, 0.02) at width 1/16 draws one grey image for every z
        cfg = resolve({"preset": "sngan", "dataset": str(data), "image_size": 16, "width": 1 / 16, "z_dim": 8, "g_init": "torch",
                       "batch_size": 8, "n_critic": 1, "steps": 2, "seed": seed, "out": str(root / f"sngan-seed{seed}"),
                       "device": "cpu", "checkpoint_every": 2})
        Trainer(cfg).fit(progress=False)
        runs.append(root / f"sngan-seed{seed}")
    return runs, ref


def _eval(capsys, argv):
    code = main(["eval", "--no-progress", "--device", "cpu", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_repeated_draws_equal_torch_fidelity(capsys, two_runs, inception_files, tmp_path):
    import torch_fidelity

    runs, ref = two_runs
    weights = inception_files["torch-fidelity"]
    code, out, err = _eval(capsys, [*sum((["--checkpoint", str(r)] for r in runs), []), "--num-samples", str(N),
                                    "--repeats", "2", "--reference", str(ref), "--inception-weights", str(weights),
                                    "--kid-subsets", "10", "--kid-subset-size", str(N), "--batch-size", "7",
                                    "--json", str(tmp_path / "r.json"), "--csv", str(tmp_path / "r.csv")])
    assert code == 0, err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["protocol"]["name"] == "custom" and report["protocol"]["is_shuffle"] is False
    assert report["protocol"]["weights"]["format"] == "state-dict"
    ref_images = ImageDataset(torch.from_numpy(np.load(ref)["x"]))
    for result, run in zip(report["results"], runs):
        G, _, _ = load_generator(run, "cpu")
        for draw in result["draws"]:
            images = torch.cat(list(generate(G, N, draw["sample_seed"])))
            expected = torch_fidelity.calculate_metrics(
                input1=ImageDataset(images), input2=ref_images, cuda=False, isc=True, fid=True, kid=True,
                verbose=False, feature_extractor_weights_path=str(weights), kid_subset_size=N, kid_subsets=10,
                samples_shuffle=False, cache=True, cache_root=str(tmp_path / "tf-cache"),
                input2_cache_name="ref")
            assert draw["is_mean"] == pytest.approx(expected["inception_score_mean"], rel=1e-4)
            # IS is ~1 for an untrained generator: its std over splits (~1e-4) is near round-off (~1e-7 per split)
            assert draw["is_std"] == pytest.approx(expected["inception_score_std"], rel=1e-4, abs=1e-6)
            assert draw["fid"] == pytest.approx(expected["frechet_inception_distance"], rel=1e-4)
            assert draw["kid_mean"] == pytest.approx(expected["kernel_inception_distance_mean"], rel=1e-4)
            assert draw["kid_std"] == pytest.approx(expected["kernel_inception_distance_std"], rel=1e-4)
        fids = [d["fid"] for d in result["draws"]]
        assert fids[0] != fids[1]  # different seeds, different draws
        assert result["summary"]["fid"] == pytest.approx(np.mean(fids))
        assert result["summary"]["fid_std"] == pytest.approx(np.std(fids))
    means = [r["summary"]["fid"] for r in report["results"]]
    (overall,) = report["overall"]  # one system's seeds: one group
    assert overall["fid"] == pytest.approx(np.mean(means)) and overall["sources"] == len(means)
    assert overall["fid_std"] == pytest.approx(np.std(means))
    # the run directories get their own results; the CSV has a row per draw plus the summaries
    own = json.loads((runs[0] / "eval.json").read_text())
    assert own["results"][0]["draws"] == report["results"][0]["draws"]
    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    assert [r["row"] for r in rows].count("draw 0") == 2 and rows[-1]["row"] == "over checkpoints"
    assert float(rows[0]["fid"]) == pytest.approx(report["results"][0]["draws"][0]["fid"])
    assert "all 2 checkpoints" in out and "±" in out


@pytest.mark.slow
def test_feature_only_weights_report_is_unavailable(capsys, two_runs, torchscript_files, tmp_path):
    runs, ref = two_runs
    code, out, err = _eval(capsys, ["--checkpoint", str(runs[0]), "--num-samples", "10", "--repeats", "1",
                                    "--reference", str(ref), "--reference-count", "10",
                                    "--inception-weights", str(torchscript_files["torchscript-features"]),
                                    "--json", str(tmp_path / "r.json")])
    assert code == 0, err
    assert "IS is reported as unavailable" in err and len(err.strip().splitlines()) == 1
    draw = json.loads((tmp_path / "r.json").read_text())["results"][0]["draws"][0]
    assert draw["is_mean"] is None and draw["fid"] > 0 and draw["kid_mean"] is not None
    assert "unavailable" in out


@pytest.mark.slow
def test_image_set_against_itself_is_zero(capsys, two_runs, inception_files, tmp_path):
    _, ref = two_runs
    code, out, err = _eval(capsys, ["--images", str(ref), "--reference", str(ref),
                                    "--inception-weights", str(inception_files["pytorch-fid"]),
                                    "--json", str(tmp_path / "r.json")])
    assert code == 0, err
    report = json.loads((tmp_path / "r.json").read_text())
    draw = report["results"][0]["draws"][0]
    assert draw["num_samples"] == REF
    scale = float(np.trace(np.load(report["protocol"]["reference_stats"])["sigma"]))
    # 30 images span 29 of 2048 dimensions; round-off in the ~2000 null eigenvalues is all that is left
    assert abs(draw["fid"]) < 1e-5 * scale
    assert draw["is_mean"] > 1


@pytest.mark.parametrize("argv,message", [
    ([], "pass --checkpoint RUN (one or more) or --images PATH"),
    (["--images", "x.npz", "--checkpoint", "r"], "not both or neither"),
    (["--checkpoint", "nowhere"], "checkpoint nowhere does not exist"),
    (["--images", "x.npz", "--num-samples", "1"], "not in the range x>=10"),
    (["--images", "x.npz", "--repeats", "0"], "not in the range x>=1"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, message):
    code, out, err = _eval(capsys, argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_missing_weights_and_bad_statistics_fail_before_work(capsys, two_runs, inception_files, tmp_path):
    runs, _ = two_runs
    code, _, err = _eval(capsys, ["--checkpoint", str(runs[0]), "--inception-weights", str(tmp_path / "none.pth")])
    assert code == 2 and "do not exist" in err
    np.savez(tmp_path / "stats.npz", mu=np.zeros(64), sigma=np.eye(64))
    code, _, err = _eval(capsys, ["--checkpoint", str(runs[0]), "--reference", str(tmp_path / "stats.npz"),
                                  "--inception-weights", str(inception_files["torch-fidelity"])])
    assert code == 2 and "not 2048-d pool features" in err and len(err.strip().splitlines()) == 1
