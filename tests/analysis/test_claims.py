"""`gans diagnose`: verdicts across seeds that come out each way on synthetic records, and the
figures and readings from real (tiny) runs."""
import pytest

from gans.analysis.claims import CLAIMS, comparisons, diagnose, load, readings, summary
from gans.analysis.rundirs import load_runs
from gans.runs.log_records import Diagnosis, LayerStats
from tests.analysis.fake_runs import write_run

SYSTEMS = {"sngan": "sn", "wgan-gp": "bn", "msngan": "msn"}


def _row(step: int, lip: float | None = None, **layer) -> Diagnosis:
    return Diagnosis(step=step, d_real=0.5, d_fake=-0.5, d_gap=1.0, input_grad_sparsity=0.0,
                     hist_edges=[-2.0, -1.0, 0.0], hist_counts=[3, 5], hist_zeros=2, lipschitz_sample=lip,
                     lipschitz_summed=lip, layers=[LayerStats(layer=1, kind="conv", **layer),
                                                   LayerStats(layer=2, kind="linear", **layer)])


def _claim(figure: str):
    return next(c for c in CLAIMS if c.figure == figure)


def _verdicts(groups, figure: str) -> dict[tuple[str, str, str], str]:
    """(measure, higher norm, lower norm) -> verdict."""
    norm = {g.name: g.norm for g in groups}
    return {(r.measure.name, norm[r.higher], norm[r.lower]): r.verdict for r in readings(groups, _claim(figure))}


def _runs(tmp_path, value, seeds=3, steps=(2, 4)):
    """Every system's seeds, each with rows at ``steps`` whose layer fields come from value(norm, seed, step)."""
    for preset, norm in SYSTEMS.items():
        for seed in range(seeds):
            write_run(tmp_path, preset, seed, diagnoses=[_row(s, **value(norm, seed, s)) for s in steps])
    return load(load_runs([tmp_path]))


def test_verdicts_hold_fail_or_stay_inconclusive(tmp_path):
    level = {"sn": 0.5, "bn": 0.1, "msn": 0.8}
    groups = _runs(tmp_path, lambda norm, seed, step: dict(
        grad_sparsity=level[norm] + 0.01 * seed,  # sn > bn: holds; sn > msn: the opposite, significant
        paper_grad_zeros=0.0,  # the same everywhere: no difference to find
        drift_eval_z=1.0 + 0.3 * (-1) ** seed * (seed + 1),  # equal means, wide spread
        drift_pre_z=1.0 + 0.02 * seed))
    assert _verdicts(groups, "grad_sparsity.png") == {
        ("near-zero gradient share", "sn", "bn"): "holds",
        ("near-zero gradient share", "sn", "msn"): "does not hold",
        ("exact-zero gradient share", "sn", "bn"): "inconclusive (no variance)",
        ("exact-zero gradient share", "sn", "msn"): "inconclusive (no variance)"}
    drift = _verdicts(groups, "mean_drift.png")
    assert drift[("eval-mode standardized drift", "sn", "bn")] == "inconclusive at n = 3, 3"
    assert drift[("pre-centring standardized drift", "sn", "msn")] == "inconclusive at n = 3, 3"
    assert drift[("train-mode standardized drift", "sn", "msn")].startswith("not measured")
    assert drift[("weight-mean magnitude", "sn", "bn")].startswith("not measured")  # no row has it
    row = next(r for r in readings(groups, _claim("grad_sparsity.png")) if r.measure.kind == "corrected")
    d = row.difference
    assert row.step == 4 and d.diff == pytest.approx(0.4) and d.low < 0.4 < d.high and d.p < 0.05
    assert "+0.4 [" in row.text() and row.text().endswith("at step 4: holds")


def test_every_msn_placement_is_its_own_comparison(tmp_path):
    """Our every-layer MSN and the authors' placement (after convs 4, 6, 7) can disagree: the summary
    gives a verdict for each, naming its placement and pass (both presets' picks: one joint pass)."""
    level = {"sngan": 1.0, "wgan-gp": 1.3, "msngan": 0.5, "msngan-seedcode": 1.6}
    for preset in level:
        for seed in range(3):
            write_run(tmp_path / "runs", preset, seed, diagnoses=[
                _row(s, drift_eval_z=level[preset] + 0.01 * seed, drift_pre_z=level[preset] - 0.02 * seed)
                for s in (2, 4)])
    groups = load(load_runs([tmp_path / "runs"]))
    claim = _claim("mean_drift.png")
    rows = readings(groups, claim)
    verdicts = {(c.higher.name, c.lower.name): c.verdict for c in comparisons(rows, groups)}
    ours, theirs = "msngan (msn)", "msngan-seedcode (msn:layers=seed,gamma=true,update=projected,iterations=100)"
    assert verdicts == {("sngan (sn)", "wgan-gp (bn)"): "does not hold", ("sngan (sn)", ours): "holds",
                        ("sngan (sn)", theirs): "does not hold"}
    text = summary(claim, rows, groups)
    assert f"{ours} [MSN at every layer but the head; one joint pass over real and fake]: holds (" in text
    assert f"{theirs} [MSN after convs 4, 6, 7 (SN elsewhere); one joint pass over real and fake]: does not hold (" in text
    diagnose(load_runs([tmp_path / "runs"]), tmp_path / "figs")
    page = (tmp_path / "figs" / "readings.md").read_text()
    assert (f"| sngan (sn): SN; separate passes | {ours}: MSN at every layer but the head; one joint pass over real "
            "and fake | paper, weight-mean magnitude: not measured | eval-mode standardized drift (Holm ") in page
    assert f"| {theirs}: MSN after convs 4, 6, 7 (SN elsewhere); one joint pass over real and fake |" in page
    assert page.count("| does not hold |") >= 2 and "| holds |" in page


def test_one_name_in_two_pass_modes_is_two_systems(tmp_path):
    for folder, d_pass in (("a", "joint"), ("b", "separate")):
        for seed in range(2):
            run = write_run(tmp_path / folder, "msngan", seed, diagnoses=[_row(2, drift_eval_z=0.5 + seed)])
            config = run / "config.toml"
            config.write_text(config.read_text().replace('d-pass = "joint"', f'd-pass = "{d_pass}"'))
    groups = sorted(load(load_runs([tmp_path / "a", tmp_path / "b"])), key=lambda g: g.name)
    assert [(g.name, len(g.seeds)) for g in groups] == [("msngan (msn, joint pass)", 2),
                                                        ("msngan (msn, separate pass)", 2)]
    assert groups[1].placement == "MSN at every layer but the head; separate passes"


def test_the_last_step_every_seed_of_both_has(tmp_path):
    # at step 4 msn would read far above sn, but one msn seed stops at step 2, where sn reads above
    def value(norm, seed, step):
        return dict(grad_sparsity={"sn": 0.5, "bn": 0.1, "msn": 0.2 if step == 2 else 0.9}[norm] + 0.01 * seed)

    for preset, norm in SYSTEMS.items():
        for seed in range(3):
            steps = (2,) if (norm, seed) == ("msn", 2) else (2, 4)
            write_run(tmp_path, preset, seed, diagnoses=[_row(s, **value(norm, seed, s)) for s in steps])
    groups = load(load_runs([tmp_path]))
    rows = {r.lower: r for r in readings(groups, _claim("grad_sparsity.png")) if r.measure.kind == "corrected"}
    assert rows["msngan (msn)"].step == 2 and rows["msngan (msn)"].verdict == "holds"
    assert rows["wgan-gp (bn)"].step == 4


def test_one_seed_each_is_inconclusive(tmp_path):
    groups = _runs(tmp_path, lambda norm, seed, step: dict(grad_var_rel={"sn": 0.1, "bn": 0.9, "msn": 0.2}[norm]),
                   seeds=1)
    assert set(_verdicts(groups, "grad_variance.png").values()) >= {"inconclusive at n = 1, 1"}


def test_readings_and_figures_from_synthetic_runs(tmp_path):
    _runs(tmp_path / "runs", lambda norm, seed, step: dict(
        grad_sparsity={"sn": 0.5, "bn": 0.1, "msn": 0.2}[norm] + 0.01 * seed,
        eff_sigma_operator=1.0 + seed + (norm == "bn"),
        paper_sigma=0.25, drift_eval_z=0.125, grad_var_rel=0.5))  # binary fractions: equal seeds, std exactly 0
    made = diagnose(load_runs([tmp_path / "runs"]), tmp_path / "figs")
    names = [p.name for _, p, _ in made]
    assert names == ["grad_sparsity.png", "mean_drift.png", "grad_variance.png", "grad_hist.png",
                     "singular_values.png", "lipschitz.png"]
    assert all(p.stat().st_size > 5000 for _, p, _ in made)
    text = (tmp_path / "figs" / "readings.md").read_text()
    assert "| corrected | near-zero gradient share | sngan (sn) - wgan-gp (bn) | 4 | +0.4 [" in text
    assert "| holds |" in text and "inconclusive at n = 3, 3" in text and "not measured" in text
    assert "exact-zero share 0.2" in text  # the histogram's zeros (2 of 10 entries), apart from its bins
    assert "Estimators:" in text and "held-out real batch and a held-out fake batch" in text
    # the Holm column: each reading's p adjusted over every reading of the page, in page order
    groups = load(load_runs([tmp_path / "runs"]))
    ps = [r.difference.p if r.difference else None for c in CLAIMS for r in readings(groups, c)]
    tested = [p for p in ps if p is not None]
    shown = [row.split(" | ")[6] for row in text.splitlines()
             if row.count(" | ") == 7 and not row.startswith(("| kind ", "|---"))]
    assert len(shown) == len(ps) and f"over the page's {len(tested)} tests" in text
    for p, cell in zip(ps, shown):
        if p is None:
            assert cell == ""
        else:  # Holm never lowers a p, and at most multiplies it by the number of tests
            assert p - 1e-12 <= float(cell) * 1.06 and float(cell) <= min(1.0, len(tested) * p) * 1.06 + 1e-9


def test_old_rows_without_the_new_measures_still_read(tmp_path):
    """Rows written before the corrected measures: their figures say so, their readings are 'not measured'."""
    import json

    run = write_run(tmp_path, "sngan", 0)
    old = {"step": 2, "d_real": 0.1, "d_fake": 0.0, "d_gap": 0.1, "lipschitz": 0.5, "input_grad_sparsity": 0.0,
           "hist_edges": [0.0, 1.0], "hist_counts": [1], "layers": [
               {"layer": 1, "kind": "conv", "drift_pre_mean": 0.1, "drift_pre_std": 0.1, "drift_post_mean": 0.0,
                "drift_post_std": 0.0, "batch_mean_gap": 0.0, "grad_sparsity": 0.1, "grad_var": 1.0,
                "grad_norm": 1.0, "sigma_reshaped": 1.0, "sigma_operator": 1.5, "sigma_mean": 0.5}]}
    (run / "diagnostics.jsonl").write_text(json.dumps(old) + "\n")
    write_run(tmp_path, "wgan-gp", 0, diagnoses=[_row(2, grad_sparsity=0.05)])
    made = diagnose(load_runs([tmp_path]), tmp_path / "figs")
    reading = dict((p.name, r) for _, p, r in made)
    assert "inconclusive at n = 1, 1" in reading["grad_sparsity.png"]  # grad_sparsity: the same in old rows
    assert "not measured" in reading["lipschitz.png"]


@pytest.mark.slow
def test_diagnose_from_trained_runs(capsys, tiny_cfg, tmp_path):
    from gans.cli import main
    from gans.training.trainer import Trainer

    for preset, seed in (("sngan", 0), ("sngan", 1), ("msngan", 0), ("msngan", 1)):
        Trainer(tiny_cfg(out=str(tmp_path / "runs" / f"{preset}-{seed}"), preset=preset, seed=seed,
                         diagnose_every=2)).fit(progress=False)
    assert main(["diagnose", str(tmp_path / "runs"), "--out", str(tmp_path / "figs")]) == 0
    out = capsys.readouterr().out
    for name in ("grad_sparsity", "mean_drift", "grad_variance", "grad_hist", "singular_values", "lipschitz"):
        assert (tmp_path / "figs" / f"{name}.png").stat().st_size > 5000, name
    readings_md = (tmp_path / "figs" / "readings.md").read_text()
    assert "sngan (sn) - msngan (msn)" in readings_md
    assert any(v in readings_md for v in ("| holds |", "| does not hold |", "| inconclusive at n = 2, 2 |"))
    assert "at step 4" in out
    # gans compare puts them in its report
    assert main(["compare", str(tmp_path / "runs"), "--out", str(tmp_path / "report")]) == 0
    html = (tmp_path / "report" / "report.html").read_text()
    assert "Checking the paper's claims" in html
    assert all(f'<img alt="{name}"' in html for name in ("grad_sparsity", "mean_drift", "grad_variance", "grad_hist",
                                                         "singular_values", "lipschitz"))
    assert "[MSN at every layer but the head; one joint pass over real and fake]" in html  # the summary, placed
    assert main(["diagnose", str(tmp_path / "runs" / "sngan-0" / "samples")]) == 2  # not a run
