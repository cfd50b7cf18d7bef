"""What each of the MSN paper's claims about the critic is measured by (read by
:mod:`gans.analysis.claims`): the paper's own quantity, as the authors' code computes it
(:mod:`gans.diagnostics.paper`), beside our corrected ones (:mod:`gans.diagnostics.corrected`), each a
function of one diagnosis row.

The drift claim's corrected measures are standardized (each channel's mean in units of its spread
over samples), so they compare norms whose layers work at different scales (BN's centring ignores
its conv's scale; SN's output carries a bias), and they are taken over real and fake samples
together, so a running mean that sits between real and fake does not read as drift. Rows written
before them read "not measured"; the earlier unscaled fields (drift_pre_rms, drift_eval_rms on real
images only) stay in the rows but no longer carry a verdict.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from gans.runs.log_records import Diagnosis


def _over_layers(field: str, convs_only: bool = False, magnitude: bool = False) -> Callable[[Diagnosis], float | None]:
    """Mean over the critic's layers (its conv layers only) of one LayerStats field; None when no
    layer has it (rows written before it existed)."""
    def value(r: Diagnosis) -> float | None:
        vs = [getattr(s, field) for s in r.layers if not convs_only or s.kind == "conv"]
        vs = [abs(v) if magnitude else v for v in vs if v is not None]
        return float(np.mean(vs)) if vs else None
    return value


@dataclass(frozen=True)
class Measure:
    kind: str  # paper (the authors' quantity) or corrected (ours; "summed": the autograd-of-a-sum form)
    name: str
    what: str  # the estimator, one line
    value: Callable[[Diagnosis], float | None]


@dataclass(frozen=True)
class Claim:
    figure: str
    title: str
    pairs: tuple[tuple[str, str], ...]  # (norm claimed higher, norm claimed lower)
    measures: tuple[Measure, ...]
    log: bool = False


CLAIMS = (
    Claim("grad_sparsity.png", "Fig. 1: SN makes the critic's gradients sparser than BN and MSN",
          (("sn", "bn"), ("sn", "msn")), (
              Measure("paper", "exact-zero gradient share",
                      "share of exactly-zero entries of each layer's weight gradient (w.r.t. the weight as the "
                      "forward uses it), one batch; mean over layers", _over_layers("paper_grad_zeros")),
              Measure("corrected", "near-zero gradient share",
                      "share of the trained weight tensors' gradient entries below 1% of the layer's mean |g| "
                      "(exact zeros included), one batch; mean over layers", _over_layers("grad_sparsity")))),
    Claim("mean_drift.png", "Figs. 3-4: SN lets pre-activation means drift; BN and MSN hold them",
          (("sn", "bn"), ("sn", "msn")), (
              Measure("paper", "weight-mean magnitude",
                      "absolute mean of all entries of the conv's weight as the layer holds it (the authors' "
                      "'drift'); mean over conv layers",
                      _over_layers("paper_weight_mean", convs_only=True, magnitude=True)),
              Measure("corrected", "eval-mode standardized drift",
                      "per conv slot, sqrt(mean_c (m_c / s_c)^2) of its output's per-sample channel means, m_c and "
                      "s_c their mean and sample std over a held-out real batch and a held-out fake batch of equal "
                      "size scored together in eval mode (the mixture BN's and MSN's running means average over); "
                      "mean over conv layers", _over_layers("drift_eval_z", convs_only=True)),
              Measure("corrected", "train-mode standardized drift",
                      "the same at each conv slot's output (after the norm, before the activation) in train mode, "
                      "over the real and fake rows of the batch its statistics were computed on; mean over conv "
                      "layers", _over_layers("drift_post_z", convs_only=True)),
              Measure("corrected", "pre-centring standardized drift",
                      "the same of each conv's output before any centring (train mode, real and fake rows as "
                      "scored); mean over conv layers", _over_layers("drift_pre_z", convs_only=True))),
          log=True),
    Claim("grad_variance.png", "Fig. 5: SN and MSN give lower-variance gradients than BN",
          (("bn", "sn"), ("bn", "msn")), (
              Measure("paper", "gradient spread over entries",
                      "variance over the entries of each layer's weight gradient on one batch (the width of the "
                      "authors' histogram); mean over layers", _over_layers("paper_grad_var")),
              Measure("corrected", "relative variance over mini-batches",
                      "per layer sum_e var_b(g) / sum_e mean_b(g^2) over 4 mini-batches (ddof = 1), scale-free; "
                      "mean over layers", _over_layers("grad_var_rel"))),
          log=True),
    Claim("singular_values.png", "Fig. 6: BN's layers have larger singular values than SN's and MSN's",
          (("bn", "sn"), ("bn", "msn")), (
              Measure("paper", "mean kernel sigma",
                      "largest singular value of each k x k kernel W[o, i] of the conv weight as the layer holds "
                      "it (SN's normalized, BN's raw: gains not folded), averaged over (o, i); mean over conv "
                      "layers", _over_layers("paper_sigma", convs_only=True)),
              Measure("corrected", "effective operator norm",
                      "largest singular value of each layer's eval-mode operator (BN's gamma / sqrt(running var "
                      "+ eps) folded in) at its input size; mean over layers", _over_layers("eff_sigma_operator"))),
          log=True),
    Claim("lipschitz.png", "Not a figure of the paper: SN's and MSN's critics have smaller input gradients than BN's",
          (("bn", "sn"), ("bn", "msn")), (
              Measure("summed", "summed-output gradient",
                      "max over real, fake and interpolated samples of ||d(sum_j D(x_j)) / dx_i||, batches as "
                      "training scores them", lambda r: r.lipschitz_summed),
              Measure("corrected", "per-sample gradient",
                      "max over a few real, fake and interpolated samples of ||dD(x_i) / dx_i|| with the rest of "
                      "the batch fixed, batches as training scores them", lambda r: r.lipschitz_sample)),
          log=True),
)
