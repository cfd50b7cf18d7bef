"""`gans eval`, `gans compare` and `gans diagnose` as a user meets them: defaults that fit the runs
given, and errors that name the flag to use."""
from gans.cli import main
from tests.analysis.fake_runs import write_run


def test_diagnose_without_diagnostics_names_from_checkpoints(capsys, tmp_path):
    runs = tmp_path / "runs"
    write_run(runs, "sngan", 0)
    assert main(["diagnose", str(runs), "--out", str(tmp_path / "figs")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has diagnostics.jsonl" in err
    assert f"gans diagnose {runs} --from-checkpoints" in err
