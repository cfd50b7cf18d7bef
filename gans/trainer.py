"""The WGAN trainer: n_critic critic steps per generator step, any norm, any loss, optional penalty."""
from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

import torch
from torchvision.utils import save_image

from gans import checkpoint as ckpt_io
from gans.config import TrainConfig, to_toml
from gans.data import Batches, check_shape, load_images
from gans.errors import Diverged, Interrupted, UserError
from gans.rng import rng_state, seed_everything, set_rng_state
from gans.tracking import Tracker
from losses import get_loss, gradient_penalty
from models import Discriminator, Generator, count_parameters

GRID = 64  # fixed-noise samples per grid


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"--device {name} asked for but no CUDA GPU is visible; use --device cpu")
    return torch.device(name)


def build_generator(cfg: TrainConfig) -> Generator:
    return Generator(cfg.z_dim, cfg.width, cfg.image_size, cfg.channels, cfg.g_norm)


def build_discriminator(cfg: TrainConfig) -> Discriminator:
    return Discriminator(cfg.width, cfg.image_size, cfg.channels, cfg.norm)


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """Generator output in [-1, 1] -> uint8 images, rounding like torchvision's save_image."""
    return x.add(1).mul(127.5).add_(0.5).clamp_(0, 255).to(torch.uint8)


class Trainer:
    def __init__(self, cfg: TrainConfig, images: torch.Tensor | None = None) -> None:
        self.cfg = cfg
        self.run_dir = Path(cfg.out)
        self.device = pick_device(cfg.device)
        torch.use_deterministic_algorithms(cfg.deterministic)
        seed_everything(cfg.seed)
        self.G = build_generator(cfg).to(self.device)
        self.D = build_discriminator(cfg).to(self.device)
        self.opt_g = torch.optim.Adam(self.G.parameters(), cfg.lr, tuple(cfg.betas))
        self.opt_d = torch.optim.Adam(self.D.parameters(), cfg.lr, tuple(cfg.betas))
        self.objective = get_loss(cfg.loss)
        images = load_images(cfg.dataset, cfg.data_dir) if images is None else images
        check_shape(images, cfg.image_size, cfg.channels, cfg.dataset)
        self.batches = Batches(images, cfg.batch_size, cfg.seed, self.device)
        fixed = torch.Generator().manual_seed(cfg.seed + 1)  # grids never touch the training RNG
        self.fixed_z = torch.randn(GRID, cfg.z_dim, generator=fixed).to(self.device)
        self.step = 0
        self.params = {"G": count_parameters(self.G), "D": count_parameters(self.D)}
        self.diverged = torch.zeros((), dtype=torch.bool, device=self.device)
        self.lr_scale, self.rollbacks = 1.0, 0  # lowered by divergence rollbacks
        self.best_fid: float | None = None
        self.last_eval: dict[str, Any] | None = None
        self.evaluator = None
        if cfg.eval_every:
            from gans.periodic_eval import PeriodicEval

            self.evaluator = PeriodicEval(cfg, images)

    def lr_at(self, step: int) -> float:
        lr = self.cfg.lr * self.lr_scale
        return lr * (1 - step / self.cfg.steps) if self.cfg.lr_decay == "linear" else lr

    def noise(self) -> torch.Tensor:
        return torch.randn(self.cfg.batch_size, self.cfg.z_dim, device=self.device)

    def critic_step(self) -> dict[str, torch.Tensor]:
        cfg, G, D = self.cfg, self.G, self.D
        real = self.batches.next()
        with torch.no_grad():
            fake = G(self.noise())
        d_real, d_fake = D(real), D(fake)
        loss_d = self.objective.d(d_real, d_fake)
        penalty = gradient_penalty(D, real, fake, cfg.gp_weight) if cfg.gp else loss_d.new_zeros(())
        self.opt_d.zero_grad(set_to_none=True)
        (loss_d + penalty).backward()
        self.opt_d.step()
        return {"loss_d": loss_d, "penalty": penalty, "d_real": d_real.mean(), "d_fake": d_fake.mean()}

    def generator_step(self) -> torch.Tensor:
        self.D.requires_grad_(False)  # the generator step needs no critic weight gradients
        loss_g = self.objective.g(self.D(self.G(self.noise())))
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.D.requires_grad_(True)
        return loss_g

    def train_step(self) -> dict[str, torch.Tensor]:
        """n_critic critic updates, then one generator update; returns detached tensors (no sync)."""
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                group["lr"] = self.lr_at(self.step)
        for _ in range(self.cfg.n_critic):
            stats = self.critic_step()
        stats["loss_g"] = self.generator_step()
        self.step += 1
        stats = {k: v.detach() for k, v in stats.items()}
        self.diverged |= ~torch.isfinite(torch.stack(list(stats.values()))).all()
        return stats

    # ---- state -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "format": ckpt_io.FORMAT, "version": ckpt_io.VERSION,
            "step": self.step, "config": self.cfg.to_dict(), "params": self.params,
            "G": self.G.state_dict(), "D": self.D.state_dict(),
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
            "rng": rng_state(), "data": self.batches.state_dict(), "lr_scale": self.lr_scale,
            "best_fid": self.best_fid,
        }

    def load_state_dict(self, state: dict[str, Any], path: str | Path = "checkpoint") -> None:
        ckpt_io.load_weights(self.G, state["G"], "generator", path)
        ckpt_io.load_weights(self.D, state["D"], "discriminator", path)
        try:
            self.opt_g.load_state_dict(state["opt_g"])
            self.opt_d.load_state_dict(state["opt_d"])
            self.batches.load_state_dict(state["data"])
            set_rng_state(state["rng"])
        except (KeyError, ValueError, RuntimeError, TypeError) as e:
            raise UserError(f"{path}: optimizer, data or RNG state does not load ({e}); "
                            "the checkpoint is incomplete or from another configuration") from None
        self.step = int(state["step"])
        self.lr_scale = float(state.get("lr_scale", 1.0))
        self.best_fid = state.get("best_fid")

    def save_checkpoint(self) -> Path:
        path = ckpt_io.save_atomic(self.state_dict(), ckpt_io.checkpoint_path(self.run_dir, self.step))
        ckpt_io.prune(self.run_dir, self.cfg.keep)
        return path

    def save_grid(self) -> Path:
        path = self.run_dir / "samples" / f"step_{self.step:08d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.G.eval()  # eval mode: no running-stat or power-iteration updates, so resume stays exact
        with torch.no_grad():
            save_image(self.G(self.fixed_z).add(1).div(2), path, nrow=8)
        self.G.train()
        return path

    # ---- loop --------------------------------------------------------------------------------
    def evaluate(self) -> dict[str, Any]:
        """Score the generator now; keep checkpoints/best.pt when its FID is the best so far."""
        row = self.evaluator(self.G, self.step)
        if self.best_fid is None or row["fid"] < self.best_fid:
            self.best_fid = row["fid"]
            ckpt_io.save_atomic(self.state_dict(), self.run_dir / ckpt_io.CKPT_DIR / ckpt_io.BEST)
        row["best_fid"] = self.best_fid
        self.last_eval = row
        return row

    def summary(self) -> dict[str, Any]:
        """The end-of-run numbers a dashboard shows beside the curves."""
        out: dict[str, Any] = {"final_step": self.step, "params_g": self.params["G"], "params_d": self.params["D"]}
        if self.last_eval:
            out.update(best_fid=self.best_fid, final_fid=self.last_eval["fid"], final_is=self.last_eval["is_mean"],
                       final_kid=self.last_eval["kid_mean"])
        return out

    def fit(self, progress: bool = True, tracker: Tracker | None = None) -> Path:
        """Train to cfg.steps, writing grids, checkpoints and metrics.jsonl into the run directory.

        ``tracker`` gets every metrics row, evaluation and grid (see :mod:`gans.tracking`).
        SIGTERM/SIGINT finish the current step, save a checkpoint and raise :class:`Interrupted`.
        A non-finite loss or weight raises :class:`Diverged` (or, with ``rollback``, reloads the
        last good checkpoint at half the learning rate, up to ``rollback`` times).
        """
        from tqdm.auto import tqdm

        cfg = self.cfg
        tracker = tracker or Tracker()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "config.toml").write_text(to_toml(cfg))
        self._trim_metrics()
        existing = ckpt_io.list_checkpoints(self.run_dir)
        last_path = existing[-1][1] if existing else None
        bar = tqdm(total=cfg.steps, initial=self.step, desc=cfg.run_name, unit="it",
                   dynamic_ncols=True, disable=not progress)
        t_last, s_last = time.perf_counter(), self.step
        eval_log = (self.run_dir / "eval.jsonl").open("a") if self.evaluator else contextlib.nullcontext()
        with StopSignals() as stop, (self.run_dir / "metrics.jsonl").open("a") as log_file, eval_log as eval_file:
            try:
                while self.step < cfg.steps:
                    stats = self.train_step()
                    bar.update(1)
                    end = self.step == cfg.steps
                    try:
                        if self.step % cfg.log_every == 0 or end:
                            self.check_finite(last_path)
                            now = time.perf_counter()
                            row = {"step": self.step, **{k: v.item() for k, v in stats.items()},
                                   "lr": self.lr_at(self.step - 1),
                                   "steps_per_s": (self.step - s_last) / (now - t_last)}
                            t_last, s_last = now, self.step
                            log_file.write(json.dumps(row) + "\n")
                            log_file.flush()
                            bar.set_postfix(d=f"{row['loss_d']:.3f}", g=f"{row['loss_g']:.3f}", refresh=False)
                            tracker.log_train(row)
                        if self.step % cfg.sample_every == 0 or end:
                            tracker.log_grid(self.save_grid(), self.step)
                        if self.evaluator and (self.step % cfg.eval_every == 0 or end):
                            self.check_finite(last_path, weights=True)
                            row = self.evaluate()
                            eval_file.write(json.dumps(row) + "\n")
                            eval_file.flush()
                            bar.write(f"step {self.step}: FID {row['fid']:.2f} (best {self.best_fid:.2f})")
                            tracker.log_eval(row)
                        if self.step % cfg.checkpoint_every == 0 or end or stop.signum:
                            self.check_finite(last_path, weights=True)
                            last_path = self.save_checkpoint()
                    except Diverged:
                        if self.rollbacks >= cfg.rollback or last_path is None:
                            raise
                        self._roll_back(last_path, bar)
                        t_last, s_last = time.perf_counter(), self.step
                        continue
                    if stop.signum:
                        raise Interrupted(stop.signum, self.step, last_path)
            finally:
                bar.close()
        return last_path

    def check_finite(self, last_good: Path | None, weights: bool = False) -> None:
        bad = bool(self.diverged)
        if weights and not bad:
            bad = not all(torch.isfinite(p).all() for p in (*self.G.parameters(), *self.D.parameters()))
        if bad:
            where = f"last good checkpoint: {last_good}" if last_good else "no checkpoint was written yet"
            raise Diverged(f"training diverged (non-finite loss or weight) by step {self.step}; {where}; "
                           "lower --lr, or pass --rollback N to reload it at half the learning rate")

    def _roll_back(self, path: Path, bar) -> None:
        lr_scale = self.lr_scale * 0.5
        self.load_state_dict(ckpt_io.load_checkpoint(path), path)
        self.lr_scale, self.rollbacks = lr_scale, self.rollbacks + 1
        self.diverged.zero_()
        self._trim_metrics()
        bar.reset(total=self.cfg.steps)
        bar.update(self.step)
        print(f"diverged: rolled back to {path.name} (step {self.step}), learning rate x{self.lr_scale:g}")

    def _trim_metrics(self) -> None:
        """After a resume or rollback, drop rows logged past the checkpoint (a killed run wrote them)."""
        for path in (self.run_dir / "metrics.jsonl", self.run_dir / "eval.jsonl"):
            if not path.exists():
                continue
            rows = [line for line in path.read_text().splitlines() if line.strip()]
            kept = [line for line in rows if json.loads(line)["step"] <= self.step]
            if len(kept) != len(rows):
                path.write_text("".join(line + "\n" for line in kept))


class StopSignals:
    """Record SIGTERM/SIGINT instead of dying mid-step; restore the old handlers on exit."""

    def __init__(self) -> None:
        self.signum = 0
        self._old: dict[int, Any] = {}

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum:  # a second signal: the user insists
            raise KeyboardInterrupt
        self.signum = signum

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
