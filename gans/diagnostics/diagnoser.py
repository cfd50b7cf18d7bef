"""Training diagnostics of the critic: the measurements the MSN paper's claims rest on, in two kinds.

Every ``--diagnose-every`` steps the trainer hands the diagnoser its networks; the diagnoser works
on copies of them, and draws every batch, latent, interpolation and penalty weight from its own
``torch.Generator`` (seeded by the run's seed and the step), never from the global CPU or CUDA
generators, so training is bitwise the same with or without it. It is given the critic's training
loss as parts (:class:`~gans.diagnostics.critic.CriticTraining`: objective, the trainer's own
scoring function and pass mode, the penalty and its weight) and finds the layers through
``D.slots()``. One :class:`Diagnosis` per call goes to RUN/diagnostics.jsonl.

Order of a call: (1) the copy in eval mode, before any training-mode forward moves its running
statistics: the slots' output channel means on a held-out real batch and a held-out fake batch of
the same size, scored together (drawn for this and never put through a training-mode forward: held
out of the running statistics, not of the data set; real and fake both, because BN's and MSN's
running means average over real and fake batches), each slot's effective operator (norm gains
folded) and weight;
(2) batch-statistic norms in train mode, parametrizations in eval mode (no power-iteration step
between passes): the critic's training loss (and penalty) on ``BATCHES`` mini-batches, scored by
the trainer's own function and backpropagated, for the gradients; on the first, hooks keep the
channel means before and after each norm, and the input-gradient Jacobian blocks of the scores are
taken (:mod:`gans.diagnostics.lipschitz`); (3) the same blocks on interpolates, scored as one batch
as the penalty scores them.

The estimators: :mod:`gans.diagnostics.paper` (the authors' code's quantities) and
:mod:`gans.diagnostics.corrected` (ours); operators in :mod:`gans.diagnostics.operators`.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn
from torch.nn.utils import parametrize

from gans.diagnostics import corrected, paper
from gans.diagnostics.critic import CriticTraining
from gans.diagnostics.layers import bare_layer, measurement_mode, slots, weight_parameters
from gans.diagnostics.lipschitz import coupled, jacobian_blocks
from gans.diagnostics.operators import effective_weight, operator_norm, reshaped_singular_values
from gans.runs.log_records import Diagnosis, LayerStats

BATCHES = 4  # mini-batches for the gradient-variance estimate
PICKS = 2  # samples of each kind (real, fake, interpolated) whose own-input gradient is taken: one backward each
HIST_EDGES = [float(e) for e in range(-12, 3)]  # log10 |g| bins


@dataclass
class Draws:
    """Every random input of one diagnosis, drawn up front in a fixed order from its generator."""

    batches: list[tuple[torch.Tensor, torch.Tensor]]  # (real, fake) per mini-batch
    held_out_real: torch.Tensor
    held_out_fake: torch.Tensor
    alphas: list[torch.Tensor]  # the penalty's interpolation weights per mini-batch, then the interpolates'


@dataclass
class Hooked:
    """Per-sample channel means (rows in the order scored) seen by hooks during one forward call."""

    pre: dict[int, torch.Tensor] = field(default_factory=dict)  # the bare layer's output
    post: dict[int, torch.Tensor] = field(default_factory=dict)  # the slot's output
    shapes: dict[int, tuple[int, ...]] = field(default_factory=dict)  # the bare layer's input, per sample


def hooked(layers: list[nn.Module], run: Callable[[], Any]) -> tuple[Any, Hooked]:
    """``run()`` and what hooks on every slot and its bare layer saw during it."""
    seen: dict[tuple[int, str], list[torch.Tensor]] = {}
    out = Hooked()

    def hook(i: int, where: str):
        def fn(module, inputs, output):
            if where == "pre":
                out.shapes[i] = tuple(inputs[0].shape[1:])
            seen.setdefault((i, where), []).append(corrected.channel_means(output))
        return fn

    handles = []
    for i, slot in enumerate(layers):
        handles.append(bare_layer(slot).register_forward_hook(hook(i, "pre")))
        handles.append(slot.register_forward_hook(hook(i, "post")))
    try:
        result = run()
    finally:
        for h in handles:
            h.remove()
    for (i, where), parts in seen.items():
        getattr(out, where)[i] = torch.cat(parts)
    return result, out


class Diagnoser:
    """Measures the critic on copies of the networks with its own RNG and data draws."""

    def __init__(self, images: torch.Tensor, batch_size: int, z_dim: int, seed: int, device: torch.device,
                 critic: CriticTraining) -> None:
        self.images, self.batch_size, self.z_dim, self.device = images, batch_size, z_dim, device
        self.seed, self.critic = seed, critic

    def generator(self, step: int) -> torch.Generator:
        """The private generator of the diagnosis at ``step``."""
        return torch.Generator().manual_seed(self.seed * 1_000_003 + step)

    def real(self, gen: torch.Generator) -> torch.Tensor:
        idx = torch.randint(len(self.images), (self.batch_size,), generator=gen)
        return self.images[idx].to(self.device).float().div_(127.5).sub_(1.0)

    def fake(self, gen: torch.Generator, G: nn.Module) -> torch.Tensor:
        z = torch.randn(self.batch_size, self.z_dim, generator=gen).to(self.device)
        with torch.no_grad():
            return G(z).float()

    def draws(self, gen: torch.Generator, G: nn.Module) -> Draws:
        """The diagnosis's inputs from ``gen`` (``G``: a train-mode copy), in a fixed order; the held-out
        fake batch comes last, so the draws before it are those of diagnoses made before it existed."""
        batches = [(self.real(gen), self.fake(gen, G)) for _ in range(BATCHES)]
        held_out = self.real(gen)
        alphas = [torch.rand(self.batch_size, generator=gen).to(self.device) for _ in range(BATCHES + 1)]
        return Draws(batches, held_out, self.fake(gen, G), alphas)

    def __call__(self, G: nn.Module, D: nn.Module, step: int) -> Diagnosis:
        """Measure ``D`` (scoring fakes of ``G``) at ``step``; neither network nor any RNG is changed."""
        gen = self.generator(step)
        G, D = copy.deepcopy(G).train(), copy.deepcopy(D)  # running stats and power iterations stay theirs
        n = self.batch_size
        drawn = self.draws(gen, G)
        batches, alphas = drawn.batches, drawn.alphas
        layers = slots(D)

        with torch.no_grad():
            D.eval()  # one pass: in eval mode each sample's output is its own, whatever shares its batch
            _, at_eval = hooked(layers, lambda: D(torch.cat([drawn.held_out_real, drawn.held_out_fake])))
            effective = [effective_weight(s) for s in layers]
            used = [bare_layer(s).weight.detach().clone() for s in layers]
        measurement_mode(D)
        mixing, k = coupled(D), min(PICKS, n)

        raw: list[list[torch.Tensor]] = [[] for _ in layers]  # gradients of the trained tensors
        direct: list[torch.Tensor] = []  # first batch: gradient w.r.t. each weight as the forward uses it
        input_grads, outputs, own, summed = [], [], [], []
        for b, (real, fake) in enumerate(batches):
            real, fake = real.clone().requires_grad_(True), fake.clone().requires_grad_(True)
            D.zero_grad(set_to_none=True)
            with parametrize.cached():  # one weight tensor per layer for the whole loss: its gradient is the total
                weights = [bare_layer(s).weight for s in layers]
                for w in weights:
                    if not w.is_leaf:
                        w.retain_grad()
                score = (lambda r=real, f=fake: self.critic.scores(D, r, f, self.critic.d_pass))
                if b == 0:  # channel means, input shapes and input gradients of real and fake as scored
                    scores, seen = hooked(layers, score)
                    o, s = jacobian_blocks(torch.cat(scores), [real, fake], [*range(k), *range(n, n + k)], mixing,
                                           retain_graph=True)
                    own.append(o)
                    summed.append(s)
                else:
                    scores = score()
                loss = self.critic.loss(D, real, fake, scores, alphas[b])
                loss.backward()  # the inputs are leaves too: their .grad is the input gradient
            if b == 0:
                direct = [_grad(w) for w in weights]
                input_grads = torch.cat([real.grad.flatten(), fake.grad.flatten()])
            for i, slot in enumerate(layers):
                raw[i].append(torch.cat([_grad(p) for p in weight_parameters(bare_layer(slot))]))
            outputs.append((float(scores[0].detach().mean()), float(scores[1].detach().mean())))

        # interpolates, scored as one batch as the penalty scores them
        a = alphas[-1].view(-1, *([1] * (batches[0][0].dim() - 1)))
        mixed = (a * batches[0][0] + (1 - a) * batches[0][1]).requires_grad_(True)
        o, s = jacobian_blocks(D(mixed).float(), [mixed], list(range(k)), mixing)
        own, summed = float(torch.cat([*own, o]).max()), float(torch.cat([*summed, s]).max())
        hist_counts, hist_zeros = corrected.log_histogram(torch.cat([g[0] for g in raw]), HIST_EDGES)
        stats = [self._layer(i, slot, seen, at_eval, effective[i], used[i], torch.stack(raw[i]), direct[i], gen)
                 for i, slot in enumerate(layers)]
        d_real = sum(s[0] for s in outputs) / len(outputs)
        d_fake = sum(s[1] for s in outputs) / len(outputs)
        return Diagnosis(step=step, d_real=d_real, d_fake=d_fake, d_gap=d_real - d_fake,
                         input_grad_sparsity=corrected.near_zero_share(input_grads),
                         input_grad_zeros=corrected.zero_share(input_grads),
                         hist_edges=HIST_EDGES, hist_counts=hist_counts, hist_zeros=hist_zeros, layers=stats,
                         lipschitz_sample=own, lipschitz_summed=summed)

    def _layer(self, i: int, slot: nn.Module, seen: Hooked, at_eval: Hooked, effective: torch.Tensor | None,
               used: torch.Tensor, stack: torch.Tensor, direct: torch.Tensor, gen: torch.Generator) -> LayerStats:
        n = self.batch_size
        bare = bare_layer(slot)
        # rows are real then fake, in the scored batch (either pass mode) as in the held-out one
        pre = seen.pre[i][:n].mean(0)  # the real half, for the earlier fields
        post = seen.post[i][:n].mean(0)
        # the new ones take every row: BN and MSN centre over real and fake (jointly or each batch)
        pre_z, post_z, eval_z = (corrected.standardized_rms(x) for x in (seen.pre[i], seen.post[i], at_eval.post[i]))
        sigma_reshaped = sigma_operator = sigma_mean = None
        if effective is not None:
            values = reshaped_singular_values(effective)
            sigma_reshaped, sigma_mean = float(values[0]), float(values.mean())
            sigma_operator = operator_norm(effective, bare, seen.shapes[i], generator=gen)
        weight_mean, weight_std = paper.weight_moments(used)
        spread = (lambda x: float(x.std()) if x.numel() > 1 else 0.0)
        return LayerStats(
            layer=i + 1, kind="conv" if isinstance(bare, nn.Conv2d) else "linear",
            drift_pre_mean=float(pre.mean()), drift_pre_std=spread(pre),
            drift_post_mean=float(post.mean()), drift_post_std=spread(post),
            drift_pre_rms=corrected.channel_rms(pre), drift_eval_rms=corrected.channel_rms(at_eval.post[i][:n].mean(0)),
            drift_pre_z=pre_z.rms, drift_pre_z_constant=pre_z.constant, drift_post_z=post_z.rms,
            drift_post_z_constant=post_z.constant, drift_eval_z=eval_z.rms, drift_eval_z_constant=eval_z.constant,
            batch_mean_gap=float((pre - seen.pre[i][n:].mean(0)).abs().mean()),
            grad_sparsity=corrected.near_zero_share(stack[0]), grad_zeros=corrected.zero_share(stack[0]),
            grad_var=corrected.raw_variance(stack), grad_var_rel=corrected.relative_variance(stack),
            grad_norm=corrected.mean_norm(stack),
            eff_sigma_reshaped=sigma_reshaped, eff_sigma_operator=sigma_operator, eff_sigma_mean=sigma_mean,
            paper_weight_mean=weight_mean, paper_weight_std=weight_std, paper_grad_zeros=paper.zero_share(direct),
            paper_grad_var=paper.entry_variance(direct), paper_sigma=paper.kernel_sigma(used))


def _grad(t: torch.Tensor) -> torch.Tensor:
    """A tensor's gradient, flattened; zeros when nothing reached it."""
    return (t.grad if t.grad is not None else torch.zeros_like(t)).detach().flatten()
