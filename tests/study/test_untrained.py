"""The untrained generator's scores: scored once per generator, relabelled for each run that has it."""
import shutil

from gans.eval.records import Summary
from gans.runs import layout
from gans.runs.eval_report import RunResult
from gans.study.untrained import untrained_result
from gans.training.trainer import Trainer


def test_a_second_run_with_the_same_untrained_generator_reads_the_cache(tiny_cfg, tmp_path):
    Trainer(tiny_cfg(steps=2, out=str(tmp_path / "a"))).fit(progress=False)
    shutil.copytree(tmp_path / "a", tmp_path / "b")  # another system's run of the same seed: the same step 0
    Trainer(tiny_cfg(steps=2, seed=1, out=str(tmp_path / "c"))).fit(progress=False)
    scored = []

    def score(paths):
        scored.append(paths[0])
        return [RunResult(str(paths[0]), [], Summary(fid=float(len(scored))), step=0)]

    cache = tmp_path / "untrained"
    first = untrained_result(layout.checkpoint_path(tmp_path / "a", 0), "protocol", score, cache)
    second = untrained_result(layout.checkpoint_path(tmp_path / "b", 0), "protocol", score, cache)
    assert len(scored) == 1 and second.summary == first.summary
    assert second.source == str(layout.checkpoint_path(tmp_path / "b", 0)) and second.run_dir.endswith("b")
    other = untrained_result(layout.checkpoint_path(tmp_path / "c", 0), "protocol", score, cache)  # another seed
    rescored = untrained_result(layout.checkpoint_path(tmp_path / "a", 0), "other protocol", score, cache)
    assert len(scored) == 3 and other.summary.fid == 2.0 and rescored.summary.fid == 3.0
