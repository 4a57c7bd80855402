"""tour.py: reads README.md's "A 5-minute tour" and matches a command's output with the README's.

The tour is the README section "## A 5-minute tour": its ```sh blocks are the commands, in
order; the ```text block that follows a ```sh block (before the next ```sh block) is what that
block prints, standard output and standard error together. A ```sh block without one must
print nothing.

How the README's text matches the output (README.md says the same to its readers):
- a line "..." matches any number of lines, none included;
- runs of spaces count as one (tables' columns widen with their contents);
- port numbers 24NNN are BPG_PORT_BASE + NNN (make run's default base is 24000);
- placeholders: <id> a submission id, the same one wherever it appears in the tour; <app-id> a
  Spark application id, likewise; <clone> the clone's path; <password> a password; <n> a number;
  <time> a date and time (and how long ago); <age> "1m5s ago"; <duration> "8s"; <state> a
  lower-case state word; <...> any text within the line.
"""
import re

SECTION = "## A 5-minute tour"

# placeholder -> (regex, binds): a binding placeholder matches the same text everywhere
PLACEHOLDERS = {
    "id": (r"c0[12]-[0-9a-f]{32}", True),
    "app-id": (r"spark-[0-9a-f]{32}", True),
    "password": (r"[^\s:@]+", False),
    "n": (r"-?[0-9]+(?:\.[0-9]+)?", False),
    "time": (r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9:]{8}(?:Z| UTC(?: \([0-9hms]+ ago\))?)", False),
    "age": (r"(?:[0-9]+[dhms])+ ago", False),
    "duration": (r"(?:[0-9]+[dhms])+|[0-9.]+m?s", False),
    "state": (r"[a-z_]+", False),
    "...": (r".*?", False),
}
TOKEN = re.compile(r"<(id|app-id|password|n|time|age|duration|state|\.\.\.)>|<clone>")


def blocks(readme_text):
    """The tour's steps, in order: a list of (sh text, expected text or None)."""
    if SECTION not in readme_text:
        raise ValueError("README.md has no section %r" % SECTION)
    section = readme_text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    steps = []
    for m in re.finditer(r"^```(sh|text)\n(.*?)^```$", section, re.M | re.S):
        kind, body = m.group(1), m.group(2)
        if kind == "sh":
            steps.append([body, None])
        elif not steps or steps[-1][1] is not None:
            raise ValueError("a ```text block that follows no ```sh block:\n" + body)
        else:
            steps[-1][1] = body
    return [tuple(s) for s in steps]


def commands(sh):
    """The commands of a ```sh block: its lines, a line ending in a backslash joined to the next."""
    out, cur = [], ""
    for line in sh.splitlines():
        if cur:
            cur += "\n" + line
        else:
            cur = line
        if not line.endswith("\\"):
            if cur.strip() and not cur.lstrip().startswith("#"):
                out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out


def _squash(s):
    return re.sub(r"[ \t]+", " ", s.rstrip())


class Matcher:
    """Matches outputs against the README's text, keeping <id> and <app-id> bound across steps."""

    def __init__(self, clone, port_base):
        self.clone = clone
        self.port_base = port_base
        self.bound = {}

    def line_regex(self, line):
        line = re.sub(r"\b24([0-9]{3})\b", lambda m: str(self.port_base + int(m.group(1))), line)
        line = _squash(line)
        out, pos, names = [], 0, []
        for m in TOKEN.finditer(line):
            out.append(re.escape(line[pos:m.start()]))
            name = m.group(1)
            if name is None:
                out.append(re.escape(self.clone))
            else:
                rx, binds = PLACEHOLDERS[name]
                if binds and name in self.bound:
                    out.append(re.escape(self.bound[name]))
                elif binds:
                    gid = "g%d" % len(names)
                    names.append((gid, name))
                    out.append("(?P<%s>%s)" % (gid, rx))
                else:
                    out.append("(?:%s)" % rx)
            pos = m.end()
        out.append(re.escape(line[pos:]))
        return "".join(out), names

    def _match(self, exp, got, i, j, bound):
        """Backtracking match of expected lines exp[i:] against got[j:]; returns bindings or None."""
        if i == len(exp):
            return bound if j == len(got) else None
        if exp[i].strip() == "...":
            for k in range(j, len(got) + 1):
                r = self._match(exp, got, i + 1, k, bound)
                if r is not None:
                    return r
            return None
        if j == len(got):
            return None
        saved = self.bound
        self.bound = bound
        try:
            rx, names = self.line_regex(exp[i])
        finally:
            self.bound = saved
        m = re.fullmatch(rx, _squash(got[j]))
        if not m:
            return None
        nb = dict(bound)
        for gid, name in names:
            if name in nb and nb[name] != m.group(gid):
                return None
            nb[name] = m.group(gid)
        return self._match(exp, got, i + 1, j + 1, nb)

    def match(self, expected, output):
        """True when output matches the README's expected text (None: must print nothing)."""
        exp = (expected or "").splitlines()
        got = output.splitlines()
        while got and not got[-1].strip():
            got.pop()
        r = self._match(exp, got, 0, 0, dict(self.bound))
        if r is None:
            return False
        self.bound = r
        return True
