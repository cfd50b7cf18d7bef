"""samples/study/PROTOCOL.md's four commands run for real, in order, each on the file the stage before
it wrote: a stage file that loads but trains something else, or that the next stage cannot read,
fails here rather than hours into a study."""
import tomllib

import pytest

from gans.cli import main
from gans.study.spec import STUDY_FILE, Study, run_configs
from tests.study.tiny import tiny_tables

SEARCH = """
seeds = [0]
jobs = 1
[systems]
sngan = {}
lnsn = { preset = "sngan", norm = "ln" }
""" + tiny_tables("steps = 2") + """
[search]
k = 2
seed = 3
lr = { log-uniform = [1e-4, 1e-3] }
n-critic = [1, 2]
init = ["torch", "normal02"]
"""


def _resolved(run_dir) -> dict:
    cfg = tomllib.loads((run_dir / "config.toml").read_text())
    return {k: v for k, v in cfg.items() if k not in ("seed", "label")}


@pytest.mark.slow  # 26 tiny runs through submitit, scored at 299 px
def test_the_protocols_four_commands_run_in_order_on_each_others_files(tmp_path, capsys, inception_files):
    (tmp_path / "search.toml").write_text(SEARCH)
    weights = f"inception-weights={inception_files['torch-fidelity']}"
    common = ["--jobs", "1", "--threads", "1"]
    search = tmp_path / "search"
    assert main(["study", "--config", str(tmp_path / "search.toml"), "--out", str(search), "--eval", weights, *common]) == 0
    short = search / "report" / "short-list.toml"
    assert short.is_file() and not (search / "report" / "pairs.md").exists()

    stage2 = tmp_path / "short-list"
    assert main(["study", "--config", str(short), "--out", str(stage2), *common]) == 0
    runs = sorted(p.name for p in (stage2 / "runs").iterdir())
    assert len(runs) == 2 * 2 * 3 and all(r.rsplit("-seed", 1)[1] in "123" for r in runs)
    for run in runs:  # the short list re-runs each draw exactly as the search ran it, at another seed
        draw = run.rsplit("-seed", 1)[0]
        assert _resolved(stage2 / "runs" / run) == _resolved(search / "runs" / f"{draw}-seed0"), run
    confirm = stage2 / "report" / "confirm.toml"
    picks = (stage2 / "report" / "picks.md").read_text()
    assert confirm.is_file() and "| sngan | sngan@draw=" in picks and "| lnsn | lnsn@draw=" in picks

    # the confirmation scores 5,000 samples; a test overrides the count (and FID-infinity's sizes) only
    stage3 = tmp_path / "confirm"
    assert main(["study", "--config", str(confirm), "--out", str(stage3), "--eval", "num-samples=12",
                 "--eval", "fid-sizes=[6, 12]", *common]) == 0
    stored = Study.from_toml((stage3 / STUDY_FILE).read_text(), "confirm")
    assert stored.stage == "confirm" and stored.seeds == [5, 6, 7, 8, 9] and sorted(stored.systems) == ["lnsn", "sngan"]
    for run in (stage3 / "runs").iterdir():  # each system at its pick: the picked draw's training, fresh seed
        system = run.name.rsplit("-seed", 1)[0]
        pick = next(line.split(" | ")[1] for line in picks.splitlines() if line.startswith(f"| {system} |"))
        assert _resolved(run) == _resolved(search / "runs" / f"{pick}-seed0"), run.name
    horizon = Study.from_toml((stage3 / "report" / "horizon.toml").read_text(), "horizon")
    horizon.check()
    assert horizon.stage == "horizon" and horizon.seeds == [5, 6, 7, 8] and horizon.train["steps"] == 5000
    assert len(run_configs(horizon, tmp_path / "horizon")) == 2 * 4
