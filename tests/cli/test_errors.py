"""The real command line: each bad input gets one line on stderr, exit code 2, and keeps files."""
import subprocess
import sys

import numpy as np
import pytest

from gans.cli import main


def _args(flags: dict) -> list[str]:
    out = []
    for k, v in flags.items():
        out += [f"--{k.replace('_', '-')}", str(v)]
    return out


def run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_train_then_sample(capsys, tiny_flags, tmp_path):
    code, out, err = run(capsys, ["train", "--preset", "msngan", "--no-progress", *_args(tiny_flags)])
    assert code == 0, err
    run_dir = tmp_path / "run"
    assert (run_dir / "checkpoints" / "ckpt_00000004.pt").exists()
    npz, grid = tmp_path / "s.npz", tmp_path / "g.png"
    code, out, err = run(capsys, ["sample", "--checkpoint", str(run_dir), "--num", "10",
                                  "--out", str(npz), "--grid", str(grid), "--device", "cpu"])
    assert code == 0, err
    x = np.load(npz)["x"]
    assert x.shape == (10, 3, 16, 16) and x.dtype == np.uint8 and grid.stat().st_size > 100
    walk = tmp_path / "walk.png"
    assert run(capsys, ["sample", "--checkpoint", str(run_dir), "--num", "2", "--out", str(tmp_path / "w.npz"),
                        "--interpolate", str(walk), "--interpolate-steps", "6", "--device", "cpu"])[0] == 0
    from PIL import Image
    with Image.open(walk) as im:  # 6 columns x 8 rows of 16-px images with 2-px padding
        assert im.size == (2 + 6 * 18, 2 + 8 * 18)
    code, _, err = run(capsys, ["sample", "--checkpoint", str(run_dir), "--num", "3",
                                "--out", str(tmp_path / "pngs"), "--device", "cpu"])
    assert code == 0 and len(list((tmp_path / "pngs").glob("*.png"))) == 3
    # the same seed gives the same images
    run(capsys, ["sample", "--checkpoint", str(run_dir), "--num", "10", "--out", str(tmp_path / "t.npz"), "--device", "cpu"])
    assert np.array_equal(np.load(tmp_path / "t.npz")["x"], x)


def test_resume_extends_a_run(capsys, tiny_flags, tmp_path):
    assert run(capsys, ["train", "--no-progress", *_args(tiny_flags)])[0] == 0
    code, out, err = run(capsys, ["train", "--resume", str(tmp_path / "run"), "--steps", "6", "--no-progress"])
    assert code == 0, err
    assert "from step 4" in out and (tmp_path / "run" / "checkpoints" / "ckpt_00000006.pt").exists()


def test_dry_run_reports_parameter_counts(capsys):
    code, out, _ = run(capsys, ["train", "--dry-run", "--preset", "wgan-gp", "--width", "0.25"])
    assert code == 0
    counts = {l.split(":")[0].strip(): int(l.split(":")[1].replace(",", "")) for l in out.splitlines()
              if l.strip().split(":")[0] in ("bn", "sn", "msn")}
    assert counts["bn"] > counts["msn"] == counts["sn"]


BAD = [
    (["train", "--preset", "gan"], "'gan' is not one of 'wgan-gp'"),
    (["train", "--norm", "xx"], "--norm: unknown norm 'xx'; choose one of bn"),
    (["train", "--loss", "l1"], "'l1' is not one of"),
    (["train", "--steps", "0"], "--steps must be > 0"),
    (["train", "--steps", "-5"], "--steps must be > 0"),
    (["train", "--batch-size", "0"], "--batch-size must be > 0"),
    (["train", "--lr", "-1e-4"], "--lr must be > 0"),
    (["train", "--n-critic", "0"], "--n-critic must be > 0"),
    (["train", "--steps", "ten"], "'ten' is not a valid integer"),
    (["train", "--dataset", "/no/such/data.npz"], "not found"),
    (["train", "--config", "/no/such.toml"], "config file /no/such.toml does not exist"),
    (["train", "--lr", "inf"], "--lr must be a finite number"),
    (["train", "--gp-weight", "nan"], "--gp-weight must be a finite number"),
    (["train", "--norm", "msn:layers=x"], "layers must be all, seed or 1-based indices"),
    (["train", "--dataset", "shapes[5:5]"], "selects no images"),
    (["quickstart", "--presets", "gan"], "unknown preset 'gan' in --presets"),
    (["sample", "--checkpoint", "/no/such/run", "--num", "3"], "does not exist"),
]


@pytest.mark.parametrize("argv,message", BAD)
def test_bad_input_is_one_line_exit_2(capsys, argv, message):
    code, out, err = run(capsys, argv)
    assert code == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_bad_inputs_needing_files(capsys, tiny_flags, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "nockpt").mkdir()
    (tmp_path / "afile").write_text("x")
    (tmp_path / "unknown.toml").write_text("learning-rate = 0.1\n")
    (tmp_path / "wrongtype.toml").write_text('batch-size = "big"\n')
    flags = _args(tiny_flags)
    cases = [
        (["train", *flags, "--image-size", "32"], "has 16x16x3 images but the model expects 32x32x3; pass --image-size 16"),
        (["train", *flags, "--channels", "1"], "pass --image-size 16 --channels 3"),
        (["train", *flags, "--dataset", str(tmp_path / "empty")], "has no images"),
        (["train", "--config", str(tmp_path / "unknown.toml")], "unknown key 'learning-rate'"),
        (["train", "--config", str(tmp_path / "wrongtype.toml")], "--batch-size must be int"),
        (["train", "--resume", str(tmp_path / "nockpt")], "no checkpoint in"),
        (["train", "--resume", str(tmp_path / "missing")], "no such run directory"),
        (["train", *flags, "--out", str(tmp_path / "afile" / "run")], "is not writable"),
        (["sample", "--checkpoint", str(tmp_path / "afile")], "not a torch checkpoint"),
        (["train", *flags, "--dataset", str(tmp_path / "flat.npz")], "expected 4-D images"),
        (["train", *flags, "--dataset", str(tmp_path / "labels.npz")], "has no array 'x' (it holds y)"),
        (["compare", str(tmp_path / "nockpt"), "--out", str(tmp_path / "afile")], "is a file; pass a folder"),
    ]
    np.savez(tmp_path / "flat.npz", x=np.zeros((4, 16, 16), np.uint8))
    np.savez(tmp_path / "labels.npz", y=np.zeros(10, np.uint8))
    for argv, message in cases:
        code, _, err = run(capsys, argv)
        assert code == 2 and err.count("\n") == 1 and message in err, (argv, err)
    assert list((tmp_path / "nockpt").iterdir()) == []  # --resume on a folder that is not a run leaves no .lock


def test_bad_input_keeps_existing_run(capsys, tiny_flags, tmp_path):
    assert run(capsys, ["train", "--no-progress", *_args(tiny_flags)])[0] == 0
    before = sorted(p.name for p in (tmp_path / "run").rglob("*"))
    for argv in (["train", "--no-progress", *_args(tiny_flags)],  # same --out again
                 ["train", "--resume", str(tmp_path / "run"), "--norm", "bn"],
                 ["train", "--resume", str(tmp_path / "run"), "--steps", "2"],
                 ["sample", "--checkpoint", str(tmp_path / "run"), "--num", "0"]):
        code, _, err = run(capsys, argv)
        assert code == 2 and err.count("\n") == 1, err
    assert sorted(p.name for p in (tmp_path / "run").rglob("*")) == before


def test_sample_refuses_existing_outputs_before_generating(capsys, tiny_flags, tmp_path, monkeypatch):
    assert run(capsys, ["train", "--no-progress", *_args(tiny_flags)])[0] == 0
    import gans.runs.sampling

    def no_generation(*a, **k):
        raise AssertionError("generated before checking --out")

    monkeypatch.setattr(gans.runs.sampling, "generate", no_generation)
    (tmp_path / "old.npz").write_bytes(b"precious")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.png").write_bytes(b"precious")
    (tmp_path / "plain").write_text("precious")
    for out, message in ((tmp_path / "old.npz", "already exists"), (tmp_path / "full", "not empty"),
                         (tmp_path / "plain", "is a file, not a folder")):
        code, _, err = run(capsys, ["sample", "--checkpoint", str(tmp_path / "run"), "--out", str(out)])
        assert code == 2 and message in err and err.count("\n") == 1, err
    assert (tmp_path / "old.npz").read_bytes() == b"precious" and (tmp_path / "plain").read_text() == "precious"


def test_failed_start_leaves_no_run_directory(capsys, tiny_flags, tmp_path):
    flags = {**tiny_flags, "out": str(tmp_path / "new" / "run"), "dataset": str(tmp_path / "missing.npz")}
    code, _, err = run(capsys, ["train", "--no-progress", *_args(flags)])
    assert code == 2 and "not found" in err
    assert not (tmp_path / "new").exists()


def test_resume_dry_run_prints_without_training(capsys, tiny_flags, tmp_path):
    assert run(capsys, ["train", "--no-progress", *_args(tiny_flags)])[0] == 0
    before = sorted(p.name for p in (tmp_path / "run").rglob("*"))
    code, out, err = run(capsys, ["train", "--resume", str(tmp_path / "run"), "--steps", "8", "--dry-run"])
    assert code == 0, err
    assert "steps: 8" in out and "trainable parameters" in out
    assert sorted(p.name for p in (tmp_path / "run").rglob("*")) == before


def test_config_file_of_a_run_repeats_it_elsewhere(capsys, tiny_flags, tmp_path):
    assert run(capsys, ["train", "--no-progress", *_args(tiny_flags)])[0] == 0
    code, _, err = run(capsys, ["train", "--no-progress", "--config", str(tmp_path / "run" / "config.toml"),
                                "--out", str(tmp_path / "again")])
    assert code == 0, err
    import torch
    a = torch.load(tmp_path / "run" / "checkpoints" / "ckpt_00000004.pt", weights_only=True)["G"]
    b = torch.load(tmp_path / "again" / "checkpoints" / "ckpt_00000004.pt", weights_only=True)["G"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_help_does_not_import_torch():
    code = ("import sys; from gans.cli import main; main(['--help']); main(['train', '--help']); "
            "print('torch' in sys.modules, 'wandb' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("False False"), proc.stdout[-300:] + proc.stderr
    assert "--d-pass" in proc.stdout and "msn:layers=seed" in proc.stdout


def test_installed_script_prints_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "gans", "train", "--steps", "0"], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.strip() == "gans: error: --steps must be > 0, got 0"
