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
    layer: int  # 1-based position of the normalized layer in the critic (the head is last)
    kind: str  # conv, linear
    drift_pre_mean: float  # mean over channels of the bare conv's channel means (real batch)
    drift_pre_std: float
    drift_post_mean: float  # the same after the norm (the layer's output before its activation)
    drift_post_std: float
    batch_mean_gap: float  # mean_c |mu_real - mu_fake| of the bare conv's channel means
    grad_sparsity: float
    grad_var: float
    grad_norm: float
    sigma_reshaped: float  # largest singular value of the effective weight as (out, in*k*k)
    sigma_operator: float  # largest singular value of the conv operator at this layer's input size
    sigma_mean: float  # mean singular value of the reshaped effective weight


@dataclass
class Diagnosis(JsonRecord):
    """One row of RUN/diagnostics.jsonl."""

    step: int
    d_real: float
    d_fake: float
    d_gap: float
    lipschitz: float
    input_grad_sparsity: float
    hist_edges: list[float]
    hist_counts: list[int]
    layers: list[LayerStats] = field(default_factory=list)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Diagnosis":
        out = super().from_json(d)
        out.layers = [LayerStats.from_json(x) for x in d.get("layers", [])]
        return out

    def flat(self) -> dict[str, float]:
        """Scalars keyed for a dashboard: diag/lipschitz, diag/layer4/grad_sparsity, ..."""
        out = {f"diag/{k}": v for k, v in self.to_json().items()
               if k not in ("step", "layers", "hist_edges", "hist_counts")}
        for s in self.layers:
            out.update({f"diag/layer{s.layer}/{k}": v for k, v in dataclasses.asdict(s).items()
                        if k not in ("layer", "kind")})
        return out
