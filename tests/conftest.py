"""Shared fixtures: tiny models and data so every test runs in seconds on 2 CPU cores."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gans.config import resolve
from gans.data.shapes import make_shapes
from tests.inception_files import inception_files, torchscript_files  # noqa: F401 (fixtures)

SHARED_SUBSET = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cifar10_train_subset.npz"


@pytest.fixture
def tiny_npz(tmp_path: Path) -> Path:
    """64 real-format images (uint8 NCHW, 16x16) from the built-in generator."""
    path = tmp_path / "tiny.npz"
    np.savez(path, x=make_shapes(64, size=16, seed=1).numpy())
    return path


@pytest.fixture
def tiny_flags(tiny_npz: Path, tmp_path: Path) -> dict:
    """Flags for a run that takes well under a second a step."""
    return {"dataset": str(tiny_npz), "image_size": 16, "width": 1 / 16, "z_dim": 8, "batch_size": 8,
            "n_critic": 2, "steps": 4, "out": str(tmp_path / "run"), "device": "cpu",
            "checkpoint_every": 2, "sample_every": 2, "log_every": 1}


@pytest.fixture
def tiny_cfg(tiny_flags):
    def make(**over):
        return resolve({**tiny_flags, **over})
    return make


@pytest.fixture(autouse=True, scope="session")
def _private_caches(tmp_path_factory):
    """Reference statistics and wandb's caches go to this session's folder, never the user's home
    (session scope: module fixtures that train and evaluate run under it too)."""
    root = tmp_path_factory.getbasetemp()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GANS_CACHE", str(root / "gans-cache"))
        for var in ("WANDB_CACHE_DIR", "WANDB_DATA_DIR", "WANDB_CONFIG_DIR"):
            mp.setenv(var, str(root / var.lower()))
        yield
