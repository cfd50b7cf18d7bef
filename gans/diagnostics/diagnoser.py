"""Training diagnostics of the critic: the measurements the MSN paper's claims rest on.

Every ``--diagnose-every`` steps the trainer hands its networks to :class:`Diagnoser`, which works
on copies of them with batches from its own RNG, so training itself is bitwise unchanged, and
nothing runs in the steps between. One :class:`Diagnosis` per call goes to RUN/diagnostics.jsonl:

* **mean drift** (MSN paper Figs. 3-4): for each critic layer, the mean and std over channels of
  the pre-activation channel means on a real batch, before the norm's centring (the bare conv) and
  after it (the layer's output, before the activation);
* **batch-mean gap**: per layer, the mean over channels of |mean_real - mean_fake| of the bare
  conv's channel means: what a BN/MSN running mean averages over when real and fake batches are
  centred separately;
* **gradient sparsity** (Fig. 1): the fraction of a layer's weight-gradient entries (and of the
  input-gradient entries) whose magnitude is below ``SPARSE`` x that layer's mean magnitude;
* **gradient variance** (Fig. 5): per layer, the variance over ``BATCHES`` independent mini-batches of
  each weight-gradient entry (unbiased, ddof=1), averaged over the entries, plus the mean gradient
  norm; and a histogram of log10 |gradient| over all critic weights;
* **singular values** (Fig. 6): per layer, the largest singular value of the effective weight
  reshaped to (out, in*k*k) and of the actual conv operator at the layer's input size (power
  iteration on the conv and its transpose), and the mean singular value of the reshaped weight;
* **Lipschitz estimate**: max ||grad_x D(x)|| over real, fake and interpolated points;
* D(real) - D(fake) on the diagnostic batches.

The gradients are those of the critic's own training loss (and penalty) on each batch.
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from gans.runs.records import Diagnosis, LayerStats

SPARSE = 0.01  # an entry is "sparse" when |g| < SPARSE * mean |g| of its layer
BATCHES = 4  # mini-batches for the gradient-variance estimate
POWER_ITERATIONS = 50
HIST_EDGES = [float(e) for e in range(-12, 3)]  # log10 |g| bins


def normalized_layers(D: nn.Module) -> list[nn.Module]:
    """The critic's slots, in order: each conv (with its norm) of the body, then the head."""
    body = [m for m in D.body if not isinstance(m, (nn.LeakyReLU, nn.ReLU))]
    return [*body, D.head]


def bare_layer(slot: nn.Module) -> nn.Module:
    """The conv or dense layer inside a slot (its ``weight`` is the effective, normalized weight)."""
    return next(m for m in slot.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))


def measurement_mode(D: nn.Module) -> nn.Module:
    """Train mode (BN and MSN use batch statistics, as in training) with weight parametrizations in
    eval mode, so spectral norm's power iteration does not move the weights between the passes of
    one measurement."""
    from torch.nn.utils.parametrize import ParametrizationList

    D.train()
    for m in D.modules():
        if isinstance(m, ParametrizationList):
            m.eval()
    return D


def conv_operator_norm(conv: nn.Conv2d, input_shape: tuple[int, int, int], iterations: int = POWER_ITERATIONS,
                       generator: torch.Generator | None = None) -> float:
    """Largest singular value of the linear map x -> conv(x) (no bias) on inputs of ``input_shape``
    (C, H, W): power iteration on A^T A with A = conv and A^T = its transposed conv."""
    w = conv.weight.detach()
    kwargs = dict(stride=conv.stride, padding=conv.padding, dilation=conv.dilation, groups=conv.groups)
    x = torch.randn(1, *input_shape, generator=generator).to(w)
    out_shape = F.conv2d(x, w, **kwargs).shape
    # output_padding recovers the input size the stride rounded away
    extra = [input_shape[i + 1] - ((out_shape[i + 2] - 1) * conv.stride[i] - 2 * conv.padding[i]
                                   + conv.dilation[i] * (w.shape[i + 2] - 1) + 1) for i in range(2)]
    y = x
    for _ in range(iterations):  # no host sync inside: on a GPU a float() per iteration cost more than the convs
        x = x / x.norm()
        y = F.conv2d(x, w, **kwargs)
        x = F.conv_transpose2d(y, w, output_padding=tuple(extra), **kwargs)
    return float(y.norm())


def weight_parameters(layer: nn.Module) -> list[nn.Parameter]:
    """The trained tensors behind a layer's weight: the raw weight, or a parametrization's originals
    and its own parameters (a norm's learned scale, say); never the bias."""
    parametrizations = getattr(layer, "parametrizations", None)
    if parametrizations is not None and "weight" in parametrizations:
        return list(parametrizations.weight.parameters())
    return [layer.weight]


def sparsity(g: torch.Tensor) -> float:
    """Fraction of entries with |g| < SPARSE * mean |g|."""
    mag = g.abs()
    return float((mag < SPARSE * mag.mean()).float().mean())


def gradient_spread(per_batch: torch.Tensor) -> tuple[float, float]:
    """(variance over batches of each entry, unbiased, averaged over entries; mean gradient norm) of a
    (batches, entries) stack."""
    return float(per_batch.var(dim=0, unbiased=True).mean()), float(per_batch.norm(dim=1).mean())


class Diagnoser:
    """Measures the critic on copies of the networks with its own RNG and data draws."""

    def __init__(self, images: torch.Tensor, batch_size: int, z_dim: int, seed: int, device: torch.device) -> None:
        self.images, self.batch_size, self.z_dim, self.device = images, batch_size, z_dim, device
        self.seed = seed

    def _batches(self, step: int, n: int, G: nn.Module) -> list[tuple[torch.Tensor, torch.Tensor]]:
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + step)
        out = []
        for _ in range(n):
            idx = torch.randint(len(self.images), (self.batch_size,), generator=gen)
            real = self.images[idx].to(self.device).float().div_(127.5).sub_(1.0)
            z = torch.randn(self.batch_size, self.z_dim, generator=gen).to(self.device)
            with torch.no_grad():
                fake = G(z)
            out.append((real, fake))
        return out

    def __call__(self, trainer) -> Diagnosis:
        """``trainer`` gives G, D, the objective, the penalty settings and the step; none is changed."""
        from gans.losses import gradient_penalty

        G, D = copy.deepcopy(trainer.G), copy.deepcopy(trainer.D)  # running stats and power iterations stay theirs
        G.train(), measurement_mode(D)
        cfg = trainer.cfg
        slots = normalized_layers(D)
        batches = self._batches(trainer.step, BATCHES, G)

        joint = cfg.d_pass == "joint"

        def scores(real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            """As the trainer scores: one batch of both with --d-pass joint, else two."""
            if joint:
                out = D(torch.cat([real, fake]))
                return out[:len(real)], out[len(real):]
            return D(real), D(fake)

        # mean drift, batch-mean gap and input shapes: the first batch, with hooks keeping each
        # sample's channel means (a joint pass centres real and fake together; its halves are split)
        seen: dict[tuple[int, str], list[torch.Tensor]] = {}
        shapes: dict[int, tuple[int, ...]] = {}

        def hook(i: int, where: str):
            def fn(module, inputs, output):
                if where == "pre":
                    shapes[i] = tuple(inputs[0].shape[1:])
                per_sample = output.detach().float().mean(dim=list(range(2, output.dim()))) if output.dim() > 2 \
                    else output.detach().float()
                seen.setdefault((i, where), []).append(per_sample)
            return fn

        real, fake = batches[0]
        n = len(real)
        handles = []
        for i, slot in enumerate(slots, start=1):
            handles.append(bare_layer(slot).register_forward_hook(hook(i, "pre")))
            handles.append(slot.register_forward_hook(hook(i, "post")))
        with torch.no_grad():
            scores(real, fake)
        for h in handles:
            h.remove()
        # rows in the order scored: real then fake (one tensor when joint, two otherwise)
        means = {key: torch.cat(parts) for key, parts in seen.items()}
        real_pre = {i: means[(i, "pre")][:n].mean(0) for i in shapes}
        fake_pre = {i: means[(i, "pre")][n:].mean(0) for i in shapes}
        real_post = {i: means[(i, "post")][:n].mean(0) for i in shapes}

        # gradients of the critic's loss on each batch: sparsity, variance, norms
        grads: list[list[torch.Tensor]] = [[] for _ in slots]
        input_grads, outputs = [], []
        for real, fake in batches:
            real = real.clone().requires_grad_(True)
            fake = fake.clone().requires_grad_(True)
            d_real, d_fake = scores(real, fake)
            loss = trainer.objective.d(d_real, d_fake)
            if cfg.gp:
                loss = loss + gradient_penalty(D, real, fake, cfg.gp_weight)
            D.zero_grad(set_to_none=True)
            loss.backward()  # the inputs are leaves too: their .grad is the input gradient
            input_grads.append(torch.cat([real.grad.flatten(), fake.grad.flatten()]))
            for i, slot in enumerate(slots):
                grads[i].append(torch.cat([p.grad.flatten() for p in weight_parameters(bare_layer(slot))]))
            outputs.append((float(d_real.detach().mean()), float(d_fake.detach().mean())))

        lipschitz = self._lipschitz(D, batches[0])
        all_grads = torch.cat([g[0] for g in grads])
        counts = torch.histc(all_grads.abs().clamp_min(1e-30).log10(), bins=len(HIST_EDGES) - 1,
                             min=HIST_EDGES[0], max=HIST_EDGES[-1])
        layers = []
        gen = torch.Generator().manual_seed(0)
        for i, slot in enumerate(slots, start=1):
            stack = torch.stack(grads[i - 1])
            grad_var, grad_norm = gradient_spread(stack)
            bare = bare_layer(slot)
            w = bare.weight.detach()
            svals = torch.linalg.svdvals(w.reshape(w.shape[0], -1).double().cpu())  # small: GPU solvers lose here
            pre, post = real_pre[i], real_post[i]
            operator = (conv_operator_norm(bare, shapes[i], generator=gen) if isinstance(bare, nn.Conv2d)
                        else float(svals[0]))
            layers.append(LayerStats(
                layer=i, kind="conv" if isinstance(bare, nn.Conv2d) else "linear",
                drift_pre_mean=float(pre.mean()), drift_pre_std=float(pre.std()) if pre.numel() > 1 else 0.0,
                drift_post_mean=float(post.mean()), drift_post_std=float(post.std()) if post.numel() > 1 else 0.0,
                batch_mean_gap=float((pre - fake_pre[i]).abs().mean()),
                grad_sparsity=sparsity(stack[0]), grad_var=grad_var, grad_norm=grad_norm, sigma_reshaped=float(svals[0]),
                sigma_operator=operator, sigma_mean=float(svals.mean())))
        d_real = sum(s[0] for s in outputs) / len(outputs)
        d_fake = sum(s[1] for s in outputs) / len(outputs)
        return Diagnosis(step=trainer.step, d_real=d_real, d_fake=d_fake, d_gap=d_real - d_fake, lipschitz=lipschitz,
                         input_grad_sparsity=sparsity(input_grads[0]), hist_edges=HIST_EDGES,
                         hist_counts=[int(c) for c in counts], layers=layers)

    @staticmethod
    def _lipschitz(D: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> float:
        """max ||grad_x D(x)|| over the real, fake and interpolated points of one batch."""
        real, fake = batch
        alpha = torch.rand(len(real), 1, 1, 1, generator=torch.Generator().manual_seed(1)).to(real)
        best = 0.0
        for x in (real, fake, alpha * real + (1 - alpha) * fake):
            x = x.detach().clone().requires_grad_(True)
            (g,) = torch.autograd.grad(D(x).sum(), x)
            best = max(best, float(g.flatten(1).norm(dim=1).max()))
        return best

