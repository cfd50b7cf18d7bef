"""A run's eval.json: the one writer and reader, and one-line refusals of files it cannot read."""
import json
import shutil
from pathlib import Path

import pytest

from gans.core.errors import UserError
from gans.eval.protocol import Protocol
from gans.eval.records import Draw, Report, Result, Summary, Weights
from gans.runs.eval_report import RunResult, read_eval_report, write_to_runs
from gans.runs.layout import RunLayout


def _report(*runs):
    draws = [Draw(0, 0, 10, fid=12.5), Draw(1, 1, 10, fid=13.5)]
    results = [RunResult(f"{run}/checkpoints/ckpt_00000004.pt", draws, Summary.of(draws), run_dir=str(run), step=4)
               for run in runs] + [Result("images.npz", draws, Summary.of(draws))]  # no run: written nowhere
    return Report(Protocol.build("study", num_samples=10), "ref.npz", Weights("w.pth", "state-dict", "0" * 16), results)


def test_each_run_gets_its_own_results_and_reads_them_back(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    written = write_to_runs(_report(a, b))
    assert sorted(written) == sorted(p for r in (a, b) for p in (RunLayout(r).eval_report, RunLayout(r).eval_csv))
    back = read_eval_report(a)
    assert [(r.source, r.step, r.summary.fid) for r in back.results] == [(f"{a}/checkpoints/ckpt_00000004.pt", 4, 13.0)]
    assert back.protocol.num_samples == 10


@pytest.mark.parametrize("text", ["{not json", json.dumps({"protocol": {}}), "[]"])
def test_a_damaged_report_is_one_line_naming_it(tmp_path, text):
    assert read_eval_report(tmp_path) is None  # never scored
    RunLayout(tmp_path).eval_report.write_text(text)
    with pytest.raises(UserError, match="is not a gans eval report .*; re-run gans eval or delete it") as e:
        read_eval_report(tmp_path)
    assert str(RunLayout(tmp_path).eval_report) in str(e.value) and "\n" not in str(e.value)


OLD = Path(__file__).parent / "data" / "eval_v1.json"  # written by gans eval before the labels left gans.eval


def test_an_eval_json_of_the_earlier_layout_loads_with_its_labels(tmp_path):
    shutil.copy(OLD, RunLayout(tmp_path).eval_report)
    report = read_eval_report(tmp_path)
    assert [type(r) for r in report.results] == [RunResult, RunResult]
    first, last = report.results
    assert (last.system, last.norm, last.seed, last.step, last.ema) == ("msngan", "msn", 1, 2000, True)
    assert last.run_dir == "runs/study/runs/msngan-seed1" and last.params == {"G": 1000, "D": 2000}
    assert first.step == 0 and first.summary.fid == 255.0 and last.summary.fid == 122.0
    assert [d.fid for d in last.draws] == [120.0, 124.0] and last.seconds == 3.25
    assert report.protocol.num_samples == 10 and report.weights.sha256_16 == "0123456789abcdef"
    # written again, each result keeps every key it had: the layout on disk is the same
    old = json.loads(OLD.read_text())
    again = json.loads(json.dumps(report.to_json()))
    assert [set(r) for r in again["results"]] == [set(r) for r in old["results"]]
    assert again["results"] == old["results"] and again["protocol"] == old["protocol"]
