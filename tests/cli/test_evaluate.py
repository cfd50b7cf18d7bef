"""`gans eval`, `gans compare` and `gans diagnose` as a user meets them: defaults that fit the runs
given, and errors that name the flag to use."""
import pytest

from gans.cli import main
from gans.cli.evaluate import _pools, _slow_reference
from gans.eval import scoring
from gans.eval.records import Draw, Summary
from gans.runs.checkpoint import FORMAT, save_atomic
from gans.runs.eval_report import RunResult
from tests.analysis.fake_runs import write_run


def test_diagnose_without_diagnostics_names_from_checkpoints(capsys, tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "sngan", 0)
    assert main(["diagnose", str(runs), "--out", str(tmp_path / "figs")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has diagnostics.jsonl" in err
    assert f"gans diagnose {runs} --from-checkpoints" in err


class _Prepared(Exception):
    """Raised by a stand-in for prepare(): the protocol gans eval would have scored with."""


@pytest.fixture
def protocol_of(monkeypatch, capsys):
    """Run `gans eval` up to Inception; return (protocol, stderr) instead of scoring."""
    def prepare(proto, *args, **kwargs):
        raise _Prepared(proto)

    monkeypatch.setattr(scoring, "prepare", prepare)

    def run(argv):
        with pytest.raises(_Prepared) as info:
            main(["eval", "--no-progress", *argv])
        return info.value.args[0], capsys.readouterr().err
    return run


def _checkpoint(path, dataset):
    return save_atomic({"format": FORMAT, "step": 4, "config": {"dataset": dataset}, "G": {}, "D": {}}, path)


def test_eval_scores_against_the_data_the_runs_trained_on(protocol_of, tmp_path):
    shapes = _checkpoint(tmp_path / "a" / "checkpoints" / "ckpt_00000004.pt", "shapes")
    proto, err = protocol_of(["--checkpoint", str(shapes), "--num-samples", "200"])
    assert proto.reference == "shapes" and "reference: shapes, the data the checkpoints trained on" in err
    cifar = _checkpoint(tmp_path / "b" / "checkpoints" / "ckpt_00000004.pt", "cifar10")
    proto, _ = protocol_of(["--checkpoint", str(cifar), "--protocol", "sngan"])
    assert (proto.name, proto.reference) == ("sngan", "cifar10-train")  # the published protocol keeps its name
    proto, _ = protocol_of(["--checkpoint", str(shapes), "--reference", "cifar10-test"])
    assert proto.reference == "cifar10-test"


@pytest.mark.parametrize("second,message", [("cifar10", "trained on different data (shapes ("),
                                            ("gone.npz[:100]", "trained on gone.npz[:100], which is not found")])
def test_eval_refuses_a_reference_it_cannot_default(capsys, tmp_path, monkeypatch, second, message):
    monkeypatch.chdir(tmp_path)
    a = _checkpoint(tmp_path / "a" / "checkpoints" / "ckpt_00000004.pt", "shapes")
    b = _checkpoint(tmp_path / "b" / "checkpoints" / "ckpt_00000004.pt", second)
    argv = ["eval", "--checkpoint", str(b)] if "gone" in second else ["eval", "--checkpoint", str(a), "--checkpoint", str(b)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "pass --reference" in err


def test_a_slow_reference_names_the_count_that_takes_a_minute(capsys):
    _slow_reference(10_000, 0.162, 200)  # Inception at 299 px on a busy CPU
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "of 10,000 images take about 27 min" in err
    assert "--reference-count 370 would take about 1 min" in err
    _slow_reference(10_000, 0.162, 5000)  # a count below the samples drawn would not pay: at least those
    assert "--reference-count 5000 would take about 14 min" in capsys.readouterr().err


def _result(system, seed, step=4, fid=10.0):
    draws = [Draw(0, 0, 10, fid=fid)]
    return RunResult(f"runs/{system}-{seed}", draws, Summary.of(draws), system=system, seed=seed, step=step)


def test_checkpoints_of_two_systems_are_never_pooled():
    a, b, c = _result("sngan", 0), _result("sngan", 1), _result("msngan", 0)
    assert _pools([a, c, b]) == {"sngan": [a, b], "msngan": [c]}
    early = _result("sngan", 0, step=0)
    assert _pools([early, a, b]) == {"sngan at step 0": [early], "sngan at step 4": [a, b]}
