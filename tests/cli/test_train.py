"""`gans train` and `gans quickstart` say what they do: threads, the start line, a warning before a
CPU run of hours, whether each quick-start system learned, and a next command that gives numbers."""
import shlex

from gans.cli import main
from gans.training import startline


def _args(flags: dict) -> list[str]:
    return [a for k, v in flags.items() for a in (f"--{k.replace('_', '-')}", str(v))]


def test_train_says_threads_and_its_start_line(capsys, tiny_flags, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert main(["train", "--no-progress", *_args(tiny_flags)]) == 0
    out, err = capsys.readouterr()
    assert "threads: 1 (OMP_NUM_THREADS=1)" in out and err == ""  # a small run: no warning
    assert f"training sngan on cpu (1 thread) -> {tiny_flags['out']}, 4 steps, ~" in out


def test_threads_flag_wins_over_the_environment(capsys, tiny_flags, monkeypatch):
    import torch

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    before = torch.get_num_threads()
    try:
        assert main(["train", "--no-progress", "--threads", "2", *_args(tiny_flags)]) == 0
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert "threads: 2 (--threads)" in capsys.readouterr().out


def test_a_cpu_run_of_hours_is_warned_about_but_not_refused(capsys, tiny_flags, monkeypatch):
    monkeypatch.setattr(startline, "WARN_AFTER_S", 0)  # the tiny run stands in for a long one
    assert main(["train", "--no-progress", *_args(tiny_flags)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("note: 4 steps at --width 0.0625 on the CPU will take hours") and "--steps N" in err


def test_quickstart_ends_with_whether_each_system_learned_and_a_command_that_gives_numbers(capsys, tmp_path,
                                                                                            monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    out_dir = tmp_path / "quick start"
    argv = ["quickstart", "--steps", "2", "--width", "0.0625", "--batch-size", "8", "--presets", "sngan,msngan",
            "--out", str(out_dir), "--no-progress"]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "threads: 1 (OMP_NUM_THREADS=1)"
    assert sum(line.startswith("training ") for line in out) == 2
    verdicts = [line.strip() for line in out if line.startswith("  sngan: ") or line.startswith("  msngan: ")]
    assert len(verdicts) == 2 and all(" at step 2 vs untrained " in v for v in verdicts)
    assert any(line.startswith("learned = the final score is at most") for line in out)
    quoted = shlex.quote(str(out_dir))
    assert f"  gans compare {quoted} --out report" in out
    eval_line = next(line for line in out if line.startswith("  gans eval "))
    assert shlex.split(eval_line)[2:6] == ["--checkpoint", str(out_dir / "sngan"), "--checkpoint", str(out_dir / "msngan")]


def test_train_help_shows_the_presets_values_not_the_dataclass_default(capsys):
    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "0.5 0.999" not in text and "0 0.9 for msngan" in text and "else 0.5 0.9]" in text
