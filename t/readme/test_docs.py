"""README.md and docs/: short, every page linked, every link and anchor resolves, every command
block says which test runs it or why none does (issue 37 item 7)."""
import glob
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tour  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
README = os.path.join(ROOT, "README.md")
PAGES = [README] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))) + \
    [os.path.join(ROOT, "bench", "README.md")]
MAX_README_LINES = 400
FENCE = re.compile(r"^```.*?^```[ \t]*$", re.M | re.S)
COMMAND_BLOCK = re.compile(r"^```(sh|shell|bash|console)[ \t]*$", re.M)
MARK = re.compile(r"^<!-- commands: .+ -->$")


def read(path):
    with open(path) as f:
        return f.read()


def slug(heading):
    """GitHub's anchor for a heading's text."""
    s = re.sub(r"`|\*\*|\*|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading.strip())
    s = s.lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def anchors(text):
    text = FENCE.sub("", text)
    seen, out = {}, set()
    for m in re.finditer(r"^#{1,6} (.+?)[ \t]*#*$", text, re.M):
        a = slug(m.group(1))
        n = seen.get(a, 0)
        seen[a] = n + 1
        out.add(a if n == 0 else "%s-%d" % (a, n))
    out.update(re.findall(r'<a id="([^"]+)"', text))
    return out


def links(text):
    """Markdown link targets outside code: [text](target)."""
    text = FENCE.sub("", text)
    text = re.sub(r"`[^`\n]*`", "", text)
    return re.findall(r"\]\(([^)\s]+)\)", text)


class TestDocs(unittest.TestCase):

    def test_readme_short(self):
        n = read(README).count("\n")
        self.assertLessEqual(n, MAX_README_LINES, "README.md has %d lines" % n)

    def test_every_docs_page_linked_from_readme(self):
        targets = {os.path.normpath(os.path.join(ROOT, t.split("#")[0]))
                   for t in links(read(README)) if not re.match(r"[a-z]+:", t)}
        pages = glob.glob(os.path.join(ROOT, "docs", "*.md"))
        self.assertTrue(pages)
        for p in pages:
            self.assertIn(p, targets, "README.md does not link %s" % os.path.relpath(p, ROOT))

    def test_links_and_anchors_resolve(self):
        bad = []
        for page in PAGES:
            for t in links(read(page)):
                if re.match(r"[a-z]+:", t):
                    continue                        # https:, mailto:
                path, _, anchor = t.partition("#")
                dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
                where = "%s: (%s)" % (os.path.relpath(page, ROOT), t)
                if not os.path.exists(dest):
                    bad.append(where + ": no such file")
                elif anchor and dest.endswith(".md") and anchor not in anchors(read(dest)):
                    bad.append(where + ": no such anchor")
        self.assertEqual(bad, [])

    def test_command_blocks_say_how_they_are_tested(self):
        tour_text = read(README).split(tour.SECTION, 1)[1].split("\n## ", 1)[0]
        bad = []
        for page in PAGES:
            text = read(page)
            if page == README:
                text = text.replace(tour_text, "")   # the tour: t/readme/test_tour.py runs it
            lines = text.split("\n")
            inside = False
            for i, line in enumerate(lines):
                if line.startswith("```"):
                    if not inside and COMMAND_BLOCK.match(line) and \
                            (i == 0 or not MARK.match(lines[i - 1])):
                        bad.append("%s: the block before %r" % (os.path.relpath(page, ROOT),
                                                                 lines[i + 1][:60]))
                    inside = not inside
        self.assertEqual(bad, [], "each command block needs a '<!-- commands: run by TEST -->' "
                                  "or '<!-- commands: not run by a test: WHY -->' line above it")

    def test_slug(self):
        for heading, want in [("`/skatev2` and `/apiv2`", "skatev2-and-apiv2"),
                              ("`[cluster.ID]`, one per Spark cluster", "clusterid-one-per-spark-cluster"),
                              ("A 5-minute tour", "a-5-minute-tour"),
                              ("Performance: how `make bench` measures, and its history",
                               "performance-how-make-bench-measures-and-its-history")]:
            self.assertEqual(slug(heading), want)


if __name__ == "__main__":
    unittest.main()
