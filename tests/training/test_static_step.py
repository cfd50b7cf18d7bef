"""The capturable step (issue 29) against today's Trainer.train_step, on the CPU: the same bits after K
steps across epoch boundaries (weights, buffers, Adam's moments, the EMA, the data position, the RNG,
every step's losses), for SN + hinge, BN + penalty and MSN's joint pass; what a replay would skip
(host reads, Python-side state) kept out of the step; and what cannot be captured, named."""
from __future__ import annotations

import contextlib
import copy
import sys

import pytest
import torch

from gans.data.images import Batches
from gans.models.norms import NORMS
from gans.training.ema import EMA
from gans.training.static_step import DeviceBatches, DeviceEMA, StaticStep, capturable, set_capturable
from gans.training.trainer import Trainer

STEPS = 9  # 60 images in batches of 8 is 7 batches an epoch: every case crosses at least one epoch


@pytest.fixture
def cfg(tiny_cfg, tiny_npz):
    """60 images (the last 4 of an epoch dropped), width 1/16, batch 8, an EMA that is warming up."""
    def make(**over):
        return tiny_cfg(**{"dataset": f"{tiny_npz}[:60]", "width": 0.0625, "batch_size": 8, "ema_decay": 0.999,
                           **over})
    return make


def assert_same(a, b, where: str = "") -> None:
    """Nested dicts, lists and tensors equal bit for bit."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_same(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def test_assert_same_sees_one_bit():
    x = torch.tensor([1.0, 2.0])
    with pytest.raises(AssertionError):
        assert_same({"w": [x]}, {"w": [torch.nextafter(x, x + 1)]})


@pytest.mark.parametrize("n_critic", [1, 2])
@pytest.mark.parametrize("preset", ["sngan", "wgan-gp", "msngan"])
def test_steps_equal_todays_bit_for_bit(cfg, preset, n_critic):
    c = cfg(preset=preset, n_critic=n_critic)
    today, static = Trainer(c), Trainer(c)
    rng = torch.get_rng_state()  # both trainers seeded alike; each run below starts from here
    expected = [today.train_step() for _ in range(STEPS)]
    after = torch.get_rng_state()
    torch.set_rng_state(rng)
    step = StaticStep(static)
    got = [step() for _ in range(STEPS)]
    assert isinstance(static.batches, DeviceBatches) and isinstance(static.ema, DeviceEMA)
    assert_same(got, expected, "losses")
    assert torch.equal(torch.get_rng_state(), after)  # the same noise, drawn in the same order
    assert_same(static.state_dict(), today.state_dict(), "checkpoint")  # weights, Adam, EMA, data position
    assert torch.equal(static.diverged, today.diverged)


def test_a_checkpoint_of_either_resumes_the_other(cfg):
    """The installed stream and EMA keep today's state dicts: a run can move between the two paths.
    (States are copied at once: a state dict holds live tensors, and its RNG is the process's, which
    the next Trainer reseeds.)"""
    c = cfg(preset="wgan-gp", n_critic=2)
    straight = Trainer(c)
    expected = [straight.train_step() for _ in range(2 * STEPS)]
    first = Trainer(c)
    for _ in range(5):  # 10 batches: mid-epoch
        first.train_step()
    saved = copy.deepcopy(first.state_dict())
    static = Trainer(c)
    step = StaticStep(static)
    static.load_state_dict(saved)  # into the installed stream and EMA, in place
    got = [step() for _ in range(5)]
    saved = copy.deepcopy(static.state_dict())
    back = Trainer(c)
    back.load_state_dict(saved)
    got += [back.train_step() for _ in range(2 * STEPS - 10)]
    assert_same(got, expected[5:], "losses")
    assert_same(back.state_dict(), straight.state_dict(), "checkpoint")


@pytest.mark.parametrize("n,batch,per_step", [(60, 8, 1), (60, 8, 2), (64, 8, 3), (20, 8, 5), (8, 8, 2)])
def test_device_batches_are_todays_batches(n, batch, per_step):
    """Every batch and state dict equal, with epochs shorter than a step and drop-last remainders;
    also from states loaded mid-epoch and at an epoch's very end."""
    images = torch.randint(0, 256, (n, 1, 2, 2), dtype=torch.uint8)
    for pos in (None, batch, n - n % batch):
        today = Batches(images, batch, seed=3, device=torch.device("cpu"))
        if pos is not None:
            today.load_state_dict({"epoch_state": today.state_dict()["epoch_state"], "pos": pos})
        device = DeviceBatches(today, per_step)
        today = Batches(images, batch, seed=3, device=torch.device("cpu"))
        today.load_state_dict(device.state_dict())
        for _ in range(7):
            device.prepare()
            for _ in range(per_step):
                assert torch.equal(device.next(), today.next())
            assert_same(device.state_dict(), today.state_dict(), f"pos {pos}")


def python_state(obj) -> dict:
    """An object's attributes as a replay sees them: tensors by identity, the rest by value."""
    return {k: id(v) if isinstance(v, torch.Tensor) else (v if not isinstance(v, list) else list(v))
            for k, v in vars(obj).items()}


def test_what_a_replay_skips_changes_nothing():
    """A replay runs next()'s and update()'s kernels but not their Python: they must keep no Python state
    (today's EMA counts its updates in Python, so its replays would never warm the decay up)."""
    images = torch.randint(0, 256, (20, 1, 2, 2), dtype=torch.uint8)
    batches = DeviceBatches(Batches(images, 4, seed=0, device=torch.device("cpu")), 2)
    before = python_state(batches)
    batches.next()
    assert python_state(batches) == before
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    today, device = EMA(net, 0.9), DeviceEMA(EMA(net, 0.9), torch.device("cpu"))
    before = python_state(device)
    device.update(net)
    assert python_state(device) == before and device.updates == 1
    today.update(net)
    assert today.updates == 1  # ... whereas today's counter is a Python int
    assert_same(device.state_dict(), today.state_dict())


@contextlib.contextmanager
def host_reads():
    """The tensor reads on the host (.item(), bool(), float(), int(), .tolist()) made inside, but Adam's:
    on the CPU it reads its step counter, which capturable Adam on CUDA does not."""
    reads: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        for name in ("item", "__bool__", "__float__", "__int__", "tolist"):
            patch.setattr(torch.Tensor, name, _noting(getattr(torch.Tensor, name), name, reads))
        yield reads


def _noting(original, name: str, reads: list[str]):
    def noted(self, *args, **kwargs):
        caller = sys._getframe(1).f_code.co_filename
        if "torch/optim/" not in caller.replace("\\", "/"):
            reads.append(f"Tensor.{name} from {caller}")
        return original(self, *args, **kwargs)

    return noted


def _norm_cases() -> list[tuple[str, str]]:
    return [(arch, norm) for arch in ("dcgan", "resnet") for norm in NORMS if (arch, norm) != ("resnet", "dsn")]


@pytest.mark.parametrize("over", [{"preset": "wgan-gp"}, {"preset": "msngan"}, {"precision": "bf16"}]
                         + [{"arch": a, "norm": n, "d_arch": "separable" if n == "dsn" else "standard"}
                            for a, n in _norm_cases()])
def test_a_step_reads_nothing_on_the_host(cfg, over):
    """Every norm, both architectures, the penalty and the joint pass: what capturable() passes has no
    host read in its step (a captured step could not replay one)."""
    c = cfg(n_critic=2, **over)
    assert capturable(c) is None
    step = StaticStep(Trainer(c))
    with host_reads() as reads:
        step()
        step()
    assert reads == []


def test_the_host_read_guard_sees_what_capturable_refuses(cfg):
    trainer = Trainer(cfg(norm="wn:init=data"))
    with host_reads() as reads:
        trainer.train_step()
    assert reads and "weight.py" in reads[0]


def test_capturable_presets(cfg):
    for preset in ("sngan", "wgan-gp", "msngan", "wgan-gp-ln", "msngan-paper"):
        assert capturable(cfg(preset=preset)) is None, preset
    assert capturable(cfg(precision="bf16", gp=True)) is None


@pytest.mark.parametrize("over,names", [
    ({"lr_decay": "linear"}, "--lr-decay linear"),
    ({"precision": "fp16"}, "--precision fp16"),
    ({"compile": True}, "--compile"),
    ({"preset": "msngan-seedcode"}, "update=projected"),
    ({"g_norm": "sn:update=projected"}, "--g-norm sn:update=projected"),
    ({"norm": "wn:init=data"}, "--norm wn:init=data"),
])
def test_what_cannot_be_captured_says_why(cfg, over, names):
    reason = capturable(cfg(**over))
    assert reason is not None and names in reason and "\n" not in reason


def test_several_processes_are_not_captured(cfg):
    assert "2 processes" in capturable(cfg(), world=2)


def test_static_step_refuses_what_cannot_be_captured(cfg):
    with pytest.raises(ValueError, match="--lr-decay linear"):
        StaticStep(Trainer(cfg(lr_decay="linear")))


def test_a_graph_runs_checkpoint_resumes_with_graphs_off(cfg):
    """A checkpoint keeps Adam's capturable flag; capturable Adam refuses CPU tensors, so a run resumed
    without graphs turns it off, and then goes on as if it had never been on."""
    c = cfg()
    straight = Trainer(c)
    expected = [straight.train_step() for _ in range(3)]
    first = Trainer(c)
    first.train_step()
    state = copy.deepcopy(first.state_dict())
    for name in ("opt_g", "opt_d"):
        for group in state[name]["param_groups"]:
            group["capturable"] = True  # as a CUDA graph run writes it
    broken = Trainer(c)
    broken.load_state_dict(copy.deepcopy(state))
    with pytest.raises(AssertionError, match="capturable"):
        broken.train_step()
    resumed = Trainer(c)
    resumed.load_state_dict(state)
    for opt in (resumed.opt_g, resumed.opt_d):
        set_capturable(opt, False)
    assert_same([resumed.train_step() for _ in range(2)], expected[1:], "losses")
    assert_same(resumed.state_dict(), straight.state_dict(), "checkpoint")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a CUDA device")
def test_replays_equal_eager_steps_on_cuda(cfg, monkeypatch):
    """On a GPU: K steps replayed from one capture equal K eager steps of the same StaticStep path. The
    reference is eager *capturable* Adam: its arithmetic differs from the default Adam's in rounding,
    so a graph run equals today's eager CUDA step only to rounding, not bit for bit. A throwaway run of
    the same steps comes first: on an H200 (torch 2.11, --deterministic) the first WGAN-GP steps of a
    process differed in rounding from every later run of them (D 7.9e-7 apart after 3 steps, on the
    default stream and on a side stream alike), so the reference must not be the process's first."""
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    c = cfg(preset="wgan-gp", n_critic=2, device="cuda", deterministic=True)
    eager, graphed, first = Trainer(c), Trainer(c), Trainer(c)
    rng = torch.cuda.get_rng_state()
    throwaway = StaticStep(first)
    for _ in range(STEPS):
        throwaway()
    torch.cuda.set_rng_state(rng)
    eager_step = StaticStep(eager)
    expected = [{k: v.clone() for k, v in eager_step().items()} for _ in range(STEPS)]
    torch.cuda.set_rng_state(rng)
    graphed_step = StaticStep(graphed)
    graphed_step.capture(warmup=3)
    got = [{k: v.clone() for k, v in graphed_step().items()} for _ in range(STEPS - 3)]
    assert graphed.step == eager.step == STEPS
    assert_same(got, expected[3:], "losses")
    assert_same(graphed.state_dict(), eager.state_dict(), "checkpoint")


def test_only_a_cuda_step_is_captured(cfg):
    """On the CPU the static step runs eagerly; asking it to capture is refused at once, not mid-run."""
    with pytest.raises(ValueError, match="CUDA"):
        StaticStep(Trainer(cfg()), warmup=3)
    step = StaticStep(Trainer(cfg()))
    with pytest.raises(ValueError, match="CUDA"):
        step.capture()
    assert step.graph is None and step.trainer.step == 0
