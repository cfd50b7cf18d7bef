"""The study files kept in samples/study/ make the runs their tables came from. A preset is the
default for new work and may move (stage 2 of PROTOCOL.md moved all five); a kept file that leaned
on one would then silently run another system. Each file's runs are fingerprinted by what a preset
sets; a change here means a kept file no longer repeats its table: write the old values into it."""
import hashlib
import json
from pathlib import Path

import pytest

from gans.study.spec import Study, run_configs

STUDIES = Path(__file__).resolve().parents[2] / "samples" / "study"
FIELDS = ("norm", "loss", "gp", "lr", "betas", "n_critic", "init", "generator_init", "d_pass", "arch", "d_arch")
KEPT = {  # file: (runs, fingerprint), as each file ran: computed at 626ade6 (the presets before the search), confirm.toml's when it was written
    "study.toml": (25, "83d4a87e35d9"),
    "study-torch-init.toml": (25, "0fe556e6e3de"),
    "sweep.toml": (20, "71a0c01cfc69"),
    "init.toml": (40, "b0d1467474c0"),
    "init-confirm.toml": (5, "f2e776934bc8"),
    "horizon.toml": (12, "5cc4d6abe578"),
    "norms.toml": (5, "0c38dc1f8bc4"),
    "search.toml": (60, "464b64702bc8"),
    "search/short-list.toml": (45, "06f9607d650a"),
    "short-list/confirm.toml": (25, "42c250c9e53b"),
}


def fingerprint(path: Path) -> tuple[int, str]:
    study = Study.from_toml(path.read_text(), str(path))
    rows = sorted(json.dumps([Path(c.out).name, *(getattr(c, f) for f in FIELDS)]) for c in run_configs(study, Path("/x")))
    return len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest()[:12]


@pytest.mark.parametrize("name", list(KEPT))
def test_a_kept_study_makes_the_runs_it_made(name):
    assert fingerprint(STUDIES / name) == KEPT[name]


def test_the_fingerprint_sees_an_optimizer_change(tmp_path):
    text = (STUDIES / "study.toml").read_text().replace("lr = 2e-4", "lr = 3e-4", 1)
    (tmp_path / "study.toml").write_text(text)
    assert fingerprint(tmp_path / "study.toml") != KEPT["study.toml"]
