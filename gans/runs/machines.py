"""RUN/machines.jsonl: where each stretch of a run's training ran, a row each time training starts
or resumes (the step it starts from, the time, the CPU and its instruction set, the device, the
threads, torch's version). A run resumed on another CPU is not bitwise the uninterrupted run, and a
study spread over machines mixes their kernels; this file says which, and is never trimmed (a
resume's set-aside steps were still trained where it says)."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gans.core.hardware import cpu_isa, cpu_model, device_name
from gans.eval.records import JsonRecord
from gans.runs.layout import RunLayout
from gans.runs.runlog import read_jsonl

if TYPE_CHECKING:  # torch is imported only when a row is made
    import torch


@dataclass
class MachineRow(JsonRecord):
    step: int  # the step this stretch of training started from
    time: str  # UTC, ISO 8601
    cpu: str
    isa: str  # torch's CPU capability: its kernels differ by it
    device: str  # "cpu" or the GPU's name
    threads: int  # torch's intra-op threads of the process that wrote the row
    torch: str
    processes: int = 1  # a multi-process run's world size (every process on the same kind of machine)

    @property
    def name(self) -> str:
        """The machine as one label: the GPU where one trained, else the CPU and its instruction set."""
        return self.device if self.device != "cpu" else f"{self.cpu} ({self.isa})"


def here(step: int, device: torch.device | str, threads: int, processes: int = 1) -> MachineRow:
    """This process's machine, as the row of a stretch of training starting at ``step``."""
    import torch

    return MachineRow(step, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), cpu_model(), cpu_isa(),
                      device_name(device), threads, torch.__version__, processes)


def record(run_dir: str | Path, row: MachineRow) -> None:
    """Append ``row``; one short line, so a kill mid-write tears at most that line (read_jsonl drops it)."""
    with RunLayout(run_dir).machines.open("a") as f:
        f.write(json.dumps(row.to_json()) + "\n")


def read_machines(run_dir: str | Path) -> list[MachineRow]:
    """The run's rows, oldest first ([] for a run trained before the file existed)."""
    return [MachineRow.from_json(r) for r in read_jsonl(RunLayout(run_dir).machines)]
