"""The quick start's evidence: each final generator against its own untrained one, in seconds."""
import numpy as np
import pytest
import torch

from gans.core.errors import UserError
from gans.data.shapes import make_shapes
from gans.runs import layout
from gans.training import learned
from gans.training.learned import Learned, check_learned, learned_lines, pixel_fd, pixel_features, reference_stats
from gans.training.trainer import Trainer


def test_pixel_features_pool_each_channel_to_a_few_numbers_in_0_1():
    images = torch.full((5, 3, 32, 32), 255, dtype=torch.uint8)
    images[:, :, :16] = 0  # top half black
    f = pixel_features(images)
    assert f.shape == (5, 3 * learned.POOL ** 2) and f.dtype == np.float64
    assert f.min() == 0 and f.max() == 1


def test_images_like_the_data_score_lower_than_images_unlike_it():
    data = make_shapes(3000, seed=0)
    reference = reference_stats(data[:1000])
    real = pixel_fd(data[1000:2000], reference)
    noise = pixel_fd(torch.randint(0, 256, (1000, 3, 32, 32), dtype=torch.uint8), reference)
    grey = torch.full((1000, 3, 32, 32), 128, dtype=torch.uint8) + torch.randint(0, 3, (1000, 3, 32, 32), dtype=torch.uint8)
    assert real < pixel_fd(grey, reference) and real < noise


def test_the_verdict_is_the_ratio_to_the_untrained_generator():
    assert Learned("sngan", 600, 2.0, 10.0).learned
    assert Learned("sngan", 600, 2.0, 10.0).line() == "sngan: learned (score 2.00 at step 600 vs untrained 10.00: 0.20x)"
    assert not Learned("msngan", 600, 7.0, 10.0).learned
    assert Learned("msngan", 600, 7.0, 10.0).line().startswith("msngan: did not learn (score 7.00")


@pytest.fixture
def small(monkeypatch):
    """The tiny run's 64 images: fewer samples and a coarser pool, so the statistics stay full-rank."""
    monkeypatch.setattr(learned, "SAMPLES", 48)
    monkeypatch.setattr(learned, "POOL", 2)


def test_a_run_is_scored_at_its_last_and_its_first_checkpoint(tiny_cfg, small):
    cfg = tiny_cfg()
    Trainer(cfg).fit(progress=False)
    images = torch.from_numpy(np.load(cfg.dataset)["x"])
    verdict = check_learned(cfg.out, reference_stats(images))
    assert (verdict.system, verdict.step) == ("sngan", 4)
    assert verdict.final > 0 and verdict.untrained > 0 and verdict.final != verdict.untrained
    lines = list(learned_lines([cfg]))
    assert lines[0].startswith("learned = the final score is at most 0.6x the untrained generator's. Score: Fréchet")
    assert lines[1] == "  " + verdict.line()
    layout.checkpoint_path(cfg.out, 0).unlink()
    with pytest.raises(UserError, match="no step-0 checkpoint"):
        check_learned(cfg.out, reference_stats(images))
