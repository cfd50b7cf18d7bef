"""What hardware this process computes on, named for people: the CPU's model and the instruction set
torch dispatches to, or the GPU's name. Training is bitwise repeatable on one machine, not across
CPUs (their kernels round differently), so a run records where each of its stretches ran
(gans.runs.machines) and a benchmark names the machine beside its timings."""
from __future__ import annotations

import platform
from pathlib import Path


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name ("AMD EPYC 9B14"); Linux's /proc/cpuinfo, else what the platform says."""
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unnamed CPU"


def cpu_isa() -> str:
    """The vector instructions torch's CPU kernels use here ("AVX512", "AVX2", "DEFAULT")."""
    import torch

    try:
        return torch.backends.cpu.get_cpu_capability()
    except AttributeError:  # torch older than 2.1
        return "unknown"


def device_name(device) -> str:
    """The GPU's name for a CUDA device, else "cpu"."""
    import torch

    device = torch.device(device)
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
