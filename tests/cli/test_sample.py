"""`gans sample` without --out: into the run's own samples/ folder, a name per step, seed, count and
weights, so runs of one preset and seed never write over each other's draws."""
import numpy as np

import gans
from gans.cli import main
from gans.training.trainer import Trainer


def _sample(capsys, *argv):
    code = main(["sample", "--device", "cpu", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_default_out_is_under_the_run(capsys, tiny_cfg, tmp_path, monkeypatch):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    a, b = tmp_path / "a", tmp_path / "b"  # one preset, one seed, two runs
    for run_dir in (a, b):
        Trainer(tiny_cfg(preset="sngan", out=str(run_dir))).fit(progress=False)
    for run_dir in (a, b):
        code, out, err = _sample(capsys, "--checkpoint", str(run_dir), "--num", "6")
        assert code == 0, err
        path = run_dir / "samples" / "step00000004-seed0-n6.npz"
        assert str(path) in out
        x = np.load(path)["x"]
        assert x.shape == (6, 3, 16, 16) and x.dtype == np.uint8
        assert np.array_equal(x, gans.load_run(run_dir, device="cpu").sample(6, seed=0).numpy())
    assert not any(cwd.iterdir())  # nothing in the folder it was run from
    # another seed or an earlier checkpoint is another file; the same draw again is refused, not replaced
    assert _sample(capsys, "--checkpoint", str(a), "--num", "6", "--seed", "1")[0] == 0
    assert (a / "samples" / "step00000004-seed1-n6.npz").exists()
    assert _sample(capsys, "--checkpoint", str(a / "checkpoints" / "ckpt_00000002.pt"), "--num", "6")[0] == 0
    assert (a / "samples" / "step00000002-seed0-n6.npz").exists()
    code, _, err = _sample(capsys, "--checkpoint", str(a), "--num", "6")
    assert code == 2 and "already exists" in err and "--overwrite" in err


def test_default_name_says_which_weights(capsys, tiny_cfg, tmp_path):
    run_dir = tmp_path / "run"
    Trainer(tiny_cfg(preset="sngan", out=str(run_dir), ema_decay=0.5)).fit(progress=False)
    code, out, err = _sample(capsys, "--checkpoint", str(run_dir), "--num", "3")
    assert code == 0 and "EMA generator" in out, err
    code, out, err = _sample(capsys, "--checkpoint", str(run_dir), "--num", "3", "--no-ema")
    assert code == 0 and "EMA" not in out, err
    ema, raw = (np.load(run_dir / "samples" / name)["x"] for name in ("step00000004-seed0-n3-ema.npz",
                                                                       "step00000004-seed0-n3.npz"))
    assert not np.array_equal(ema, raw)
