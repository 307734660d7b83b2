"""The front page stays a front page, and every relative link of README.md, docs/*.md and the recipes' pages
leads somewhere."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "recipes").glob("*/README.md"))]
MAX_README_LINES = 250  # the front page: what asr is, the two commands, a first transcription, results, links
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def anchors(page):
    """The anchors GitHub gives a Markdown page's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", re.sub(r"^```.*?^```", "", page.read_text(), flags=re.M | re.S), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def relative_links(page):
    """(target path, anchor or '') of every link that is not a URL, outside code blocks."""
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.M | re.S)
    for target in LINK.findall(text):
        if not re.match(r"[a-z]+:", target):
            path, _, anchor = target.partition("#")
            yield path, anchor


def test_the_readme_is_a_front_page_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= MAX_README_LINES
    # CI and a new user read these two lines as they are
    assert "make run     # default recipe end to end: corpus -> features + LM -> train -> WER report -> a " \
           "transcription" in lines
    assert "make test    # the test suite" in lines


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    broken = []
    for path, anchor in relative_links(page):
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(f"{path}: no such file")
        elif anchor and target.suffix == ".md" and anchor not in anchors(target):
            broken.append(f"{path}#{anchor}: no such heading")
    assert not broken, broken


def test_the_link_checker_sees_links_and_headings(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Speed on a CPU: int8\n\n[a](other.md#x) [b](#speed-on-a-cpu-int8) [c](https://e.org)\n"
                    "```\n[d](in-code.md)\n```\n")
    assert list(relative_links(page)) == [("other.md", "x"), ("", "speed-on-a-cpu-int8")]
    assert anchors(page) == {"speed-on-a-cpu-int8"}
