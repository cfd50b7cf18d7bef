"""How a study's runs are executed: the threads each gets, and a job sbatch refuses."""
import dataclasses
import os

import pytest

from gans.core.errors import UserError
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


def test_a_job_sbatch_refuses_is_one_line_naming_sbatchs_reason(tmp_path, monkeypatch):
    import submitit

    from gans.study.executor import submit

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sbatch").write_text("#!/bin/sh\necho 'sbatch: error: invalid partition specified: nope' >&2\nexit 1\n")
    (bin_dir / "srun").write_text("#!/bin/sh\nexit 0\n")  # submitit looks for it to know it is on SLURM
    for tool in ("sbatch", "srun"):
        (bin_dir / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    ex = submitit.SlurmExecutor(folder=tmp_path / "jobs")
    ex.update_parameters(partition="nope", time=5)
    with pytest.raises(UserError, match="sbatch refused the job: sbatch: error: invalid partition specified: nope; "
                                        "check the study's \\[slurm\\] table"):
        submit(ex, abs, tmp_path / "controller.log")
