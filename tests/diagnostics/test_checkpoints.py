"""Post-hoc diagnoses from kept checkpoints equal the ones --diagnose-every writes during training."""
import json

import pytest

from gans.diagnostics.checkpoints import diagnose_checkpoints
from gans.runs.layout import DIAGNOSTICS
from gans.training.trainer import Trainer


def test_post_hoc_diagnoses_equal_the_training_time_ones(tiny_cfg, tmp_path):
    live = Trainer(tiny_cfg(preset="msngan", diagnose_every=2, out=str(tmp_path / "live")))
    live.fit(progress=False)
    after = Trainer(tiny_cfg(preset="msngan", out=str(tmp_path / "after")))
    after.fit(progress=False)
    found = diagnose_checkpoints(after.run_dir, say=lambda m: None)
    assert [d.step for d in found] == [0, 2, 4]
    rows = lambda run: [json.loads(x) for x in (run / DIAGNOSTICS).read_text().splitlines()]  # noqa: E731
    assert _flat(rows(after.run_dir)) == pytest.approx(_flat(rows(live.run_dir)), rel=1e-4, abs=1e-9, nan_ok=True)
    assert diagnose_checkpoints(after.run_dir, say=lambda m: None) == []  # nothing left to do
    # rows of an earlier estimator (no standardized drift) are diagnosed again
    old = rows(after.run_dir)
    for layer in old[1]["layers"]:
        del layer["drift_eval_z"]
    (after.run_dir / DIAGNOSTICS).write_text("".join(json.dumps(r) + "\n" for r in old))
    assert [d.step for d in diagnose_checkpoints(after.run_dir, say=lambda m: None)] == [2]
    assert all(layer["drift_eval_z"] is not None for r in rows(after.run_dir) for layer in r["layers"])


def _flat(x):
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in _flat(x[k])]
    if isinstance(x, list):
        return [v for item in x for v in _flat(item)]
    return [float("nan") if x is None else x] if not isinstance(x, str) else []
