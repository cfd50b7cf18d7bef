"""Each results table of the README is its report file's numbers, to the digit shown, and each
difference its prose quotes is in that report's pairs.md: a number copied by hand goes stale when the
runs change, and this fails then."""
import csv
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# column header (start) -> (table.csv field, scale shown); the first prefix that matches wins, so FID∞ before FID
COLUMNS = {"FID∞": ("fid_inf", 1.0), "FID": ("fid", 1.0), "KID x1e3": ("kid", 1e3)}
_CELL = re.compile(r"(-?[\d.]+) ± ([\d.]+)(?: \[(-?[\d.]+), (-?[\d.]+)\])?")
# the README's sections that each hold one results table from one report (its table.csv and pairs.md)
SECTIONS = ("## The comparison", "## Longer training")


def section(readme: str, heading: str = SECTIONS[0]) -> str:
    """One of the README's results sections, up to the next heading of its level."""
    return readme.split(heading, 1)[1].split("\n## ", 1)[0]


def comparison(readme: str, heading: str = SECTIONS[0]) -> tuple[Path, list[str], list[list[str]]]:
    """A results section's source file (its one link to a table.csv), header and rows."""
    section_text = section(readme, heading)
    source = re.search(r"\]\(([^)]*table\.csv)\)", section_text).group(1)
    lines = [ln for ln in section_text.splitlines() if ln.startswith("|")]
    cells = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]
    return ROOT / source, cells[0], cells[2:]


def mismatches(readme: str, heading: str = SECTIONS[0]) -> list[str]:
    source, header, rows = comparison(readme, heading)
    by_system = {r["system"]: r for r in csv.DictReader(source.open())}
    bad = []
    for row in rows:
        system = row[0].strip("`*")
        record = by_system[system]
        for title, cell in zip(header[1:], row[1:]):
            field, scale = next(v for k, v in COLUMNS.items() if title.startswith(k))
            m = _CELL.search(cell.replace("*", ""))
            shown = [x for x in m.groups() if x is not None]
            want = [record[f"{field}_{part}"] for part in ("mean", "std", "low", "high")][:len(shown)]
            for got, value in zip(shown, want):
                decimals = len(got.partition(".")[2])
                if got != f"{float(value) * scale:.{decimals}f}":
                    bad.append(f"{system} {title}: README {got}, {source.name} {float(value) * scale:.{decimals}f}")
    return bad


@pytest.mark.parametrize("heading", SECTIONS)
def test_the_readme_table_is_the_report_files(heading):
    text = (ROOT / "README.md").read_text()
    source, _, rows = comparison(text, heading)
    assert source.is_file()  # every system of the report has its row, and no other
    assert sorted(r[0].strip("`*") for r in rows) == sorted(r["system"] for r in csv.DictReader(source.open()))
    assert mismatches(text, heading) == []


@pytest.mark.parametrize("heading", SECTIONS)
def test_a_changed_number_is_found(heading):
    text = (ROOT / "README.md").read_text()
    _, _, rows = comparison(text, heading)
    cell = rows[0][1]
    number = _CELL.search(cell.replace("*", "")).group(1)
    before, after = text.split(heading, 1)
    changed = before + heading + after.replace(number, f"{float(number) + 0.1:.1f}", 1)
    assert any("README" in m for m in mismatches(changed, heading))


@pytest.mark.parametrize("title,field", [("FID, mean ± std", "fid"), ("FID∞ (5,000)", "fid_inf"), ("KID x1e3", "kid")])
def test_columns_map_to_their_fields(title, field):
    assert next(v for k, v in COLUMNS.items() if title.startswith(k))[0] == field


_PAIR = re.compile(r"`([\w-]+)` -\s+`([\w-]+)` ([+-][\d.]+) \[([+-]?[\d.]+), ([+-]?[\d.]+)\]")


def pair_mismatches(readme: str, heading: str = SECTIONS[0]) -> list[str]:
    """Each "`B` - `A` d [lo, hi]" the comparison's prose quotes against pairs.md beside its table.csv
    (its rows give B - A for A, B in either order: the other order is the negation)."""
    source, _, _ = comparison(readme, heading)
    rows = {}
    for line in (source.parent / "pairs.md").read_text().splitlines():
        c = [x.strip() for x in line.strip("|").split("|")]
        m = len(c) > 3 and re.match(r"([+-][\d.]+) \[([+-][\d.]+), ([+-][\d.]+)\]", c[3])
        if m:
            d, lo, hi = (float(x) for x in m.groups())
            rows.setdefault((c[1], c[0]), []).append((d, lo, hi))
            rows.setdefault((c[0], c[1]), []).append((-d, -hi, -lo))
    bad = []
    for b, a, *quoted in _PAIR.findall(section(readme, heading)):
        want = tuple(float(x) for x in quoted)
        if not any(all(abs(w - g) < 0.051 for w, g in zip(want, got)) for got in rows.get((b, a), [])):
            bad.append(f"{b} - {a} {quoted}: not in pairs.md")
    return bad


@pytest.mark.parametrize("heading", SECTIONS)
def test_the_readmes_quoted_differences_are_pairs_mds(heading):
    text = (ROOT / "README.md").read_text()
    assert _PAIR.search(section(text, heading)) is not None
    assert pair_mismatches(text, heading) == []


@pytest.mark.parametrize("heading", SECTIONS)
def test_a_changed_difference_is_found(heading):
    text = (ROOT / "README.md").read_text()
    quoted = _PAIR.search(section(text, heading)).group(3)
    before, after = text.split(heading, 1)
    changed = before + heading + after.replace(quoted, f"{float(quoted) + 1:+.1f}", 1)
    assert pair_mismatches(changed, heading) != []
