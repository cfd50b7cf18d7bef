"""Thread counts that leave busy cores alone and respect what the user asked for."""
import pytest

from gans.core import threads
from gans.core.threads import choose, env_threads


def test_a_busy_core_is_left_alone():
    # 2 cores, one other process busy: one thread, not torch's two that would wait on each other
    assert choose(2, 1.0, None).count == 1
    assert choose(2, 0.2, None).count == 2
    assert choose(8, 2.6, None).count == 5  # load rounds to whole busy cores
    assert choose(2, 7.0, None).count == 1  # never below one, however busy


def test_unknown_load_counts_as_idle():
    assert choose(4, None, None).count == 4


def test_the_idle_cores_are_split_among_runs_at_once():
    assert choose(8, 0.0, None, jobs=2).count == 4
    assert choose(8, 2.0, None, jobs=2).count == 3  # 6 idle over 2 runs
    assert choose(2, 0.0, None, jobs=4).count == 1  # at least one each
    assert "shared by 2 runs" in choose(8, 0.0, None, jobs=2).why


def test_an_explicit_count_wins_over_the_machine_and_is_per_run():
    assert choose(2, 1.0, "4").count == 4  # OMP_NUM_THREADS is the user's word, even on a busy machine
    assert choose(8, 0.0, "3", jobs=2).count == 3  # per run, not split again
    assert choose(8, 0.0, "3", requested=2).count == 2  # --threads over OMP_NUM_THREADS
    assert choose(2, 1.0, None, requested=2, jobs=2).count == 2
    assert choose(2, 0.0, "4").asked and not choose(2, 0.0, None).asked


@pytest.mark.parametrize("value,count", [(None, None), ("", None), (" ", None), ("0", None), ("two", None),
                                         ("-1", None), ("3", 3), ("4,2", 4)])
def test_omp_num_threads_is_read_as_openmp_does(value, count):
    assert env_threads(value) == count


def test_an_empty_env_value_falls_back_to_the_machine():
    assert choose(2, 1.0, "").count == 1


def test_the_line_says_why_and_how_to_change_it():
    assert choose(2, 1.0, None).line() == "threads: 1 (1 of 2 cores idle; --threads N to change)"
    assert choose(8, 0.0, None, jobs=2).line("per run") == \
        "threads: 4 per run (8 cores, shared by 2 runs at once; --threads N per run to change)"
    assert choose(2, 1.0, "1").line() == "threads: 1 (OMP_NUM_THREADS=1)"


def test_use_sets_torchs_threads(monkeypatch):
    import torch

    before = torch.get_num_threads()
    monkeypatch.setattr(threads, "machine", lambda: (3, 1.0))
    monkeypatch.delenv(threads.ENV, raising=False)
    try:
        assert threads.use().count == 2 and torch.get_num_threads() == 2
        assert threads.use(requested=1).count == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
