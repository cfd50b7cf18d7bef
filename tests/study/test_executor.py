"""How many threads each of a study's runs gets."""
import dataclasses

from gans.study import executor
from gans.study.spec import Study
from tests.study.test_runner import STUDY


def test_each_run_gets_its_share_of_the_idle_cores_unless_told(monkeypatch):
    study = Study.from_toml(STUDY, "s.toml")  # jobs = 2
    monkeypatch.setattr(executor, "machine", lambda: (8, 2.0))
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert executor.job_threads(study).count == 3  # 6 idle cores over 2 runs, not 8 // 2
    assert executor.job_threads(study, requested=4).count == 4  # --threads is per run
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert executor.job_threads(study).count == 1  # respected, not overridden by the split
    monkeypatch.delenv("OMP_NUM_THREADS")
    # a SLURM job runs elsewhere: this machine's load is not its business
    assert executor.job_threads(dataclasses.replace(study, executor="slurm")).count == 4
