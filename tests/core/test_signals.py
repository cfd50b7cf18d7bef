"""StopSignals: SIGTERM, SIGINT and the cluster's preemption signal stop training after the step."""
import os
import signal

import pytest

from gans.core.signals import StopSignals, preemption_signal


def test_the_preemption_signal_is_submitits(monkeypatch):
    monkeypatch.delenv("SUBMITIT_PREEMPT_SIGNAL", raising=False)
    assert preemption_signal() == signal.SIGUSR2
    monkeypatch.setenv("SUBMITIT_PREEMPT_SIGNAL", "USR1")
    assert preemption_signal() == signal.SIGUSR1


def test_usr2_is_recorded_and_a_different_second_signal_does_not_abort():
    said = []
    before = signal.getsignal(signal.SIGUSR2)
    with StopSignals(say=said.append) as stop:
        os.kill(os.getpid(), signal.SIGUSR2)
        assert stop.signum == signal.SIGUSR2
        os.kill(os.getpid(), signal.SIGTERM)  # a cluster sends both to a preempted job
        assert stop.signum == signal.SIGUSR2
        with pytest.raises(KeyboardInterrupt):  # the same one again: the user insists
            os.kill(os.getpid(), signal.SIGUSR2)
    assert said == ["SIGUSR2: stopping after this step and saving a checkpoint (send it again to abort without saving)"]
    assert signal.getsignal(signal.SIGUSR2) == before


def test_a_driver_can_leave_usr2_alone():
    before = signal.getsignal(signal.SIGUSR2)
    with StopSignals(signals=(signal.SIGTERM, signal.SIGINT)) as stop:
        assert signal.getsignal(signal.SIGUSR2) is before
        assert signal.getsignal(signal.SIGTERM) == stop._handle
