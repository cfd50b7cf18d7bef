"""`gans compare`: the discriminators side by side from run directories alone, without wandb: the
table (gans.analysis.table) as markdown, CSV and one HTML page with its figures and, where the runs
were diagnosed, the paper's claims.
"""
from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Callable, Sequence

from gans.analysis import curve, stages, sweep
from gans.analysis.figures import plot_fid, plot_losses, plot_samples
from gans.analysis.rundirs import RunDir, load_runs
from gans.analysis.rows import SystemRow, table_rows
from gans.analysis.table import COLUMNS, cells, diff_table, machines_note, markdown, notes, write_csv
from gans.core.errors import UserError
from gans.core.files import check_writable, write_atomic


# ---- the page --------------------------------------------------------------------------------------
def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


# a number's cell: "mean ± std", then its interval and mark, which the page puts on a second line
_NUMBER = re.compile(r"^(?P<value>\S+ ± \S+)(?: (?P<interval>\[[^\]]*\]))?(?P<rest>.*)$")


_TEXT_COLUMNS = {"system", "norm", "loss", "evaluated"}


def _html_cell(text: str) -> str:
    m = _NUMBER.match(text)
    if not m:
        return html.escape(text)
    interval = f'<br><span class=ci>{html.escape(m["interval"])}</span>' if m["interval"] else ""
    return f'<span class=v>{html.escape(m["value"] + m["rest"])}</span>{interval}'


def _html_table(head: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """A table in its own box: on a narrow screen the box scrolls sideways, never the page, and the
    first column (the system) stays in view."""
    text = ["" if c not in _TEXT_COLUMNS else " class=t" for c in head]  # words left-aligned, numbers right
    cells = "".join(f"<th{t}>{html.escape(c)}</th>" for c, t in zip(head, text))
    rows = "".join("<tr>" + "".join(f"<td{t}>{_html_cell(c)}</td>" for c, t in zip(r, text)) + "</tr>"
                   for r in body)
    return f"<div class=scroll><table><tr>{cells}</tr>{rows}</table></div>"


STYLE = """body{font-family:sans-serif;max-width:1300px;margin:1.5em auto;padding:0 1em;line-height:1.35}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 5px;text-align:right;vertical-align:top}
th{vertical-align:bottom;max-width:7em}
.t{text-align:left}td:first-child,th:first-child{position:sticky;left:0;background:#fff;white-space:nowrap}
td.t:last-child{min-width:8em}
.v{white-space:nowrap}.ci{color:#666;font-size:92%;white-space:nowrap}
p.note{font-size:90%;margin:.3em 0}img{max-width:100%}"""


def html_report(rows: Sequence[SystemRow], runs: Sequence[RunDir], plots: dict[str, Path | None],
                claims: Sequence[tuple[str, Path, str]] = (), pairs: bool = False) -> str:
    """The page: the table and its notes, the differences from the baseline, the figures that have
    something to show (a None in ``plots`` is left out), the claims, the runs."""
    table = _html_table(COLUMNS, [cells(r) for r in rows])
    table += "".join(f"<p class=note>{html.escape(n)}</p>" for n in notes(rows, pairs))
    head, body = diff_table(rows)
    if body:
        table += (f"<h2>Differences from the baseline {html.escape(rows[0].baseline)}</h2>"
                  "<p>system - baseline [95% Welch interval], p (Holm-adjusted p over the systems "
                  "tested)</p>" + _html_table(head, body))
    listed = "".join(f"<li>{html.escape(str(r.path))}: {r.cfg.system}, norm {r.cfg.norm}, loss {r.cfg.loss}, "
                     f"seed {r.cfg.seed}, {r.last_step} steps</li>" for r in runs)
    figures = "".join(f"<h2>{html.escape(title)}</h2>{_img(p)}" for title, p in plots.items() if p is not None)
    if claims:
        figures += "<h2>Checking the paper's claims (gans diagnose)</h2>" + "".join(
            f"<h3>{html.escape(claim)}</h3><p>{html.escape(reading)}</p>{_img(p)}" for claim, p, reading in claims)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>gans compare</title>
<style>{STYLE}</style></head><body>
<h1>Discriminator comparison</h1>
{table}
{figures}
<h2>Runs</h2><ul>{listed}</ul>
</body></html>
"""


def compare(paths: Sequence[Path], out: Path, baseline: str | None = None,
            say: Callable[[str], None] = lambda line: None) -> dict[str, Path]:
    """Write table.md, table.csv, losses.png, samples.png and report.html to ``out`` (and
    fid_vs_step.png and fid_by_step.md where runs were scored in training; a figure with nothing to
    show is left out); every system is tested against ``baseline`` (default: the first). ``say``
    gets a line for each file a study's stage is not ready to have (samples/study/PROTOCOL.md)."""
    import matplotlib

    matplotlib.use("Agg")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; pass a folder for the report")
    check_writable(out)
    runs = load_runs(paths)
    rows = table_rows(runs, baseline)  # a bad --baseline is refused before anything is written
    out.mkdir(parents=True, exist_ok=True)
    written = {"table.md": out / "table.md", "table.csv": write_csv(rows, out / "table.csv")}
    stage = stages.write(rows, runs, out, say)  # a study's next stage (samples/study/PROTOCOL.md)
    pairs = "pairs.md" in stage  # then its tests, not the baseline's, decide: table.md says so
    write_atomic(written["table.md"], lambda f: f.write(markdown(rows, machines_note(runs), pairs).encode()))
    plots = {"FID vs step": plot_fid(runs, out / "fid_vs_step.png"),
             "Losses": plot_losses(runs, out / "losses.png"),
             "Final samples": plot_samples(runs, out / "samples.png")}
    written.update({p.name: p for p in plots.values() if p is not None})  # a figure with nothing to show is not written
    steps = curve.fid_by_step(runs, rows[0].baseline)
    if steps:  # training-time FID: does the order at the end hold along the way?
        text = curve.markdown(steps, rows[0].baseline)
        written["fid_by_step.md"] = write_atomic(out / "fid_by_step.md", lambda f: f.write(text.encode()))
    written.update(stage)
    swept = sweep.points(rows)
    if swept:  # a study's [sweep]: each system's settings ranked, its best picked
        written["sweep.md"] = write_atomic(out / "sweep.md", lambda f: f.write(sweep.markdown(swept).encode()))
    claims = []
    if any(r.diagnostics for r in runs):
        from gans.analysis.claims import diagnose

        claims = diagnose(runs, out / "diagnostics")
        written.update({f"diagnostics/{p.name}": p for _, p, _ in claims})
    written["report.html"] = out / "report.html"
    page = html_report(rows, runs, plots, claims, pairs)
    write_atomic(written["report.html"], lambda f: f.write(page.encode()))
    return written
