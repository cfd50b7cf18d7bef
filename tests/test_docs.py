"""The README is a front page and docs/ holds the rest: the front page stays short and keeps the
set-up commands users copy, and no relative link or anchor in either leads nowhere."""
import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_FRONT_PAGE_LINES = 150
# The two set-up commands, exactly as .ci/run and a fresh machine run them.
SETUP_COMMANDS = ("pip install -e . && gans quickstart", "pip install -e '.[test]' && python -m pytest -q")

_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)|<img[^>]*\bsrc=\"([^\"]+)\"")


def _pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _prose(text: str) -> str:
    """The text without code: a link or heading inside a code block or span is not one."""
    return _INLINE_CODE.sub("", _FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen."""
    text = heading.strip().lower().replace("`", "")
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for line in _FENCE.sub("", text).splitlines():
        m = re.match(r"#{1,6}\s+(.*)", line)
        if m:
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            out.add(base if n == 0 else f"{base}-{n}")
    return out


def broken_links(page: Path, root: Path = ROOT) -> list[str]:
    """Every relative link of a markdown page whose file, or whose #anchor in a markdown file, is missing
    (or that leaves the repository)."""
    bad = []
    for m in _LINK.finditer(_prose(page.read_text())):
        target = m.group(1) or m.group(2)
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page.resolve()
        if not dest.is_relative_to(root.resolve()) or not dest.exists():
            bad.append(f"{page.name}: {target}")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest.read_text()):
            bad.append(f"{page.name}: {target} (no such heading)")
    return bad


def test_front_page_is_short():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= MAX_FRONT_PAGE_LINES, f"README.md has {len(lines)} lines; move detail to docs/"


def test_front_page_keeps_the_setup_commands():
    lines = {line.strip() for line in (ROOT / "README.md").read_text().splitlines()}
    for command in SETUP_COMMANDS:
        assert command in lines, f"README.md lost the set-up command: {command}"


def test_every_relative_link_resolves():
    assert (ROOT / "docs").is_dir()
    bad = [b for page in _pages() for b in broken_links(page)]
    assert not bad, "broken links: " + "; ".join(bad)


def test_no_page_names_paths_users_do_not_have():
    for page in _pages():
        assert "../shared" not in page.read_text(), f"{page.name} mentions ../shared"


def test_the_checker_finds_what_is_broken(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other page\n\n## The `sweep`: 2 x 2\n")
    page = tmp_path / "docs" / "page.md"
    page.write_text("# Page\n\n[ok](other.md#the-sweep-2-x-2) [self](#page) [web](https://example.org)\n"
                    "`[in code](gone.md)`\n\n```\n[in a block](gone.md)\n```\n"
                    "[gone](missing.md) [anchor](other.md#nope) ![img](../samples/x.png) [out](../../etc.md)\n"
                    '<img src="nothere.png">\n')
    assert broken_links(page, tmp_path) == ["page.md: missing.md", "page.md: other.md#nope (no such heading)",
                                            "page.md: ../samples/x.png", "page.md: ../../etc.md",
                                            "page.md: nothere.png"]
