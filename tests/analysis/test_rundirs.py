"""The one run-directory loader: every file a run holds, read into typed records, no network built."""
import json

import pytest

from gans.analysis.rundirs import by_system, find_run_dirs, load_run, load_runs, stored_params
from gans.core.errors import UserError
from gans.runs.log_records import Diagnosis
from tests.analysis.fake_runs import write_checkpoint, write_run


def _diagnosis(step: int) -> Diagnosis:
    return Diagnosis(step=step, d_real=1.0, d_fake=-1.0, d_gap=2.0, lipschitz=0.5 + step, input_grad_sparsity=0.1,
                     hist_edges=[0.0, 1.0], hist_counts=[3])


def test_a_run_directory_read_whole(tmp_path):
    point = {"draw": 0, "sample_seed": 2, "num_samples": 10, "fid": 50.0, "precision": 0.5}
    run = write_run(tmp_path, "sngan", 1, {"fid": [30.0, 32.0], "coverage": [0.4, 0.6]}, params={"G": 7, "D": 3},
                    evals=[{**point, "step": 2}, {**point, "step": 4, "fid": 45.0}],
                    diagnoses=[_diagnosis(2), _diagnosis(4)])
    (run / "samples").mkdir()
    for step in (2, 4):
        (run / "samples" / f"step_{step:08d}.png").write_bytes(b"")
    r = load_run(run)
    assert (r.system, r.cfg.seed, r.cfg.norm, r.last_step) == ("sngan", 1, "sn", 4)
    assert [e.step for e in r.evals] == [2, 4] and r.evals[-1].fid == 45.0 and r.evals[0].precision == 0.5
    assert [d.lipschitz for d in r.diagnostics] == [2.5, 4.5]
    assert r.report is not None and r.report.results[0].step == 4
    assert r.final.summary.fid == 31.0 and r.final.summary.coverage == pytest.approx(0.5)  # eval.json over eval.jsonl
    assert r.final.source.startswith("gans eval study (1x10 vs ref.npz)")
    assert r.params == {"G": 7, "D": 3} and r.grid.name == "step_00000004.png"
    assert r.series("loss_g") == {1: -2.0, 2: -3.0, 3: -4.0, 4: -5.0}
    assert r.steps_per_s == 11.0


def test_params_from_the_newest_readable_checkpoint(tmp_path):
    run = write_run(tmp_path, "sngan", 0)
    assert stored_params(run) is None
    write_checkpoint(run, 2, {"G": 10, "D": 20})
    write_checkpoint(run, 4, {"G": 11, "D": 21})
    assert stored_params(run) == {"G": 11, "D": 21}
    (run / "checkpoints" / "ckpt_00000004.pt").write_bytes(b"truncated")
    assert stored_params(run) == {"G": 10, "D": 20}


def test_folders_stand_for_their_runs(tmp_path):
    study = tmp_path / "study"
    a = write_run(study / "runs", "sngan", 0)
    b = write_run(study / "runs", "msngan", 0)
    c = write_run(study / "runs", "sngan", 1)
    assert find_run_dirs([study]) == find_run_dirs([study / "runs"]) == [b, a, c]
    assert find_run_dirs([c, a]) == [c, a]
    groups = by_system(load_runs([c, b, a]))
    assert list(groups) == ["sngan", "msngan"] and [r.cfg.seed for r in groups["sngan"]] == [1, 0]
    keyed = by_system(load_runs([a, b]), key=lambda r: f"{r.system} ({r.cfg.norm})")
    assert list(keyed) == ["sngan (sn)", "msngan (msn)"]


@pytest.mark.parametrize("make,message", [
    (lambda p: p / "missing", "does not exist"),
    (lambda p: p, "holds no runs"),
])
def test_not_runs(tmp_path, make, message):
    with pytest.raises(UserError, match=message):
        find_run_dirs([make(tmp_path)])


def test_a_damaged_eval_report_is_one_line(tmp_path):
    run = write_run(tmp_path, "sngan", 0, {"fid": [1.0]})
    (run / "eval.json").write_text(json.dumps({"protocol": {}}))
    with pytest.raises(UserError, match="is not a gans eval report"):
        load_run(run)
    with pytest.raises(UserError, match="is not a run directory"):
        load_run(tmp_path)


def test_a_run_given_twice_is_one_run_and_two_runs_of_one_seed_are_refused(tmp_path):
    run = write_run(tmp_path / "study" / "runs", "sngan", 0, {"fid": [40.0]})
    write_run(tmp_path / "study" / "runs", "sngan", 1, {"fid": [42.0]})
    # the study's folder and one of its runs: that run once, not a third seed
    assert [r.cfg.seed for r in load_runs([tmp_path / "study", run])] == [0, 1]
    copy = write_run(tmp_path / "elsewhere", "sngan", 0, {"fid": [40.0]})
    with pytest.raises(UserError, match=r"sngan seed 0 twice \(.*sngan-seed0, .*elsewhere/sngan-seed0\): a seed "
                                        r"counted twice would test copies as samples; pass each run once"):
        load_runs([tmp_path / "study", copy])
