"""The first hour with the stack (issue 37 point 3): the README's command-line session works
as written: `bpg` is on the stack's PATH (run/bin), the example files it uploads exist, an
upload that sends no bytes by mistake is refused, and stopping the stack says what stopped."""
import os
import re
import subprocess
import tempfile
import unittest
import uuid

from cli import BPG, ENV, ROOT, Home, poll, run, stack_env, user_client

README = os.path.join(ROOT, "README.md")


class SessionTest(unittest.TestCase):
    def setUp(self):
        self.home = Home()
        self.env = stack_env(self.home.path)

    def tearDown(self):
        self.home.cleanup()

    def test_bpg_is_on_the_stack_path(self):
        # stack.env puts RUN/bin first on PATH; the README's session calls plain `bpg`
        env = dict(self.env, PATH=os.path.join(ENV["BPG_RUN_DIR"], "bin") + ":/usr/bin:/bin")
        p = subprocess.run(["bash", "-c", "bpg version"], env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^client: bpg ")

    def test_the_readme_uploads_files_that_exist(self):
        code = "\n".join(re.findall(r"^```(?:sh|console)\n(.*?)^```", open(README).read(), re.M | re.S))
        used = set(re.findall(r"(?:bpg upload |--data-binary @|-F file=@)(\S+)", code))
        self.assertTrue(used, "no upload command in README.md")
        for path in used:
            self.assertTrue(os.path.isfile(os.path.join(ROOT, path)), "README uploads %s: no such file" % path)
        rc, out, err = run(["upload", os.path.join(ROOT, "examples", "etl.py"), "--folder",
                            ENV["BPG_USER"] + "/session-" + uuid.uuid4().hex[:8]], self.env)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^s3a://\S+/etl\.py\n$")

    def test_an_empty_upload_is_400_unless_allowed(self):
        folder = ENV["BPG_USER"] + "/empty-" + uuid.uuid4().hex[:8]
        base = [ "curl", "-sS", "--cacert", ENV["BPG_CACERT"], "-u", "%s:%s" % (ENV["BPG_USER"], ENV["BPG_PASSWORD"]),
                 "-H", "Content-Type: application/octet-stream", "-w", "\n%{http_code}"]
        missing = os.path.join(self.home.path, "no-such-file.py")
        p = subprocess.run(base + ["--data-binary", "@" + missing, "%s/s3/app.py?folder=%s" % (ENV["BPG_URL"], folder)],
                           capture_output=True, text=True, timeout=30)
        body, status = p.stdout.rsplit("\n", 1)
        self.assertEqual(status, "400", p.stdout)
        self.assertIn("empty upload", body)
        self.assertIn("allowEmpty=true", body)
        c = user_client()
        st, _, _ = c.request("POST", "/s3/app.py?folder=%s" % folder, body=b"",
                             headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(st, 400)
        st, _, r = c.request("POST", "/s3/app.py?folder=%s&allowEmpty=true" % folder, body=b"",
                             headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(st, 200, r)
        st, _, r = c.request("POST", "/s3/app.py?folder=%s&overwrite=true" % folder, body=b"",
                             headers={"Content-Type": "application/octet-stream"}, base=ENV["BPG_URL_SKATE"])
        self.assertEqual(st, 200, r)                     # /skatev2 stores it, as the Java gateway did
        empty = self.home.write("empty.txt", "")
        rc, out, err = run(["upload", empty, "--folder", folder], self.env)   # a file it opened
        self.assertEqual(rc, 0, err)
        rc, out, err = run(["upload", missing, "--folder", folder], self.env)
        self.assertEqual(rc, 2)
        self.assertIn("No such file", err)

    def test_stack_down_says_what_it_stopped(self):
        with tempfile.TemporaryDirectory(prefix="bpg-down-") as run_dir:
            os.makedirs(os.path.join(run_dir, "moto"))
            sleeper = subprocess.Popen(["sleep", "300"])
            try:
                with open(os.path.join(run_dir, "moto", "moto.pid"), "w") as f:
                    f.write(str(sleeper.pid))
                p = subprocess.run([os.path.join(ROOT, "t", "stack"), "down", run_dir], capture_output=True,
                                   text=True, timeout=60)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("t/stack: stopped moto (pid %d)" % sleeper.pid, p.stderr)
                self.assertTrue(poll(lambda: sleeper.poll() is not None, 10, 0.05))
                p = subprocess.run([os.path.join(ROOT, "t", "stack"), "down", run_dir], capture_output=True,
                                   text=True, timeout=60)
                self.assertIn("nothing was running under %s" % run_dir, p.stderr)
            finally:
                sleeper.kill()
                sleeper.wait()


if __name__ == "__main__":
    unittest.main()
