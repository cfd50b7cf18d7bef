"""One study job's work: train (or resume) a run, then score it into its eval.json with `gans
eval`'s engine. Runs in the job's own process (submitit's), handed there by
:class:`gans.study.job.RunJob`."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from gans.config import from_dict
from gans.core import chaos
from gans.core.errors import Diverged
from gans.core.files import remove_stale_temporaries, write_atomic
from gans.core.threads import apply as apply_threads
from gans.eval.scoring import prepare, report
from gans.runs import checkpoint as ckpt_io
from gans.runs.checkpoint_scores import score_checkpoints
from gans.runs.eval_report import write_to_runs
from gans.runs.layout import RunLayout
from gans.runs.lock import lock_run
from gans.runs.networks import pick_device
from gans.study.spec import STUDY_FILE, Study, protocol_of
from gans.study.untrained import UNTRAINED, untrained_result
from gans.training import launch


def run_job(cfg_dict: dict[str, Any], study_toml: str, threads: int) -> dict[str, Any]:
    """One job: train (or resume) a run, then score its final checkpoint into eval.json, and its
    step-0 checkpoint (the untrained generator) beside it when pruning has kept it: the baseline
    that says whether a run learned at all (`gans compare`'s FID / untrained)."""
    apply_threads(threads)
    cfg = from_dict(cfg_dict)
    lock_run(cfg.out)  # one writer per run: a second job into it (two drivers, a stale requeue) stops here
    for folder in (Path(cfg.out), RunLayout(cfg.out).checkpoints):  # writes cut off by a kill (eval.json, best.pt)
        remove_stale_temporaries(folder)
    study = Study.from_toml(study_toml, STUDY_FILE)
    t0 = time.perf_counter()
    try:
        last = launch.train_or_resume(cfg, progress=False)
    except Diverged as e:
        # training is deterministic, so a retry would diverge again: the run is done, as a result
        # (PROTOCOL.md: a failed draw), and the report counts it instead of the study stopping
        why = f"{e}\n".encode()
        write_atomic(RunLayout(cfg.out).diverged, lambda f: f.write(why))
        return {"run": cfg.run_name, "diverged": str(e), "train_s": time.perf_counter() - t0}
    train_s = time.perf_counter() - t0
    protocol = protocol_of(study, cfg)
    weights = study.eval.get("inception_weights") or cfg.inception_weights or None
    batch = study.eval.get("batch_size", 100)
    inception, ref = prepare(protocol, weights, pick_device(cfg.device), cfg.data_dir, None, batch, progress=False)
    chaos.point("evaluate")
    first = [p for step, p in ckpt_io.list_checkpoints(cfg.out) if step == 0 and p != Path(last)]
    score = lambda paths: score_checkpoints(paths, protocol, inception, ref, cfg.device, batch, progress=False)
    cache = Path(cfg.out).parent.parent / UNTRAINED
    untrained = [untrained_result(first[0], (protocol, weights), score, cache)] if first else []
    results = untrained + score([last])
    write_to_runs(report(protocol, inception, ref, results))
    s = results[-1].summary
    return {"run": cfg.run_name, "step": results[-1].step, "fid": s.fid, "kid": s.kid_mean, "precision": s.precision,
            "recall": s.recall, "density": s.density, "coverage": s.coverage, "train_s": train_s}
