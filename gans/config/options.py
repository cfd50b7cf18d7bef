"""Every training option as one typed field: its default, help text, choices and whether
``--resume`` may change it. A field ``n_critic`` is the flag ``--n-critic`` and the TOML key
``n-critic``; the CLI builds its options from here.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any

from gans.config.presets import PRESETS, SETTINGS

LR_DECAYS = ("none", "linear")
D_PASSES = ("separate", "joint")
D_ARCHS = ("standard", "separable")
ARCHS = ("dcgan", "resnet")
INITS = ("torch", "normal02", "msn-code")  # gans.models.init.INITS, named here without importing torch
PRECISIONS = ("fp32", "bf16", "fp16")
# Speed options when not given, per device type: on where the step that runs by default was faster with
# the option in every interleaved round and the option changes the arithmetic by rounding only (bf16 does
# more, so it stays opt-in until its scores are measured). The measurements: docs/performance.md, from
# bench/train_step.py --layout-ab on the CPU and bench/gpu_session.py on an H200.
CHANNELS_LAST_BY_DEVICE = {"cpu": True, "cuda": True}
CUDA_GRAPH_BY_DEVICE = {"cpu": False, "cuda": True}  # on the CPU the static step runs eagerly: no gain


def _opt(default: Any, help: str, resumable: bool = False, choices: Any = None) -> Any:
    return field(default=default, metadata={"help": help, "resumable": resumable, "choices": choices})


def _losses():
    from gans.losses import LOSSES

    return LOSSES


def _norm_help() -> str:
    from gans.models.norms import NORMS

    return ("Discriminator normalization, NAME[:key=value,...]: " + ", ".join(NORMS)
            + " (e.g. msn:layers=seed; see docs/presets.md#normalizations).")


@dataclass
class TrainConfig:
    preset: str = _opt("sngan", "System: critic norm, loss, penalty, optimizer, critic steps, inits and pass together.", choices=lambda: PRESETS)
    label: str = _opt("", "Name of this system in run names, reports and wandb groups, for a preset with "
                          "changed flags (e.g. sngan-wgan). [default: the preset]")
    setting: str = _opt("", "SNGAN-paper optimizer setting (lr, betas, n-critic) instead of the preset's.",
                        choices=lambda: SETTINGS)
    norm: str = _opt("sn", _norm_help)
    arch: str = _opt("dcgan", "Network architecture of G and D: the SNGAN paper's standard CNN (dcgan) or its ResNet.",
                     choices=lambda: ARCHS)
    d_arch: str = _opt("standard", "Critic architecture: standard convs, or depthwise-separable ones (for dsn).",
                       choices=lambda: D_ARCHS)
    init: str = _opt("torch", "Weight init of the critic, and of the generator unless --g-init or the preset sets that: torch (PyTorch's defaults), normal02 (N(0, 0.02), zero biases, as "
                              "chainer-gan-lib and pytorch-gan-collections), msn-code (the MSN authors' filler).",
                     choices=lambda: INITS)
    # separate, so a search can tell whether a gain comes from the critic's init or the generator's
    g_init: str = _opt("", "Generator init, as --init. [default: the preset's, else --init's]", choices=lambda: INITS)
    g_norm: str = _opt("bn", "Generator normalization (same syntax as --norm).")
    loss: str = _opt("hinge", "Adversarial objective.", choices=_losses)
    gp: bool = _opt(False, "Add the WGAN-GP gradient penalty.")
    gp_weight: float = _opt(10.0, "Penalty weight lambda.")
    d_pass: str = _opt("separate", "How the critic sees a step's real and fake images: two batches, or one "
                                   "joint batch (one set of BN/MSN batch statistics).", choices=lambda: D_PASSES)
    steps: int = _opt(100_000, "Generator steps.", resumable=True)
    batch_size: int = _opt(64, "Batch size.")
    n_critic: int = _opt(1, "Critic steps per generator step.")
    lr: float = _opt(2e-4, "Adam learning rate (both networks).")
    betas: tuple[float, float] = _opt((0.5, 0.999), "Adam betas, e.g. --betas 0.5 0.9.")
    lr_decay: str = _opt("none", "Learning-rate schedule.", choices=lambda: LR_DECAYS)
    width: float = _opt(1.0, "Channel multiplier (1.0 = the paper's net).")
    z_dim: int = _opt(128, "Latent size.")
    image_size: int = _opt(32, "Image side, a multiple of 8.")
    channels: int = _opt(3, "Image channels.")
    dataset: str = _opt("shapes", "shapes (built-in, offline), cifar10, cifar10-test, FILE.npz or IMAGE_FOLDER; "
                                  "[START:STOP] takes a slice, e.g. data.npz[:4000].")
    data_dir: str = _opt("data", "Where cifar10 is (or is downloaded to).", resumable=True)
    out: str = _opt("", "Run directory. [default: runs/PRESET-seedSEED]")
    seed: int = _opt(0, "Seed for weights, noise and data order.")
    device: str = _opt("auto", "auto, cpu, cuda or cuda:N.", resumable=True)
    deterministic: bool = _opt(False, "torch.use_deterministic_algorithms (bitwise-repeatable, slower on GPU).")
    ema_decay: float = _opt(0.0, "Keep an exponential moving average of the generator (weights and buffers) with "
                                 "this decay, e.g. 0.9999 as StudioGAN; sampling and evaluation use it (0: off).")
    precision: str = _opt("fp32", "Mixed precision for G and D (autocast); fp16 adds a gradient scaler.",
                          resumable=True, choices=lambda: PRECISIONS)
    compile: bool = _opt(False, "torch.compile the networks (falls back to eager with a note if it fails).",
                         resumable=True)
    cuda_graph: bool = _opt(False, "Capture the whole training step in one CUDA graph and replay it, with the data "
                                   "and the EMA's count on the device. A run that cannot be captured (--lr-decay, "
                                   "fp16, --compile, several processes) says why in one line and runs eagerly; "
                                   "without CUDA the same step runs eagerly. [default: by device, where measured "
                                   "faster (docs/performance.md): on for CUDA, off for the CPU]",
                            resumable=True)
    # False is what configs saved before the per-device default hold; resolve() picks the default by device
    channels_last: bool = _opt(False, "channels-last memory layout for G and D. [default: by device, where measured "
                                      "faster (docs/performance.md): on for the CPU and for CUDA]",
                         resumable=True)
    sync_norm: bool = _opt(False, "With several processes, BN and MSN batch statistics over the whole batch.")
    checkpoint_every: int = _opt(1000, "Checkpoint period in steps.", resumable=True)
    sample_every: int = _opt(500, "Sample-grid period in steps.", resumable=True)
    log_every: int = _opt(10, "Metrics period in steps.", resumable=True)
    keep: int = _opt(3, "Newest checkpoints kept (step 0's, the untrained networks, is kept too).", resumable=True)
    rollback: int = _opt(0, "On divergence, reload the last checkpoint at half the learning rate, up to N "
                            "times (0: stop).", resumable=True)
    eval_every: int = _opt(0, "Score FID (and IS, KID) every N steps into eval.jsonl and keep checkpoints/best.pt, "
                              "the best by FID (0: never).", resumable=True)
    eval_samples: int = _opt(1000, "Generated images per training-time evaluation (fixed latents).")
    eval_reference: str = _opt("", "Reference for training-time FID (as in gans eval). [default: the training data]")
    eval_reference_count: int = _opt(0, "First N reference images (0: all).")
    diagnose_every: int = _opt(0, "Measure the critic every N steps into diagnostics.jsonl: mean drift, gradient "
                                  "sparsity and variance, singular values, Lipschitz estimate (0: never).",
                               resumable=True)
    inception_weights: str = _opt("", "Inception weight file for --eval-every (see gans eval --help). "
                                      "[default: $GANS_INCEPTION_WEIGHTS, else found or downloaded]", resumable=True)

    @property
    def generator_init(self) -> str:
        return self.g_init or self.init

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["betas"] = list(self.betas)
        return d

    @property
    def system(self) -> str:
        """What reports group seeds by: the label, else the preset."""
        return self.label or self.preset

    @property
    def run_name(self) -> str:
        return f"{self.system}-seed{self.seed}"


FIELDS = {f.name: f for f in fields(TrainConfig)}
RESUMABLE = frozenset(n for n, f in FIELDS.items() if f.metadata["resumable"])
POSITIVE_INT = ("steps", "batch_size", "n_critic", "z_dim", "image_size", "channels",
                 "checkpoint_every", "sample_every", "log_every", "keep")
POSITIVE_FLOAT = ("lr", "width")


def flag(name: str) -> str:
    """The flag of a field: n_critic -> --n-critic."""
    return "--" + name.replace("_", "-")


def field_name(key: str) -> str:
    """A flag, TOML key or field name -> the field name: --n-critic, n-critic -> n_critic."""
    return key.lstrip("-").replace("-", "_")


def shown(value: Any) -> str:
    """A value as help prints it: 0 0.9, 0.0002, on, none."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (tuple, list)):
        return " ".join(shown(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if value != "" else "none"


def preset_values(name: str) -> dict[str, list[str]] | None:
    """What each preset resolves a field to, as {value: [presets]}, or None when no preset sets it."""
    if not any(name in values for values in PRESETS.values()):
        return None
    groups: dict[str, list[str]] = {}
    for preset, values in PRESETS.items():
        groups.setdefault(shown(values.get(name, FIELDS[name].default)), []).append(preset)
    return groups


def help_text(name: str) -> str:
    """A field's help with its default, for the CLI. A field that presets set shows what each preset
    resolves it to: the dataclass default would be what no run gets."""
    f = FIELDS[name]
    text = f.metadata["help"]() if callable(f.metadata["help"]) else f.metadata["help"]
    groups = preset_values(name)
    if groups:
        # the value most presets share goes last, as "else" (a tie goes to the default preset's)
        common = max(groups, key=lambda v: (len(groups[v]), FIELDS["preset"].default in groups[v]))
        parts = [f"{value} for {', '.join(presets)}" for value, presets in groups.items() if value != common]
        listing = "; ".join([*parts, f"else {common}"]) if parts else f"{common} for every preset"
        return f"{text} [default: the preset's: {listing}]"
    if "[default:" in text or f.type == "bool":
        return text
    return f"{text} [default: {shown(f.default)}]"


def choices(name: str) -> list[str] | None:
    c = FIELDS[name].metadata["choices"]
    return list(c()) if c else None
