"""Every line the trainer reports goes through Trainer.say (tqdm.write: above the progress bar)."""
import pytest
import torch

from gans.training.launch import resume_run
from gans.training.trainer import Trainer
from tests.training.poison import poison_critic_once


@pytest.fixture
def said(monkeypatch) -> list[str]:
    lines: list[str] = []
    monkeypatch.setattr(Trainer, "say", staticmethod(lines.append))
    return lines


def test_say_writes_a_line_to_stdout(capsys):
    Trainer.say("hello")
    assert capsys.readouterr().out == "hello\n"


def test_compile_fallback_note_is_said(tiny_cfg, monkeypatch, said, capsys):
    def broken(module, **kwargs):
        def call(*args):
            raise RuntimeError("inductor says no\nmore detail")
        return call

    monkeypatch.setattr(torch, "compile", broken)
    Trainer(tiny_cfg(compile=True, steps=2)).fit(progress=False)
    assert said == ["note: torch.compile failed (RuntimeError: inductor says no); continuing without --compile"]
    assert capsys.readouterr().out == ""  # nothing printed past say


def test_resuming_is_said(tiny_cfg, said, capsys):
    first = Trainer(tiny_cfg(steps=2))
    first.fit(progress=False)
    resume_run(first.run_dir, {"steps": 4})
    assert said == [f"resuming {first.run_dir} from step 2 (ckpt_00000002.pt)"]
    assert capsys.readouterr().out == ""


def test_rollback_is_said(tiny_cfg, said):
    t = Trainer(tiny_cfg(steps=4, rollback=1))
    poison_critic_once(t, 3)
    t.fit(progress=False)
    assert said == ["diverged: rolled back to ckpt_00000002.pt (step 2), learning rate x0.5"]
