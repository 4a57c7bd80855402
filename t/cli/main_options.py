"""main_options.py: which options each command takes, read from cli/main.c's option table
(so a test of `--help` covers every option, including ones added later)."""
import os
import re

MAIN_C = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "cli", "main.c")


def by_command():
    """{command: [option names]} from the commands[] and options[] tables."""
    src = open(MAIN_C).read()
    cmds = dict(re.findall(r'\[(K_[A-Z]+)\] = \{ "([a-z]+)"', src))
    everyone = [k for k in cmds]
    server = [k for k in cmds if k not in ("K_COMPLETION", "K_HELP")]
    out = {name: [] for name in cmds.values()}
    for name, mask in re.findall(r'\{ \{ "([a-z-]+)", \w+, NULL, [^}]+\}, ([^,]+),', src):
        ks = everyone if mask == "ALL" else server if mask == "NEEDS_SERVER" else re.findall(r"C\((K_[A-Z]+)\)", mask)
        for k in ks:
            out[cmds[k]].append(name)
    assert out["submit"] and "executor-memory" in out["submit"], out
    return out
