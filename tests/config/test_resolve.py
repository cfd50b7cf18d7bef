"""--channels-last's default is chosen per device when the run is resolved, and recorded."""
import pytest
import torch

from gans.cli.train import train
from gans.config import resolve, resume_config, to_toml
from gans.config.options import CHANNELS_LAST_BY_DEVICE


@pytest.mark.parametrize("cpu_default", [True, False])
@pytest.mark.parametrize("device,kind", [("cpu", "cpu"), ("cuda", "cuda"), ("cuda:1", "cuda")])
def test_channels_last_default_follows_the_device(monkeypatch, cpu_default, device, kind):
    # either table: the default is the entry of the device's kind, not a value fixed elsewhere
    monkeypatch.setitem(CHANNELS_LAST_BY_DEVICE, "cpu", cpu_default)
    monkeypatch.setitem(CHANNELS_LAST_BY_DEVICE, "cuda", not cpu_default)
    assert resolve({"device": device}).channels_last is CHANNELS_LAST_BY_DEVICE[kind]
    for given in (True, False):  # a flag or file always wins
        assert resolve({"device": device, "channels_last": given}).channels_last is given


@pytest.mark.parametrize("gpu", [True, False])
def test_auto_device_follows_the_visible_gpu(monkeypatch, gpu):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpu)
    monkeypatch.setitem(CHANNELS_LAST_BY_DEVICE, "cpu", True)
    monkeypatch.setitem(CHANNELS_LAST_BY_DEVICE, "cuda", False)
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


@pytest.mark.parametrize("device,expected", [("cpu", False), ("cuda", True), ("cuda:1", True)])
def test_cuda_graph_default_follows_the_device(device, expected):
    # measured faster on an H200 (docs/performance.md); on the CPU it runs eagerly
    assert resolve({"device": device}).cuda_graph is expected
    for given in (True, False):  # a flag or file always wins
        assert resolve({"device": device, "cuda_graph": given}).cuda_graph is given


def test_a_run_saved_before_the_graph_default_resumes_eagerly(tmp_path):
    saved = resolve({"device": "cuda"}).to_dict()
    assert saved["cuda_graph"] is True and resume_config(saved, {}, tmp_path).cuda_graph is True
    del saved["cuda_graph"]  # saved before the field: it stepped eagerly, and a resume keeps that
    assert resume_config(saved, {}, tmp_path).cuda_graph is False
