"""The WGAN trainer: n_critic critic steps per generator step, any norm, any loss, optional penalty."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import torch
from torchvision.utils import save_image
from tqdm.auto import tqdm

from gans.runs import checkpoint as ckpt_io
from gans.runs import machines
from gans.config import TrainConfig, to_toml
from gans.data.images import Batches, check_shape, load_images
from gans.diagnostics.critic import CriticTraining
from gans.diagnostics.diagnoser import Diagnoser
from gans.training.compile import compiled, first_compiled_step
from gans.training.cuda_graph import TrainingStep
from gans.training.distributed import Ranks, sync_batch_statistics
from gans.training.divergence import check_finite, roll_back
from gans.training.ema import EMA
from gans.core.errors import Diverged, Interrupted, UserError
from gans.core.files import write_atomic
from gans.losses import get_loss
from gans.losses.passes import critic_loss, critic_scores
from gans.models import count_parameters
from gans.runs.networks import build_discriminator, build_generator, pick_device
from gans.training.periodic_eval import EvalPoint, PeriodicEval
from gans.training.precision import Precision
from gans.training.startline import StartLine
from gans.core.rng import rng_state, seed_everything, set_rng_state
from gans.runs.layout import RunLayout
from gans.runs.runlog import RunLog
from gans.runs.sampling import sampling_mode
from gans.core.signals import StopSignals
from gans.runs.tracking import Tracker

GRID = 64  # fixed-noise samples per grid


class Trainer:
    # every line the trainer reports goes through here (above the progress bar); replace it to capture them
    say: Callable[[str], None] = staticmethod(tqdm.write)

    def __init__(self, cfg: TrainConfig, images: torch.Tensor | None = None) -> None:
        self.cfg = cfg
        self.run_dir = Path(cfg.out)
        self.files = RunLayout(self.run_dir)
        self.ranks = Ranks.from_env(cfg.device)
        self.ranks.check_batch(cfg.batch_size)
        self.device = pick_device(self.ranks.device(cfg.device))
        torch.use_deterministic_algorithms(cfg.deterministic)
        seed_everything(cfg.seed)  # every rank: the same global batches, noise and weights
        self.layout = torch.channels_last if cfg.channels_last else torch.contiguous_format
        self.G = build_generator(cfg).to(self.device, memory_format=self.layout)
        self.D = build_discriminator(cfg).to(self.device, memory_format=self.layout)
        if cfg.sync_norm:
            self.G = sync_batch_statistics(self.G, self.ranks)
            self.D = sync_batch_statistics(self.D, self.ranks)
        self.opt_g = torch.optim.Adam(self.G.parameters(), cfg.lr, tuple(cfg.betas))
        self.opt_d = torch.optim.Adam(self.D.parameters(), cfg.lr, tuple(cfg.betas))
        self.ema = EMA(self.G, cfg.ema_decay) if cfg.ema_decay else None
        self.precision = Precision(cfg.precision, self.device)
        self.g_fwd, self.d_fwd = compiled(self.G, self.D, cfg.compile)
        self.compile_checked = not cfg.compile  # until the first compiled step has run
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
        self.last_eval: EvalPoint | None = None
        self.last_path: Path | None = None  # the newest checkpoint on disk
        main = self.ranks.main
        self.evaluator = PeriodicEval(cfg, images, self.device) if cfg.eval_every and main else None
        critic = CriticTraining(self.objective.d, cfg.d_pass, cfg.gp_weight if cfg.gp else None)
        self.diagnoser = (Diagnoser(images, cfg.batch_size, cfg.z_dim, cfg.seed, self.device, critic)
                          if cfg.diagnose_every and main else None)

    @property
    def sampler(self) -> torch.nn.Module:
        """The generator that grids, evaluations and `gans sample` use: the EMA one when kept."""
        return self.ema.model if self.ema else self.G

    def lr_at(self, step: int) -> float:
        lr = self.cfg.lr * self.lr_scale
        return lr * (1 - step / self.cfg.steps) if self.cfg.lr_decay == "linear" else lr

    def noise(self) -> torch.Tensor:
        """This rank's share of the global batch's latents (every rank draws all of them)."""
        return self.ranks.shard(torch.randn(self.cfg.batch_size, self.cfg.z_dim, device=self.device))

    # ---- one step ----------------------------------------------------------------------------
    def scores(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """D(real), D(fake): two passes, or one pass over both (``--d-pass joint``), which gives
        batch-statistic norms (BN, MSN) one mean over real and fake instead of one per batch."""
        return critic_scores(self.d_fwd, real, fake, self.cfg.d_pass)

    def critic_step(self) -> dict[str, torch.Tensor]:
        cfg, amp = self.cfg, self.precision
        real = self.ranks.shard(self.batches.next()).contiguous(memory_format=self.layout)
        with torch.no_grad(), amp.autocast():
            fake = self.g_fwd(self.noise()).float()
        with amp.autocast():
            d_real, d_fake = self.scores(real, fake)
        self.last_real = real
        alpha = self.ranks.shard(torch.rand(cfg.batch_size, device=self.device)) if cfg.gp else None
        # the penalty runs the eager D: compiled graphs have no double backward
        loss = critic_loss(self.objective.d, self.D, real, fake, (d_real, d_fake), cfg.gp_weight if cfg.gp else None,
                           alpha, amp.penalty_scale() if cfg.gp else 1.0, amp.autocast)
        self.opt_d.zero_grad(set_to_none=True)
        amp.backward(loss.total, "D")
        self.ranks.average_gradients(self.D)
        amp.step(self.opt_d, "D")
        return {"loss_d": loss.objective, "penalty": loss.penalty, "d_real": d_real.mean(), "d_fake": d_fake.mean()}

    def generator_step(self) -> torch.Tensor:
        amp = self.precision
        self.D.requires_grad_(False)  # the generator step needs no critic weight gradients
        with amp.autocast():
            fake = self.g_fwd(self.noise())
            # a joint critic scores fakes beside real images here too, so G sees the statistics D trained on
            d_fake = self.scores(self.last_real, fake)[1] if self.cfg.d_pass == "joint" else self.d_fwd(fake).float()
        loss_g = self.objective.g(d_fake)
        self.opt_g.zero_grad(set_to_none=True)
        amp.backward(loss_g, "G")
        self.ranks.average_gradients(self.G)
        amp.step(self.opt_g, "G")
        self.D.requires_grad_(True)
        if self.ema:
            self.ema.update(self.G)
        return loss_g

    def train_step(self) -> dict[str, torch.Tensor]:
        """n_critic critic updates, then one generator update; returns detached tensors (no sync)."""
        for opt in (self.opt_g, self.opt_d):
            for group in opt.param_groups:
                group["lr"] = self.lr_at(self.step)
        if not self.compile_checked:
            return first_compiled_step(self)
        for _ in range(self.cfg.n_critic):
            stats = self.critic_step()
        stats["loss_g"] = self.generator_step()
        self.step += 1
        stats = {k: v.detach() for k, v in stats.items()}
        if not self.precision.take_overflow():  # an fp16 step its scaler skipped (always False otherwise)
            self.diverged |= ~torch.isfinite(torch.stack(list(stats.values()))).all()
        return stats

    # ---- the loop ----------------------------------------------------------------------------
    def fit(self, progress: bool = True, tracker: Tracker | None = None) -> Path:
        """Train to cfg.steps, writing grids, checkpoints and metrics into the run directory.

        ``tracker`` gets every metrics row, evaluation and grid (see :mod:`gans.runs.tracking`).
        SIGTERM/SIGINT finish the current step, save a checkpoint and raise :class:`Interrupted`.
        A non-finite loss or weight raises :class:`Diverged` (or, with ``rollback``, reloads the
        last good checkpoint at half the learning rate, up to ``rollback`` times).
        """
        tracker = tracker or Tracker()
        main = self.ranks.main
        if main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            text = to_toml(self.cfg).encode()
            write_atomic(self.files.config, lambda f: f.write(text))
            machines.record(self.run_dir, machines.here(self.step, self.device, torch.get_num_threads(), self.ranks.world))
        if self.last_path is None and self.step > 0:  # loaded by hand rather than through resume_run
            self.last_path = ckpt_io.latest(self.run_dir)
        bar = tqdm(total=self.cfg.steps, initial=self.step, desc=self.cfg.run_name, unit="it",
                   dynamic_ncols=True, disable=not (progress and main))
        with StopSignals(say=self.say) as stop, RunLog(self.run_dir, self.step, write=main) as log:
            if self.step == 0 and self.last_path is None:  # new: the untrained networks are a baseline and resume point
                self.after_step({}, log, tracker, bar, stopping=False)
            start = StartLine(self.cfg, self.device, self.run_dir, self.step, self.ranks.world)
            step = TrainingStep(self)  # train_step, or with --cuda-graph its captured (or device-resident) form
            while self.step < self.cfg.steps:
                stats = step()
                bar.update(1)
                if main and (line := start.after(self.step)):
                    self.say(line)
                try:
                    self.after_step(stats, log, tracker, bar, stopping=bool(stop.signum))
                except Diverged as error:
                    roll_back(self, error, log, bar)
                    step.reloaded()  # a captured step holds the old optimizer state and learning rate
                    continue
                if stop.signum:
                    raise Interrupted(stop.signum, self.step, self.last_path)
        bar.close()
        return self.last_path

    def after_step(self, stats: dict[str, torch.Tensor], log: RunLog, tracker: Tracker, bar, stopping: bool) -> None:
        """Whatever is due at this step: metrics, a grid, an evaluation, a checkpoint."""
        cfg = self.cfg

        def due(every: int) -> bool:
            return every > 0 and (self.step % every == 0 or self.step == cfg.steps)

        if due(cfg.log_every) and stats:
            check_finite(self)
            stats = self.ranks.mean(stats)  # the whole batch's numbers, whatever the number of ranks
            row = log.train(self.step, {**{k: v.item() for k, v in stats.items()}, "lr": self.lr_at(self.step - 1)})
            bar.set_postfix(d=f"{row['loss_d']:.3f}", g=f"{row['loss_g']:.3f}", refresh=False)
            tracker.log_train(row)
        if due(cfg.sample_every) and self.step and self.ranks.main:
            tracker.log_grid(self.save_grid(), self.step)
        if self.evaluator and due(cfg.eval_every):
            check_finite(self, weights=True)
            point = self.evaluate()
            log.eval(point.to_json())
            self.say(f"step {self.step}: FID {point.fid:.2f} (best {self.best_fid:.2f})")
            tracker.log_eval(point)
        if self.diagnoser and due(cfg.diagnose_every):
            diagnosis = self.diagnoser(self.G, self.D, self.step)
            log.diagnosis(diagnosis.to_json())
            tracker.log_diagnosis(diagnosis)
        if due(cfg.checkpoint_every) or stopping:
            check_finite(self, weights=True)
            self.last_path = self.save_checkpoint()

    def evaluate(self) -> EvalPoint:
        """Score the generator now; keep checkpoints/best.pt when its FID is the best so far."""
        point = self.evaluator(self.sampler, self.step)
        if self.best_fid is None or point.fid < self.best_fid:
            self.best_fid = point.fid
            ckpt_io.save_atomic(self.state_dict(), self.files.best)
        point.best_fid = self.best_fid
        self.last_eval = point
        return point

    # ---- state -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "format": ckpt_io.FORMAT, "version": ckpt_io.VERSION,
            "step": self.step, "config": self.cfg.to_dict(), "params": self.params,
            "G": self.G.state_dict(), "D": self.D.state_dict(),
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
            "rng": rng_state(), "data": self.batches.state_dict(), "lr_scale": self.lr_scale,
            "best_fid": self.best_fid,
            **({"G_ema": self.ema.state_dict()} if self.ema else {}),
            **({"scalers": self.precision.state_dict()} if self.precision.scalers else {}),
        }

    def load_state_dict(self, state: dict[str, Any], path: str | Path = "checkpoint") -> None:
        ckpt_io.load_weights(self.G, state["G"], "generator", path)
        ckpt_io.load_weights(self.D, state["D"], "discriminator", path)
        try:
            self.opt_g.load_state_dict(state["opt_g"])
            self.opt_d.load_state_dict(state["opt_d"])
            self.batches.load_state_dict(state["data"])
            set_rng_state(state["rng"])
            if self.ema:
                self.ema.load_state_dict(state["G_ema"])
            self.precision.load_state_dict(state.get("scalers", {}))
        except (KeyError, ValueError, RuntimeError, TypeError) as e:
            raise UserError(f"{path}: optimizer, data or RNG state does not load ({e}); "
                            "the checkpoint is incomplete or from another configuration") from None
        self.step = int(state["step"])
        self.lr_scale = float(state.get("lr_scale", 1.0))
        self.best_fid = state.get("best_fid")

    def save_checkpoint(self) -> Path:
        """The main rank writes; the others wait for the file, which a rollback would read."""
        path = self.files.checkpoint(self.step)
        if self.ranks.main:
            ckpt_io.save_atomic(self.state_dict(), path)
            # step 0 stays: the untrained generator is the baseline of a study's FID / untrained
            ckpt_io.prune(self.run_dir, self.cfg.keep, protect=(self.files.checkpoint(0),))
        self.ranks.barrier()
        return path

    def save_grid(self) -> Path:
        path = self.files.grid(self.step)
        with sampling_mode(self.sampler), torch.no_grad():  # no running-stat or power-iteration updates
            images = self.sampler(self.fixed_z).float().add(1).div(2)
        return write_atomic(path, lambda f: save_image(images, f, format="png", nrow=8))

    def summary(self) -> dict[str, Any]:
        """The end-of-run numbers a dashboard shows beside the curves."""
        out: dict[str, Any] = {"final_step": self.step, "params_g": self.params["G"], "params_d": self.params["D"]}
        if self.last_eval:
            e = self.last_eval
            out.update(best_fid=self.best_fid, final_fid=e.fid, final_is=e.is_mean, final_kid=e.kid_mean,
                       final_precision=e.precision, final_recall=e.recall, final_density=e.density,
                       final_coverage=e.coverage)
        return out
