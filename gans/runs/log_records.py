"""The rows a run writes as JSON lines besides its metrics: training-time evaluations
(RUN/eval.jsonl) and critic diagnoses (RUN/diagnostics.jsonl). Plain records, no torch, so
reading a run never loads a network."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from gans.eval.records import Draw, JsonRecord


@dataclass
class EvalPoint(Draw):
    """One row of RUN/eval.jsonl: a draw of the generator at a training step."""

    step: int = 0
    reference: str = ""
    seconds: float | None = None
    best_fid: float | None = None

    @classmethod
    def from_json(cls, d: dict) -> "EvalPoint":
        # rows written before each point recorded its draw and latent seed
        return super().from_json({"draw": 0, "sample_seed": None, **d})


@dataclass
class LayerStats(JsonRecord):
    """One critic slot's measurements in a diagnosis (estimators: gans.diagnostics.paper and
    gans.diagnostics.corrected). None: not measured (rows written before the field existed, or a
    quantity the layer has not: a kernel SVD of a dense layer, a folded operator of a group norm)."""

    layer: int  # 1-based position of the slot in D.slots() (the head is last)
    kind: str  # conv, linear
    # channel means on a real batch, train mode, the pass mode's batch (mean and ddof=1 std over channels)
    drift_pre_mean: float | None = None  # the bare layer's output, before any centring
    drift_pre_std: float | None = None
    drift_post_mean: float | None = None  # the slot's output: for BN/MSN these are beta, whatever happens
    drift_post_std: float | None = None
    drift_pre_rms: float | None = None  # sqrt(mean_c mu_c^2) of the bare layer's channel means: not scale-free
    drift_eval_rms: float | None = None  # the same of the slot's output, eval mode, held-out real batch only
    batch_mean_gap: float | None = None  # mean_c |mu_real - mu_fake| of the bare layer's channel means
    # scale-free drift (corrected.standardized_rms): sqrt(mean_c (m_c / s_c)^2), m_c and s_c the mean and
    # sample std over samples of the per-sample channel means; *_constant: channels left out (s_c = 0)
    drift_pre_z: float | None = None  # the bare layer's output, train mode, the scored batch's real and fake rows
    drift_pre_z_constant: int | None = None
    drift_post_z: float | None = None  # the slot's output (after the norm, before the activation), the same rows
    drift_post_z_constant: int | None = None
    drift_eval_z: float | None = None  # the slot's output, eval mode, held-out real and fake batches, equal sizes
    drift_eval_z_constant: int | None = None
    # gradients of the critic's training loss w.r.t. the trained weight tensors, over mini-batches
    grad_sparsity: float | None = None  # share of entries with |g| < 1% of the layer's mean |g| (zeros included)
    grad_zeros: float | None = None  # share of entries exactly zero
    grad_var: float | None = None  # variance over mini-batches per entry (ddof=1), mean over entries: not scale-free
    grad_var_rel: float | None = None  # sum_e var_b(g) / sum_e mean_b(g^2): scale-free
    grad_norm: float | None = None
    # the effective eval-mode operator (norm gains folded per output channel)
    eff_sigma_reshaped: float | None = None  # largest singular value as an (out, in*k*k) matrix
    eff_sigma_operator: float | None = None  # largest singular value of the conv operator at this input size
    eff_sigma_mean: float | None = None  # mean singular value of the reshaped matrix
    # the authors' quantities (gans.diagnostics.paper)
    paper_weight_mean: float | None = None
    paper_weight_std: float | None = None
    paper_grad_zeros: float | None = None  # share of exactly-zero entries of the weight's gradient
    paper_grad_var: float | None = None  # variance over the entries of the weight's gradient, one batch
    paper_sigma: float | None = None  # mean over (out, in) of the largest singular value of each k x k kernel
    # rows written before the norm's gains were folded in (BN's raw conv weight): not comparable across norms
    sigma_reshaped: float | None = None
    sigma_operator: float | None = None
    sigma_mean: float | None = None


@dataclass
class Diagnosis(JsonRecord):
    """One row of RUN/diagnostics.jsonl."""

    step: int
    d_real: float
    d_fake: float
    d_gap: float
    input_grad_sparsity: float  # near-zero share of the loss's input gradients
    hist_edges: list[float]  # log10 |g| bins of the trained weight tensors' gradients
    hist_counts: list[int]  # nonzero entries per bin (beyond the outer edges: in the outer bins)
    layers: list[LayerStats] = field(default_factory=list)
    hist_zeros: int | None = None  # entries exactly zero, outside the bins
    input_grad_zeros: float | None = None
    lipschitz_sample: float | None = None  # max_i ||dD(x_i)/dx_i||, batch as training scores it
    lipschitz_summed: float | None = None  # max_i ||d(sum_j D(x_j))/dx_i||: what autograd of a summed output gives
    lipschitz: float | None = None  # rows written before: the summed form, real and fake always as separate batches

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Diagnosis":
        out = super().from_json(d)
        out.layers = [LayerStats.from_json(x) for x in d.get("layers", [])]
        return out

    def flat(self) -> dict[str, float]:
        """Scalars keyed for a dashboard: diag/lipschitz, diag/layer4/grad_sparsity, ..."""
        out = {f"diag/{k}": v for k, v in self.to_json().items()
               if k not in ("step", "layers", "hist_edges", "hist_counts") and v is not None}
        for s in self.layers:
            out.update({f"diag/layer{s.layer}/{k}": v for k, v in dataclasses.asdict(s).items()
                        if k not in ("layer", "kind") and v is not None})
        return out
