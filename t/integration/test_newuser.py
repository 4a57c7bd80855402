"""What a new user following the README meets (issue 20): the stack's environment, the commands
on PATH, migrations, queue tokens, the monitor in `make run`'s stack, and smaller mismatches."""
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from bpg import ENV, ROOT, Client, admin_client, db, poll, user_client

STACK = os.path.join(ROOT, "t", "stack")


def sourced(script, env=None, timeout=60):
    """Runs script in bash after `. stack.env`, as the README says; returns the CompletedProcess."""
    e = dict(env if env is not None else os.environ)
    for k in list(e):
        if k.startswith(("BPG_", "AWS_", "MYSQL_", "KUBE")):
            del e[k]
    return subprocess.run(["bash", "-c", '. "$0" && ' + script, os.path.join(ENV["BPG_RUN_DIR"], "stack.env")],
                          capture_output=True, text=True, env=e, timeout=timeout, cwd=tempfile.gettempdir())


def alive(pid):
    """pid runs (a zombie does not count)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def submit_body(**kw):
    b = {"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/app.py",
         "driver": {"cores": 1, "memory": "1g"}, "executor": {"instances": 1, "cores": 1, "memory": "1g"}}
    b.update(kw)
    return json.dumps(b)


class StackEnvTest(unittest.TestCase):
    def test_everything_is_exported(self):
        p = sourced("env")
        self.assertEqual(p.returncode, 0, p.stderr)
        seen = dict(l.split("=", 1) for l in p.stdout.splitlines() if "=" in l)
        for k in ("BPG_URL", "BPG_CACERT", "BPG_USER", "BPG_PASSWORD", "BPG_ADMIN_PASSWORD", "BPG_OTHER_PASSWORD",
                  "BPG_PROXY_PASSWORD", "BPG_CONFIG", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                  "AWS_ENDPOINT_URL", "KUBECONFIG", "MYSQL_PASSWORD"):
            self.assertIn(k, seen, "%s not exported by stack.env" % k)
            self.assertEqual(seen[k], ENV[k], k)
        self.assertTrue(seen["PATH"].startswith(os.path.join(ENV["BPG_RUN_DIR"], "bin") + ":"), seen["PATH"])

    def test_every_user_in_it_logs_in(self):
        for u, pw in (("BPG_USER", "BPG_PASSWORD"), ("BPG_ADMIN_USER", "BPG_ADMIN_PASSWORD"),
                      ("BPG_OTHER_USER", "BPG_OTHER_PASSWORD"), ("BPG_PROXY_USER", "BPG_PROXY_PASSWORD")):
            st, _, _ = Client(ENV[u], ENV[pw]).request("GET", "/healthcheck/status")
            self.assertEqual(st, 200, u)

    def test_binaries_on_path_are_this_stacks(self):
        p = sourced("command -v bpg-fcgi; command -v bpg-monitor; bpg-fcgi --check-config; bpg-monitor --help")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[:3], [os.path.join(ENV["BPG_RUN_DIR"], "bin", "bpg-fcgi"),
                                     os.path.join(ENV["BPG_RUN_DIR"], "bin", "bpg-monitor"), "OK"])
        self.assertTrue(os.path.samefile(lines[0], os.environ.get("BPG_FCGI_BIN", os.path.join(ROOT, "fcgi", "bpg-fcgi"))))

    @unittest.skipUnless(shutil.which("aws") and shutil.which("kubectl"), "aws and kubectl are not installed")
    def test_aws_and_kubectl_see_the_stack(self):
        p = sourced("aws s3 ls")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(ENV["S3_BUCKET"], p.stdout)
        p = sourced("aws s3 ls s3://$S3_BUCKET --recursive")     # as the README shows it
        self.assertEqual(p.returncode, 0, p.stderr)
        p = sourced("kubectl get sparkapplications -o name && kubectl --context c02 get sparkapplications -o name")
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_mariadb_client_reaches_the_stack(self):
        p = sourced('mariadb -u $MYSQL_USER -p$MYSQL_PASSWORD $MYSQL_DATABASE -N -e "SELECT DATABASE()" && '
                    'mariadb --no-defaults -uroot --socket=$MYSQL_SOCKET -N -e "SELECT 2"')
        self.assertEqual((p.returncode, p.stdout.split()), (0, ["bpg", "2"]), p.stderr)

    def test_migrate_as_the_readme_says(self):
        p = sourced("bpg-fcgi --migrate")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("schema up to date", p.stdout)
        # nothing to apply: the gateway's own account (no CREATE right) is enough
        grants = subprocess.run(["mariadb", "--no-defaults", "-uroot", "--socket=" + ENV["MYSQL_SOCKET"], "-N", "-e",
                                 "SHOW GRANTS FOR 'bpg'@'127.0.0.1'"], capture_output=True, text=True).stdout
        self.assertNotIn("CREATE", grants)
        p = sourced("unset BPG_DB_ADMIN_USER; bpg-fcgi --migrate")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("migrations: 0 applied, schema up to date", p.stdout)

    def test_queue_token_for_the_secure_queue(self):
        p = sourced("bpg-fcgi --queue-token secure --user $BPG_USER --ttl 600")
        self.assertEqual(p.returncode, 0, p.stderr)
        tok = p.stdout.strip()
        self.assertEqual(tok.count("."), 2, tok)
        h = {"Content-Type": "application/json"}
        st, _, r = user_client().json("POST", "/spark", body=submit_body(queue="secure", queueToken=tok), headers=h)
        self.assertEqual(st, 200, r)
        # a token made for another queue is refused
        p = sourced("bpg-fcgi --queue-token poc")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("not secure", p.stderr)
        st, _, r = user_client().json("POST", "/spark", body=submit_body(queue="secure", queueToken=p.stdout.strip()),
                                      headers=h)
        self.assertEqual((st, r["code"]), (403, 403), r)
        for bad in ("--queue-token nosuch", "--queue-token secure --ttl 0"):
            p = sourced("bpg-fcgi " + bad)
            self.assertNotEqual(p.returncode, 0, bad)
            self.assertEqual(p.stdout, "", bad)


class MismatchTest(unittest.TestCase):
    def test_list_queue_filter_takes_what_lists_show(self):
        c = user_client()
        h = {"Content-Type": "application/json"}
        # a 503 creates nothing; a worker may still be reconnecting after another test restarted MariaDB
        res = poll(lambda: (lambda a: a if a[0] != 503 else None)(
            c.json("POST", "/spark", body=submit_body(queue="poc", applicationName="nu-queue"), headers=h)), 20, 0.5)
        self.assertIsNotNone(res)
        st, _, r = res
        self.assertEqual(st, 200, r)
        sid = r["submissionId"]
        st, _, lst = c.json("GET", "/spark/mySubmissions?applicationName=nu-queue&limit=1000")
        shown = [x["queue"] for x in lst["submissions"] if x["submissionId"] == sid]
        self.assertEqual(shown, ["root.poc"])
        for q in ("poc", "root.poc", "ROOT.POC", "Poc"):
            for path in ("/spark/mySubmissions", "/admin/submissions"):
                cl = admin_client() if path.startswith("/admin") else c
                st, _, lst = cl.json("GET", "%s?queue=%s&applicationName=nu-queue&limit=1000" % (path, q))
                self.assertEqual(st, 200, lst)
                self.assertIn(sid, [x["submissionId"] for x in lst["submissions"]], (path, q))
        for q in ("etl", "root.etl", "root.poc.x"):
            st, _, lst = c.json("GET", "/spark/mySubmissions?queue=%s&applicationName=nu-queue" % q)
            self.assertEqual(st, 200, lst)
            self.assertNotIn(sid, [x["submissionId"] for x in lst["submissions"]], q)

    def test_plain_http_to_the_tls_port_is_a_json_400(self):
        port = int(ENV["BPG_URL"].split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/apiv2/healthcheck/status")
        r = conn.getresponse()
        body = r.read()
        conn.close()
        self.assertEqual((r.status, r.getheader("Content-Type")), (400, "application/json"), body)
        self.assertEqual(json.loads(body), {"code": 400, "message": "plain HTTP sent to the HTTPS port: use https://"})


class MonitorInStackTest(unittest.TestCase):
    def test_test_stack_runs_no_background_monitor(self):
        # tests that run bpg-monitor themselves need its lock (GET_LOCK): make test's stack has no loop
        self.assertNotIn("BPG_MONITOR_PID", ENV)

    def test_the_stacks_monitor_loop(self):
        """`make run` (BPG_MONITOR_LOOP=60) runs start_monitor in `up`; monitor-start runs the same
        on this stack, briefly: it shows in status and health, and monitor-stop (as down) ends it."""
        env = dict(os.environ, BPG_PORT_BASE=str(int(ENV["MYSQL_PORT"]) - 306), BPG_MONITOR_LOOP="60")
        run = ENV["BPG_RUN_DIR"]
        pidfile = os.path.join(run, "monitor", "monitor.pid")
        t0 = int(time.time() * 1000) - 1000
        c = user_client()
        try:
            subprocess.run([STACK, "monitor-start", run], check=True, env=env, timeout=30)
            st = subprocess.run([STACK, "status", run], capture_output=True, text=True, env=env)
            self.assertRegex(st.stdout, r"monitor\s+running")
            with open(pidfile) as f:
                pid = int(f.read())
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                self.assertIn(b"--loop\x0060\x00", f.read())

            def monitor_ran():
                st, _, h = c.json("GET", "/healthcheck/status")
                m = (h or {}).get("monitor", {})
                return st == 200 and m.get("outcome") == "ok" and m.get("lastRunStarted", 0) >= t0
            self.assertTrue(poll(monitor_ran, 30, 0.2), c.json("GET", "/healthcheck/status"))
        finally:
            subprocess.run([STACK, "monitor-stop", run], check=True, env=env, timeout=30)
        self.assertFalse(os.path.exists(pidfile))
        self.assertFalse(alive(pid), "the monitor still runs")
        st = subprocess.run([STACK, "status", run], capture_output=True, text=True, env=env)
        self.assertNotIn("monitor", st.stdout)
        log = open(os.path.join(run, "monitor", "monitor.log")).read()
        self.assertIn("bpg-monitor: outcome=ok", log)

if __name__ == "__main__":
    unittest.main()
