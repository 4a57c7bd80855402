"""bpg on a terminal, driven through tmux: the live status line of --wait (one line, redrawn in
place, cleared at the end), Ctrl-C, the upload progress bar; and the same commands with stderr
redirected, where no control character may appear."""
import os
import re
import shutil
import subprocess
import unittest
import uuid

from cli import BPG, ENV, Home, app_state, make_app, poll, stack_env


@unittest.skipIf(shutil.which("tmux") is None, "tmux is not installed (t/deps installs it)")
class TerminalTest(unittest.TestCase):
    def setUp(self):
        self.home = Home()
        self.sock = "bpg-cli-test-%s" % uuid.uuid4().hex[:8]
        self.raw = os.path.join(self.home.path, "raw")
        env = stack_env(self.home.path, TERM="xterm")
        self.tmux("new-session", "-d", "-x", "120", "-y", "30", "-s", "t",
                  "bash --norc --noprofile", env=env)
        self.tmux("pipe-pane", "-o", "-t", "t", "cat >> %s" % self.raw)
        self.assertTrue(poll(lambda: self.screen().strip() != "", 10, 0.05))   # the prompt

    def tearDown(self):
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], capture_output=True)
        self.home.cleanup()

    def tmux(self, *args, env=None):
        return subprocess.run(["tmux", "-L", self.sock] + list(args), env=env, check=True,
                              capture_output=True, text=True).stdout

    def type(self, line):
        self.tmux("send-keys", "-t", "t", "-l", line)
        self.tmux("send-keys", "-t", "t", "Enter")

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "t")

    def raw_bytes(self):
        try:
            with open(self.raw, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def wait_screen(self, pattern, timeout=60):
        ok = poll(lambda: re.search(pattern, self.screen()), timeout, 0.1)
        self.assertTrue(ok, "%r not on the screen:\n%s" % (pattern, self.screen()))

    def test_live_status_line_and_ctrl_c(self):
        sid = make_app(ENV["BPG_USER"], outcome="hang")
        self.type("%s wait %s; echo rc=$?" % (BPG, sid))
        self.wait_screen(r"%s  RUNNING  \(waiting \d+s; Ctrl-C leaves it running\)" % sid)
        # redrawn in place: several draws in the raw stream, one line on the screen
        self.assertTrue(poll(lambda: self.raw_bytes().count(b"\r\x1b[K" + sid.encode()) >= 3, 30, 0.1))
        lines = [l for l in self.screen().splitlines() if l.startswith(sid)]
        self.assertEqual(len(lines), 1, self.screen())
        self.tmux("send-keys", "-t", "t", "C-c")
        self.wait_screen(r"bpg: interrupted: %s keeps running(.|\n)*\nrc=130" % sid, 10)
        self.assertNotIn("(waiting", self.screen())     # the live line was cleared
        self.assertEqual(app_state(sid), "RUNNING")

    def test_logs_follow_waits_for_the_driver_with_the_live_line(self):
        sid, create = make_app(ENV["BPG_USER"], outcome="hang", later=True)
        self.type("%s logs %s -f; echo rc=$?" % (BPG, sid))
        # no pod yet: the live line, not the gateway's "Cannot find matched log files" text
        self.wait_screen(r"%s  UNKNOWN  \(waiting for the driver's log \d+s; Ctrl-C leaves it running\)" % sid)
        self.assertTrue(poll(lambda: self.raw_bytes().count(b"\r\x1b[K" + sid.encode()) >= 2, 30, 0.1))
        create()
        self.wait_screen(r"%s-driver line" % sid)
        self.assertNotIn("(waiting", self.screen())       # cleared before the log
        self.assertNotIn("Cannot find", self.screen())
        self.tmux("send-keys", "-t", "t", "C-c")
        self.wait_screen(r"bpg: interrupted: %s keeps running(.|\n)*\nrc=130" % sid, 10)

    def test_logs_follow_of_a_missing_executor_is_not_found(self):
        sid = make_app(ENV["BPG_USER"], outcome="success", run_s=1)
        self.assertTrue(poll(lambda: app_state(sid) == "COMPLETED", 60, 0.2))
        self.type("%s logs %s -f --exec 99; echo rc=$?" % (BPG, sid))
        self.wait_screen(r"bpg: error: %s: no such executor \(the application is COMPLETED\)\n.*rc=4" % sid)
        self.assertNotIn("Cannot find", self.screen())

    def test_submit_wait_on_a_terminal_ends_with_one_clean_line(self):
        from cli import SUBMIT_FLAGS
        self.type("%s submit %s --wait; echo rc=$?" % (BPG, " ".join(SUBMIT_FLAGS)))
        self.wait_screen(r"(c0[12]-[0-9a-f]{32}): COMPLETED\n.*rc=0")
        screen = self.screen()
        sid = re.search(r"(c0[12]-[0-9a-f]{32}): COMPLETED", screen).group(1)
        self.assertIn("\n%s\n" % sid, screen)            # the id on stdout, its own line
        self.assertNotIn("(waiting", screen)
        self.assertIn(b"\r\x1b[K" + sid.encode() + b"  ", self.raw_bytes())

    def test_upload_progress_bar_only_on_a_terminal(self):
        path = os.path.join(self.home.path, "big.bin")
        with open(path, "wb") as f:
            for _ in range(32):
                f.write(os.urandom(1 << 20))
        folder = "%s/cli-tty-%s" % (ENV["BPG_USER"], uuid.uuid4().hex[:8])   # the user's own
        self.type("%s upload %s --folder %s; echo rc=$?" % (BPG, path, folder))
        self.wait_screen(r"s3a://%s/uploaded/%s/big.bin\n.*rc=0" % (ENV["S3_BUCKET"], folder))
        raw = self.raw_bytes()
        self.assertRegex(raw, rb"\r\x1b\[K\[[#.]{30}\] +\d+% [0-9.]+ (B|KiB|MiB) / 32\.0 MiB  [0-9.]+ \S+/s  ETA ")
        self.assertIn(b"100% 32.0 MiB / 32.0 MiB", raw)
        self.assertNotIn("ETA", self.screen())          # cleared once done
        # stderr not a terminal, or --quiet: no bar, nothing but the URL
        err = os.path.join(self.home.path, "err")
        self.type("%s upload %s --folder %s --overwrite 2>%s; echo rc=$?" % (BPG, path, folder, err))
        self.wait_screen(r"big.bin\n.*rc=0\n(.|\n)*big.bin\n.*rc=0")
        with open(err, "rb") as f:
            self.assertEqual(f.read(), b"")
        before = len(self.raw_bytes())
        self.type("%s upload %s --folder %s --overwrite --quiet; echo rc=quiet$?" % (BPG, path, folder))
        self.wait_screen(r"rc=quiet0")
        self.assertNotIn(b"ETA", self.raw_bytes()[before:])

    def test_wait_with_stderr_redirected_writes_plain_lines(self):
        sid = make_app(ENV["BPG_USER"], outcome="success", run_s=1)
        err = os.path.join(self.home.path, "err")
        self.type("%s wait %s 2>%s; echo rc=$?" % (BPG, sid, err))
        self.wait_screen(r"rc=0", 60)
        with open(err, "rb") as f:
            text = f.read()
        self.assertNotIn(b"\x1b", text)
        self.assertNotIn(b"\r", text)
        self.assertIn(("%s: COMPLETED\n" % sid).encode(), text)


if __name__ == "__main__":
    unittest.main()
