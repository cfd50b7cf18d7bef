"""Every script in bench/ runs at a tiny size on the CPU and prints its tables, so a change elsewhere
(a signature, a module moved) cannot leave a bench broken until someone next measures with it."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py"))
CPU = ["--device", "cpu"]
# each script's tiny invocations: every mode it has, at sizes that take seconds on one thread
TINY = {
    "train_step.py": [["--width", "0.0625", "--batch", "8", "--repeats", "1", "--no-compile", *CPU],
                      ["--width", "0.0625", "--batch", "8", "--repeats", "1", "--layout-ab", *CPU]],
    "norms.py": [["--width", "0.0625", "--batch", "4", "--repeats", "1", *CPU]],
    "eval.py": [["--num", "10", "--batch-size", "10", "--reference-num", "10", "--frechet-samples", "32,256",
                 "--frechet-dim", "64", *CPU]],
    "inception.py": [["--batch", "1", "--rounds", "1", *CPU]],
    "gpu_session.py": [["--width", "0.0625", "--batch", "8", "--steps", "3", "--pairs", "1", "--warmup", "1",
                        "--num", "20", "--eval-batch", "20", "--study-steps", "3", "--study-n", "2", *CPU]],
}
ROW = re.compile(r"^\| (?!-).* \|$", re.M)  # a table row that is not a separator


def test_every_bench_has_a_tiny_size():
    assert SCRIPTS, f"no bench scripts found in {BENCH}"
    missing = [s for s in SCRIPTS if s not in TINY]
    assert not missing, f"add tiny-size arguments for bench/{', '.join(missing)} to TINY so the suite runs it"
    assert not set(TINY) - set(SCRIPTS), f"TINY names scripts that are gone: {sorted(set(TINY) - set(SCRIPTS))}"


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS)
def test_bench_runs_at_a_tiny_size(script, tmp_path):
    for args in TINY.get(script, []):
        proc = subprocess.run([sys.executable, str(BENCH / script), *args], cwd=tmp_path, capture_output=True,
                              text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
        assert proc.returncode == 0, f"bench/{script} {' '.join(args)} failed:\n{proc.stderr[-3000:]}"
        rows = ROW.findall(proc.stdout)
        # a header and at least one measured row, on the device asked for, with no measurement missing
        assert len(rows) >= 2 and "cpu" in proc.stdout, proc.stdout
        assert not re.search(r"\bnan\b", proc.stdout), proc.stdout
