"""bpg-fcgi --check-config and --show-config, as an operator runs them."""
import os
import subprocess
import tempfile
import unittest

from bpg import ROOT

BIN = os.environ.get("BPG_FCGI_BIN", os.path.join(ROOT, "fcgi", "bpg-fcgi"))
MONITOR = os.environ.get("BPG_MONITOR_BIN") or os.path.join(ROOT, "monitor", "bpg-monitor")


def check(text):
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as f:
        f.write(text)
    try:
        p = subprocess.run([BIN, "--check-config", f.name], capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr, f.name
    finally:
        os.unlink(f.name)


GOOD = """
[database]
name = bpg
user = bpg
[auth]
allowed_users = *
[cluster.c01]
weight = 1
api_server = https://127.0.0.1:6443
namespace = spark
ca_file = ca.crt
token_file = token
spark_versions = 3.5
queues = poc
[queue.poc]
"""


class ConfigCliTest(unittest.TestCase):
    def test_example_config_is_ok(self):
        p = subprocess.run([BIN, "--check-config", os.path.join(ROOT, "etc", "bpg.ini")],
                           capture_output=True, text=True)
        self.assertEqual((p.returncode, p.stdout.strip()), (0, "OK"), p.stderr)

    def test_minimal_config_is_ok(self):
        rc, out, err, _ = check(GOOD)
        self.assertEqual((rc, out.strip()), (0, "OK"), err)

    def test_malformed_config_names_file_section_key(self):
        rc, out, err, name = check(GOOD.replace("weight = 1", "weight = heavy"))
        self.assertNotEqual(rc, 0)
        self.assertNotIn("OK", out)
        self.assertIn("%s: [cluster.c01] weight: 'heavy' is not an integer" % name, err)

    def test_several_errors_reported_at_once(self):
        bad = GOOD.replace("[queue.poc]", "[queue.poc]\nmax_cores = many\nsurprise = 1")
        bad = bad.replace("[cluster.c01]", "[cluster.c-01]")
        rc, _, err, name = check(bad)
        self.assertNotEqual(rc, 0)
        self.assertIn("[queue.poc] max_cores: 'many' is not an integer", err)
        self.assertIn("[queue.poc] surprise: unknown key", err)
        self.assertIn("cluster id 'c-01' contains '-'", err)

    def test_show_config_masks_password(self):
        with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as f:
            f.write(GOOD.replace("user = bpg", "user = bpg\npassword = hunter2"))
        try:
            p = subprocess.run([BIN, "--show-config", f.name], capture_output=True, text=True)
        finally:
            os.unlink(f.name)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("database.password=***", p.stdout)
        self.assertNotIn("hunter2", p.stdout)
        self.assertIn("gateway.base_path=/apiv2", p.stdout)

    def test_worker_refuses_to_start_on_bad_config(self):
        with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as f:
            f.write("[gateway]\nworkers = 0\n")
        try:
            p = subprocess.run([BIN, "--config", f.name], capture_output=True, text=True,
                               timeout=10, stdin=subprocess.DEVNULL)
        finally:
            os.unlink(f.name)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("[gateway] workers: 0 is out of range", p.stderr)


class ConfigRuleTest(unittest.TestCase):
    """One rule for every binary: --config FILE, else the FILE argument, else $BPG_CONFIG, else
    /etc/bpg/bpg.ini. Each candidate is a different broken file, so the errors name the one read."""

    def setUp(self):
        self.files = {}
        for name in ("flag", "positional", "env"):
            with tempfile.NamedTemporaryFile("w", suffix="-%s.ini" % name, delete=False) as f:
                f.write("[gateway]\nworkers = 0\n")
            self.files[name] = f.name
            self.addCleanup(os.unlink, f.name)

    def which(self, argv, env_file):
        env = dict(os.environ)
        env.pop("BPG_CONFIG", None)
        if env_file:
            env["BPG_CONFIG"] = env_file
        p = subprocess.run(argv, capture_output=True, text=True, timeout=20, env=env,
                           stdin=subprocess.DEVNULL)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        read = [n for n, f in self.files.items() if f in p.stderr]
        if "/etc/bpg/bpg.ini" in p.stderr:
            read.append("default")
        self.assertEqual(len(read), 1, (argv, p.stderr))
        return read[0]

    def rule(self, cmd, positional=True):
        f = self.files
        if positional:
            self.assertEqual(self.which(cmd + [f["positional"], "--config", f["flag"]], f["env"]), "flag")
            self.assertEqual(self.which(cmd + [f["positional"]], f["env"]), "positional")
        self.assertEqual(self.which(cmd + ["--config", f["flag"]], f["env"]), "flag")
        self.assertEqual(self.which(cmd, f["env"]), "env")
        if not os.path.exists("/etc/bpg/bpg.ini"):
            self.assertEqual(self.which(cmd, None), "default")

    def test_check_config(self):
        self.rule([BIN, "--check-config"])

    def test_show_config(self):
        self.rule([BIN, "--show-config"])

    def test_migrate(self):
        self.rule([BIN, "--migrate"])

    def test_queue_token(self):
        self.rule([BIN, "--queue-token", "secure"], positional=False)

    def test_worker(self):
        self.rule([BIN], positional=False)

    def test_monitor(self):
        self.rule([MONITOR])
        f = self.files
        # the FILE argument after the options, too
        self.assertEqual(self.which([MONITOR, "--grace", "0", f["positional"]], f["env"]), "positional")
        self.assertEqual(self.which([MONITOR, "--config", f["flag"], f["positional"]], f["env"]), "flag")

    def test_check_config_from_the_environment_ok(self):
        env = dict(os.environ, BPG_CONFIG=os.path.join(ROOT, "etc", "bpg.ini"))
        p = subprocess.run([BIN, "--check-config"], capture_output=True, text=True, env=env)
        self.assertEqual((p.returncode, p.stdout.strip()), (0, "OK"), p.stderr)


if __name__ == "__main__":
    unittest.main()
