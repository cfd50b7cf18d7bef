"""Diagnosis rows: old ones (written before a field existed) still read, the new fields as None."""
import json

from gans.runs.log_records import Diagnosis, LayerStats

OLD_ROW = {  # a diagnostics.jsonl row as the first version wrote it
    "step": 4, "d_real": 0.5, "d_fake": -0.5, "d_gap": 1.0, "lipschitz": 0.9, "input_grad_sparsity": 0.02,
    "hist_edges": [-12.0, -11.0, -10.0], "hist_counts": [1, 2],
    "layers": [{"layer": 1, "kind": "conv", "drift_pre_mean": 0.1, "drift_pre_std": 0.2, "drift_post_mean": 0.0,
                "drift_post_std": 0.01, "batch_mean_gap": 0.05, "grad_sparsity": 0.01, "grad_var": 1e-6,
                "grad_norm": 0.3, "sigma_reshaped": 1.0, "sigma_operator": 1.7, "sigma_mean": 0.4}],
}


def test_old_rows_read_with_new_fields_none():
    d = Diagnosis.from_json(json.loads(json.dumps(OLD_ROW)))
    assert d.lipschitz == 0.9 and d.lipschitz_sample is None and d.lipschitz_summed is None and d.hist_zeros is None
    s = d.layers[0]
    assert isinstance(s, LayerStats) and s.sigma_operator == 1.7 and s.grad_var == 1e-6
    assert (s.drift_eval_rms, s.eff_sigma_operator, s.paper_sigma, s.grad_var_rel) == (None, None, None, None)
    flat = d.flat()
    assert flat["diag/layer1/sigma_operator"] == 1.7
    assert "diag/layer1/drift_eval_rms" not in flat  # no None to a dashboard


def test_new_rows_round_trip():
    d = Diagnosis(step=2, d_real=1.0, d_fake=0.0, d_gap=1.0, input_grad_sparsity=0.1, hist_edges=[0.0, 1.0],
                  hist_counts=[3], hist_zeros=1, lipschitz_sample=0.7, lipschitz_summed=0.8,
                  layers=[LayerStats(layer=1, kind="conv", drift_eval_rms=0.3, paper_sigma=0.2)])
    back = Diagnosis.from_json(json.loads(json.dumps(d.to_json())))
    assert back == d and back.lipschitz is None
