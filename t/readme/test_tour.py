"""README.md's 5-minute tour, run literally: every command of it, in order, in one bash session.

The session starts in a shadow of the clone (build/readme-tour: a link to each of the clone's
entries, its own run/), so the tour's `make run` and `make stop` start and stop a stack of their
own under build/readme-tour/run, never the one your `make run` left under run/, on ports
BPG_TOUR_PORT_BASE (default 27000) + offsets. A command that exits non-zero, or a block whose
output differs from the README's text (tour.py says how placeholders match), fails the test;
the stack is stopped afterwards whatever happened.
"""
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tour  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SHADOW = os.path.join(ROOT, "build", "readme-tour")
PORT_BASE = int(os.environ.get("BPG_TOUR_PORT_BASE", "27000"))
SENTINEL = "@@bpg-tour-done@@"
# make run may install and build; every other command answers in seconds
TIMEOUTS = {"make run": 1200}
TIMEOUT = 120


def make_shadow():
    """build/readme-tour: the clone's entries as links, and an empty run/ of its own."""
    if os.path.isdir(os.path.join(SHADOW, "run")):
        subprocess.run(["t/stack", "down", os.path.join(SHADOW, "run")], cwd=SHADOW,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(SHADOW, ignore_errors=True)
    os.makedirs(SHADOW)
    for name in os.listdir(ROOT):
        if name != "run":
            os.symlink(os.path.join(ROOT, name), os.path.join(SHADOW, name))


class Session:
    """One bash, driven through a pipe: each command's output ends at a sentinel with its status."""

    def __init__(self, cwd, env):
        self.p = subprocess.Popen(["bash", "--noprofile", "--norc"], cwd=cwd, env=env,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, bufsize=1,
                                  start_new_session=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def run(self, command, timeout):
        """Runs command in the session (stdin from /dev/null); returns (status, output)."""
        self.p.stdin.write("{\n%s\n} </dev/null 2>&1; printf '%s %%d\\n' $?\n" % (command, SENTINEL))
        self.p.stdin.flush()
        out, deadline = [], time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("no end after %d s of: %s\noutput so far:\n%s"
                                     % (timeout, command, "".join(out)))
            if line is None:
                raise AssertionError("bash ended during: %s\n%s" % (command, "".join(out)))
            if SENTINEL in line:
                before, _, status = line.rstrip("\n").partition(SENTINEL)
                out.append(before)
                return int(status), "".join(out)
            if time.monotonic() > deadline:
                raise AssertionError("no end after %d s of: %s" % (timeout, command))
            out.append(line)

    def close(self):
        try:
            self.p.stdin.close()
            self.p.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.p.kill()


class TestTour(unittest.TestCase):

    def test_tour(self):
        with open(os.path.join(ROOT, "README.md")) as f:
            steps = tour.blocks(f.read())
        self.assertGreaterEqual(len(steps), 5, "the tour has too few steps")
        make_shadow()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("BPG_", "MYSQL_", "AWS_", "S3_", "KUBECONFIG", "MAKE"))
               and k not in ("MFLAGS",)}
        env["BPG_PORT_BASE"] = str(PORT_BASE)
        sess = Session(SHADOW, env)
        matcher = tour.Matcher(SHADOW, PORT_BASE)
        passed = False
        try:
            for n, (sh, expected) in enumerate(steps, 1):
                output = ""
                for cmd in tour.commands(sh):
                    status, out = sess.run(cmd, TIMEOUTS.get(cmd.strip(), TIMEOUT))
                    output += out
                    self.assertEqual(status, 0, "tour step %d: `%s` exited %d; it printed:\n%s"
                                     % (n, cmd, status, out))
                self.assertTrue(matcher.match(expected, output),
                                "tour step %d: the output differs from README.md's.\n"
                                "--- README shows:\n%s--- it printed:\n%s"
                                % (n, expected or "(nothing)\n", output))
            passed = True
        finally:
            sess.close()
            subprocess.run(["t/stack", "down", os.path.join(SHADOW, "run")], cwd=SHADOW,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if passed:      # a failed tour keeps its stack's logs under build/readme-tour/run
                shutil.rmtree(SHADOW, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
