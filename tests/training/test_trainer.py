"""Every line the trainer reports goes through Trainer.say (tqdm.write: above the progress bar)."""
import sys

import pytest
import torch
from tqdm.auto import tqdm

from gans.training.launch import resume_run
from gans.training.trainer import Trainer
from tests.training.poison import poison_critic_once


@pytest.fixture
def said(monkeypatch) -> list[str]:
    """What the trainer said, but for its start line (tests/training/test_startline.py checks that)."""
    lines: list[str] = []
    monkeypatch.setattr(Trainer, "say", staticmethod(lambda line: None if line.startswith("training ") else lines.append(line)))
    return lines


def _screen(text: str) -> list[str]:
    """The lines a terminal shows for ``text``: what follows the last carriage return of each line."""
    return [line.rsplit("\r", 1)[-1].rstrip() for line in text.split("\n")]


def test_say_puts_its_line_above_the_progress_bar(capsys):
    # one stream for both, as on a terminal: a bare print would continue the bar's line
    with tqdm(total=10, desc="run", file=sys.stdout, ascii=True, mininterval=0, ncols=60) as bar:
        bar.update(3)
        Trainer.say("step 3: FID 99.00")
        bar.update(1)
    shown = _screen(capsys.readouterr().out)
    assert shown[0] == "step 3: FID 99.00"  # a whole line of its own, the bar cleared from it
    assert shown[1].startswith("run:") and "4/10" in shown[1]  # the bar, redrawn below it and going on


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
