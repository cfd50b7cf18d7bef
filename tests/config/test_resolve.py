"""--channels-last's default is chosen per device when the run is resolved, and recorded."""
import pytest
import torch

from gans.cli.train import train
from gans.config import resolve, resume_config, to_toml
from gans.config.options import CHANNELS_LAST_BY_DEVICE


@pytest.mark.parametrize("device,expected", [("cpu", True), ("cuda", False), ("cuda:1", False)])
def test_channels_last_default_by_device(device, expected):
    assert CHANNELS_LAST_BY_DEVICE["cpu"] and not CHANNELS_LAST_BY_DEVICE["cuda"]  # as measured (README)
    assert resolve({"device": device}).channels_last is expected
    for given in (True, False):  # a flag or file always wins
        assert resolve({"device": device, "channels_last": given}).channels_last is given


@pytest.mark.parametrize("gpu", [True, False])
def test_auto_device_follows_the_visible_gpu(monkeypatch, gpu):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpu)
    assert resolve({"device": "auto"}).channels_last is not gpu


def test_resolved_layout_is_recorded_and_kept_on_resume(tmp_path):
    cfg = resolve({"device": "cpu"})
    assert "channels-last = true" in to_toml(cfg).splitlines()
    saved = cfg.to_dict()
    assert resume_config(saved, {"device": "cuda"}, tmp_path).channels_last is True  # the run's layout, kept
    assert resume_config(saved, {"channels_last": False}, tmp_path).channels_last is False  # resumable
    del saved["channels_last"]  # a run saved before the field: it ran contiguous
    assert resume_config(saved, {}, tmp_path).channels_last is False


def test_config_file_and_flags(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("channels-last = false\n")
    assert resolve({"device": "cpu"}, path).channels_last is False
    for argv, expected in (([], None), (["--channels-last"], True), (["--no-channels-last"], False)):
        with train.make_context("train", argv) as ctx:
            assert ctx.params["channels_last"] is expected  # None: not given, so resolve picks by device
