"""The training step a CUDA graph can capture (issue 29): the trainer's own step, with the two things
it keeps on the host replaced by device tensors.

A captured step replays its kernels but not its Python, so whatever changes from one step to the
next must live on the device. In ``Trainer.train_step`` that is:

* the data position: ``Batches.next`` slices its permutation at a Python int. :class:`DeviceBatches`
  keeps the epoch's order and the position as device tensors and gathers each batch there from the
  uint8 images already on the device (the same index, the same uint8 -> [-1, 1] arithmetic, so the
  same bits); its host part, :meth:`DeviceBatches.prepare`, runs before each step;
* the EMA's warm-up decay, a Python float per update: :class:`DeviceEMA` counts updates on the device.

Everything else (noise from the device RNG in the trainer's order, the critic and generator steps,
the penalty, Adam, BN and power-iteration buffers, the divergence flag) is already device work, so
:class:`StaticStep` runs the trainer's ``train_step`` itself: on the CPU eagerly, step for step equal
to today's; on CUDA recorded once by :meth:`StaticStep.capture` and replayed. What cannot be captured
is named by :func:`capturable`.
"""
from __future__ import annotations

from typing import Any, Protocol

import torch

from gans.config import TrainConfig
from gans.data.images import Batches
from gans.models.norms import parse_spec
from gans.training.ema import EMA


def capturable(cfg: TrainConfig, world: int = 1) -> str | None:
    """None when a run's training step can be captured in one graph, else why not (one line)."""
    if cfg.lr_decay != "none":
        return (f"--lr-decay {cfg.lr_decay} sets the learning rate from Python every step "
                "(a graph keeps the one it was captured with)")
    if cfg.precision == "fp16":
        return "--precision fp16: the gradient scaler checks for overflow on the host every step"
    if cfg.compile:
        return "--compile: torch.compile'd networks are not captured by hand; use one or the other"
    if world > 1:
        return f"{world} processes: gradients are averaged across processes every step, outside any graph"
    for flag, spec in (("--norm", cfg.norm), ("--g-norm", cfg.g_norm)):
        name, options = parse_spec(spec)
        if options.get("update") == "projected":
            return (f"{flag} {spec}: update=projected swaps each weight tensor every forward, "
                    "and a graph replays fixed addresses")
        if name == "wn" and options.get("init") == "data":
            return f"{flag} {spec}: init=data reads an 'initialized' flag on the host at every training forward"
    return None


def ensure_capturable(optimizer: torch.optim.Optimizer, on: bool) -> None:
    """:func:`set_capturable` where a group's flag differs (a reload where none does is not needed)."""
    if any(group.get("capturable", False) != on for group in optimizer.param_groups):
        set_capturable(optimizer, on)


def set_capturable(optimizer: torch.optim.Optimizer, on: bool) -> None:
    """Turn Adam's capturable mode on or off (a checkpoint keeps the flag, so a run resumed where
    graphs are off must turn it off: capturable Adam refuses CPU tensors). Reloading its own state
    moves each step counter where the mode wants it: onto the parameters' device when capturable."""
    for group in optimizer.param_groups:
        group["capturable"] = on
    optimizer.load_state_dict(optimizer.state_dict())


class DeviceBatches:
    """:class:`~gans.data.images.Batches`' stream, same order and state dict, with the order and the
    position on the device: :meth:`next` reads nothing on the host, so a captured step replays it.

    The order buffer holds the current epoch and as many following ones as one step can reach, each
    drawn from the same CPU generator as ``Batches`` draws them. :meth:`prepare`, the host's part of a
    step, drops finished epochs (drawing new ones) and advances the host's copy of the position
    (``at``) by the arithmetic :meth:`next` does on the device, so the two never need comparing.
    """

    def __init__(self, batches: Batches, per_step: int) -> None:
        self.images = batches.images  # the uint8 images already on the device: no second copy
        self.batch_size, self.per_step = batches.batch_size, per_step
        n = len(self.images)
        # the current epoch and every later one that one step, starting anywhere in it, can reach
        self.epochs = 1 + -(-per_step // (n // self.batch_size))
        device = self.images.device
        self.order = torch.empty(self.epochs * n, dtype=torch.long, device=device)
        self.pos = torch.zeros((), dtype=torch.long, device=device)
        self.offsets = torch.arange(self.batch_size, device=device)
        self.gen = torch.Generator()
        self.states: list[torch.Tensor] = []  # the generator's state at the start of each buffered epoch
        self.at = 0
        self.load_state_dict(batches.state_dict())

    def _start(self, at: int) -> int:
        """Where the next batch starts: here, or at the next epoch's start if this one has too few left."""
        n = len(self.images)
        return (at // n + 1) * n if at % n + self.batch_size > n else at

    def _current_epoch(self) -> int:
        """The buffered epoch the last batch came from (0 before any)."""
        return max(0, (self.at - 1) // len(self.images))

    def _draw(self, epoch: int) -> None:
        n = len(self.images)
        self.states.append(self.gen.get_state())
        perm = torch.randperm(n, generator=self.gen)
        if self.order.is_cuda:  # from pageable memory the copy would wait for the stream's work
            perm = perm.pin_memory()
        self.order[epoch * n:(epoch + 1) * n].copy_(perm, non_blocking=True)

    def prepare(self) -> None:
        """The host's part of one step, before it runs: no device reads, only device writes."""
        n, done = len(self.images), self._current_epoch()
        if done:
            kept = (self.epochs - done) * n
            self.order[:kept].copy_(self.order[done * n:].clone())
            self.states = self.states[done:]
            for epoch in range(self.epochs - done, self.epochs):
                self._draw(epoch)
            self.pos.sub_(done * n)
            self.at -= done * n
        for _ in range(self.per_step):
            self.at = self._start(self.at) + self.batch_size

    def next(self) -> torch.Tensor:
        """The next batch in [-1, 1], gathered on the device; the position moves on the device only."""
        n, size = len(self.images), self.batch_size
        start = torch.where(self.pos % n + size > n, (self.pos // n + 1) * n, self.pos)
        self.pos.copy_(start + size)
        return self.images[self.order[start + self.offsets]].float().div_(127.5).sub_(1.0)

    def state_dict(self) -> dict[str, Any]:
        epoch = self._current_epoch()
        return {"epoch_state": self.states[epoch].clone(), "pos": self.at - epoch * len(self.images)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Rebuild the buffer from a state, in place (a captured step keeps reading the same tensors)."""
        self.gen.set_state(state["epoch_state"])
        self.states = []
        for epoch in range(self.epochs):
            self._draw(epoch)
        self.at = int(state["pos"])
        self.pos.fill_(self.at)


class DeviceEMA(EMA):
    """:class:`~gans.training.ema.EMA` with its update count on the device, so a replayed step warms the
    decay up as eager updates do. The count is float64 and the decay rounds to fp32 once, as Python's
    float decay does when the lerp takes it, so the averages are the same bits."""

    def __init__(self, ema: EMA, device: torch.device) -> None:
        self.decay, self.model = ema.decay, ema.model  # the same averaged network, not a copy
        self.count = torch.tensor(float(ema.updates), dtype=torch.float64, device=device)

    @property
    def updates(self) -> int:  # type: ignore[override]
        return int(self.count.item())  # a host read: checkpoints and reports only, never in the step

    @updates.setter
    def updates(self, value: int) -> None:
        self.count.fill_(float(value))

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        self.count += 1
        weight = (1 - torch.clamp((1 + self.count) / (10 + self.count), max=self.decay)).float()
        mine = [*self.model.parameters(), *self.model.buffers()]
        theirs = [*model.parameters(), *model.buffers()]
        floats = [i for i, t in enumerate(mine) if t.dtype.is_floating_point]
        torch._foreach_lerp_([mine[i] for i in floats], [theirs[i].detach() for i in floats], [weight] * len(floats))
        for i, t in enumerate(mine):
            if not t.dtype.is_floating_point:  # step counters
                t.copy_(theirs[i])


class Stepping(Protocol):
    """What the static step uses of the trainer (a protocol, so this module needs no import of it)."""

    cfg: TrainConfig
    device: torch.device
    batches: Any
    ema: EMA | None
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    step: int
    ranks: Any

    def train_step(self) -> dict[str, torch.Tensor]: ...
    def say(self, line: str) -> None: ...


class StaticStep:
    """The trainer's step with its data stream and EMA on the device (installed into the trainer, so
    its checkpoints and resume go through them) and, on CUDA, Adam in capturable mode.

    Each call is one training step: eager until it is captured (:meth:`capture`, or by itself after
    ``warmup`` calls), a graph replay after. Build it after the trainer's state is loaded; a reload
    (resume, rollback) goes through the installed stream and EMA in place, but a graph keeps the
    optimizer state and learning rate it was recorded with: call :meth:`reloaded` after one.
    """

    def __init__(self, trainer: Stepping, warmup: int | None = None) -> None:
        reason = capturable(trainer.cfg, trainer.ranks.world)
        if reason:
            raise ValueError(f"this run's step cannot be captured: {reason}")
        if warmup is not None and trainer.device.type != "cuda":
            raise ValueError("only a CUDA step can be captured")
        self.trainer, self.warmup = trainer, warmup
        self.batches = trainer.batches = DeviceBatches(trainer.batches, trainer.cfg.n_critic)
        if trainer.ema is not None:
            trainer.ema = DeviceEMA(trainer.ema, trainer.device)
        self.graph: Any = None
        self.stats: dict[str, torch.Tensor] = {}
        self.reloaded()

    def reloaded(self) -> None:
        """After the trainer's state was loaded again: drop the graph (it is recorded again after
        ``warmup`` more steps) and set Adam's mode anew (a checkpoint carries it, and eager CPU Adam
        refuses the capturable one)."""
        self.graph, self.warmed = None, 0
        for opt in (self.trainer.opt_g, self.trainer.opt_d):
            ensure_capturable(opt, self.trainer.device.type == "cuda")

    def __call__(self) -> dict[str, torch.Tensor]:
        """One step; the tensors returned are overwritten by the next replay: read them before it."""
        self.batches.prepare()
        if self.graph is None:
            if self.warmup is None:
                return self.trainer.train_step()
            if self.warmed < self.warmup:
                return self._warm_step()
            self._record()
        self.graph.replay()
        self.trainer.step += 1
        return self.stats

    def capture(self, warmup: int = 3) -> None:
        """CUDA only: ``warmup`` steps now (real steps, they count), then one step recorded, not run."""
        if self.trainer.device.type != "cuda":
            raise ValueError("only a CUDA step can be captured")
        self.warmup, self.warmed = warmup, 0
        for _ in range(warmup):
            self()
        self._record()

    def _warm_step(self) -> dict[str, torch.Tensor]:
        """An eager step on a side stream, as capture wants its warm-up (it gives Adam its state and
        the allocator its blocks)."""
        t = self.trainer
        side = torch.cuda.Stream(t.device)
        side.wait_stream(torch.cuda.current_stream(t.device))
        with torch.cuda.stream(side):
            stats = t.train_step()
        torch.cuda.current_stream(t.device).wait_stream(side)
        self.warmed += 1
        return stats

    def _record(self) -> None:
        t = self.trainer
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.stats = t.train_step()
        t.step -= 1  # recording ran the step's Python once but none of its work
