"""A study's jobs in flight: each way a job ends told in one line, and what a submitted job carries."""
import pytest
import torch
from submitit.core.utils import FailedJobError, UncompletedJobError

from gans.study.dispatch import error_line, outcome, run_jobs
from gans.study.spec import Study, run_configs
from gans.training import launch
from tests.study.test_runner import STUDY


def test_error_line_finds_the_jobs_own_exception():
    text = "submitit ERROR\nTraceback (most recent call last):\n  File x\ngans.errors.UserError: no data; pass some\n"
    assert error_line(text, "X") == "UserError: no data; pass some"
    assert error_line("nothing useful", "FailedJobError") == "FailedJobError"


class FakeJob:
    """What the study reads of a finished submitit job."""

    def __init__(self, outcome):
        self.outcome = outcome
        self.paths = type("Paths", (), {"stderr": "jobs/1_0_log.err"})()

    def result(self):
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def test_each_way_a_job_ends_is_one_line():
    study = Study.from_toml(STUDY, "s.toml")
    ok, line = outcome(FakeJob({"step": 4, "fid": 12.345, "train_s": 3.0}), study)
    assert ok and line == "step 4, FID 12.35, 3 s of training in this job"
    ok, line = outcome(FakeJob({"step": 4, "fid": 12.345, "train_s": 0.2}), study)  # resumed after training ended
    assert ok and line == "step 4, FID 12.35, training done before this job"
    trace = "Traceback...\nsubmitit.core.utils.UncompletedJobError: Job not requeued because: timed-out too many times.\n"
    ok, line = outcome(FakeJob(FailedJobError(trace)), study)
    assert not ok and line.startswith("stopped by its time limit again after max-requeues = 3 requeues; raise timeout-min")
    ok, line = outcome(FakeJob(UncompletedJobError("Job 7 has not produced any output\nlots of log")), study)
    assert not ok and line == "its job ended without a result (killed?); log: jobs/1_0_log.err"
    ok, line = outcome(FakeJob(FailedJobError("x\ngans.core.errors.Interrupted: stopped by SIGINT after step 3; ...")), study)
    assert not ok and line.startswith("Interrupted: stopped by SIGINT after step 3")


def test_a_submitted_job_carries_the_thread_count_and_sets_it(tmp_path, monkeypatch):
    study = Study.from_toml(STUDY.replace("jobs = 2", "jobs = 1"), "s.toml")
    cfg = run_configs(study, tmp_path)[0]
    submitted = []

    class Executor:
        def submit(self, job):
            submitted.append(job)
            fake = FakeJob({"step": 4, "fid": 1.0, "train_s": 1.0})
            fake.job_id, fake.done = "1", lambda: True
            return fake

    run_jobs(study, [cfg], {}, tmp_path / "jobs", Executor, 3, say=lambda line: None)
    assert [job.threads for job in submitted] == [3]

    seen = []

    def train_or_resume(cfg, progress):
        seen.append(torch.get_num_threads())
        raise RuntimeError("stop here")

    monkeypatch.setattr(launch, "train_or_resume", train_or_resume)
    before = torch.get_num_threads()
    try:
        with pytest.raises(RuntimeError, match="stop here"):
            submitted[0].work(submitted[0].cfg_dict, submitted[0].study_toml, 2)
    finally:
        torch.set_num_threads(before)
    assert seen == [2]


def test_a_diverged_run_is_recorded_done_and_counted_not_a_failed_study(tmp_path, monkeypatch):
    """Training is deterministic, so retrying a diverged run diverges again: the study records it,
    treats it as done, and the report counts it as diverged (PROTOCOL.md: a failed draw)."""
    from gans.analysis.compare import compare
    from gans.core.errors import Diverged
    from gans.study.runner import is_done
    from gans.study.train_and_score import run_job

    study = Study.from_toml(STUDY, "s.toml")
    cfg = run_configs(study, tmp_path)[0]

    def diverge(cfg, progress):
        from pathlib import Path

        from gans.config import to_toml
        Path(cfg.out).mkdir(parents=True, exist_ok=True)
        (Path(cfg.out) / "config.toml").write_text(to_toml(cfg))
        raise Diverged("training diverged (non-finite loss or weight) by step 3")

    monkeypatch.setattr(launch, "train_or_resume", diverge)
    assert not is_done(cfg)
    result = run_job(cfg.to_dict(), study.to_toml(), 1)
    assert result["diverged"].startswith("training diverged") and is_done(cfg)
    ok, line = outcome(FakeJob(result), study)
    assert ok and line.startswith("diverged, recorded in the run's diverged.txt")
    text = compare([tmp_path / "runs"], tmp_path / "report")["table.md"].read_text()
    assert "1 diverged, left out" in text and "| 1 diverged |" in text


def test_a_study_says_where_its_running_runs_are_while_they_train(tmp_path, monkeypatch):
    from gans.study import dispatch

    monkeypatch.setattr(dispatch, "RUNNING_EVERY", 0.0)
    study = Study.from_toml(STUDY.replace("jobs = 2", "jobs = 1"), "s.toml")
    cfg = run_configs(study, tmp_path)[0]
    polls = iter([False, False, True])

    class Executor:
        def submit(self, job):
            fake = FakeJob({"step": 4, "fid": 1.0, "train_s": 1.0})
            fake.job_id, fake.done = "1", lambda: next(polls)
            return fake

    said = []
    run_jobs(study, [cfg], {}, tmp_path / "jobs", Executor, 1, say=said.append)
    assert f"running: {cfg.run_name} starting" in said
