"""bpg against the local stack: every command, every exit status, output formats, paging,
all piped (so no control character may appear)."""
import json
import os
import re
import signal
import subprocess
import unittest
import uuid

import yaml

from cli import (BPG, ENV, user_client, stack, SIM_APPS, SUBMIT_FLAGS, Home, app_state, db, make_app, no_control, poll,
                 run, sim, stack_env, base_env)

ID_RE = r"c0[12]-[0-9a-f]{32}"


class CommandsTest(unittest.TestCase):
    def setUp(self):
        self.home = Home()
        self.env = stack_env(self.home.path)

    def tearDown(self):
        self.home.cleanup()

    def bpg(self, *args, env=None, stdin=None):
        rc, out, err = run(args, env or self.env, stdin=stdin)
        no_control(self, out, err)
        return rc, out, err

    # --- the server ---
    def test_health_and_version(self):
        rc, out, err = self.bpg("health")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^status: OK\n")
        self.assertRegex(out, r"cluster c01\s+reachable\s+[0-9.]+ ms")
        rc, out, _ = self.bpg("health", "-o", "json")
        self.assertEqual(json.loads(out)["status"], "OK")
        rc, out, err = self.bpg("version")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^client: bpg \d+\.\d+\.\d+\nserver: \S+ \(%s\)\n$" % re.escape(ENV["BPG_URL"]))
        rc, out, _ = run(["version", "--client"], base_env(self.home.path))   # no server needed
        self.assertEqual((rc, out), (0, "client: bpg %s\n" % out.split()[-1]))

    def test_help_lists_every_option_of_each_command(self):
        import main_options
        for cmd, opts in main_options.by_command().items():
            for args in (["help", cmd], [cmd, "--help"]):
                rc, out, err = run(args, base_env(self.home.path))
                self.assertEqual((rc, err), (0, ""), args)
                for o in opts:
                    self.assertRegex(out, r"\n  (-., |    )--%s\b" % o, (args, o))
        for opt in ("--driver-cores", "--driver-memory", "--executor-cores", "--executor-memory"):
            self.assertIn(opt, run(["submit", "--help"], base_env(self.home.path))[1])
        rc, out, err = run(["help"], base_env(self.home.path))
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("bpg logs ID", out)
        self.assertEqual(run(["help", "nope"], base_env(self.home.path))[0], 2)

    # --- submit and wait: exits 0 and 1 ---
    def test_submit_wait_completed_exit_0(self):
        rc, out, err = self.bpg("submit", *SUBMIT_FLAGS, "--name", "cli-ok", "--conf", "spark.a=1", "--wait")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^%s\n$" % ID_RE)   # stdout: the id alone, for $(bpg submit ...)
        sid = out.strip()
        self.assertIn("%s: COMPLETED" % sid, err)
        self.assertIn("%s: RUNNING" % sid, err)      # one line per change without a terminal
        st, cr = sim(sid[:3], "GET", SIM_APPS + "/" + sid)
        self.assertEqual(cr["spec"]["sparkConf"]["spark.a"], "1")
        self.assertEqual(cr["metadata"]["labels"]["applicationName"], "cli-ok")

    def test_submit_wait_failed_exit_1(self):
        p = subprocess.Popen([BPG, "submit", *SUBMIT_FLAGS, "--wait"], env=self.env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        sid = p.stdout.readline().strip()
        self.assertRegex(sid, ID_RE)
        pod = "/api/v1/namespaces/spark-applications/pods/%s-driver" % sid
        self.assertTrue(poll(lambda: sim(sid[:3], "GET", pod)[0] == 200, 30, 0.1))
        self.assertEqual(sim(sid[:3], "DELETE", pod)[0], 200)   # the operator then fails the app
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 1, err)
        self.assertRegex(err, r"%s: FAILED: .*driver pod" % sid)
        no_control(self, out, err)

    def test_wait_submission_failure_exits_1(self):
        # the operator's SUBMISSION_FAILED is not final: under restartPolicy Never it moves to
        # FAILED (a gateway's own failure stays SUBMISSION_FAILED; bpg waits two polls for it)
        sid = make_app(ENV["BPG_USER"], outcome="submission-fail")
        rc, out, err = self.bpg("wait", sid)
        self.assertEqual(rc, 1, err)
        self.assertRegex(err, r"%s: (SUBMISSION_)?FAILED: .*spark-submit" % sid)
        rc, out, err = self.bpg("status", sid, "--wait", "-o", "json")
        self.assertEqual(rc, 1, err)
        self.assertIn(json.loads(out)["applicationState"], ("SUBMISSION_FAILED", "FAILED"))

    def test_submit_follow_streams_the_driver_log(self):
        rc, out, err = self.bpg("submit", *SUBMIT_FLAGS, "--follow")
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertRegex(lines[0], "^%s$" % ID_RE)
        self.assertTrue(any("%s-driver line" % lines[0] in l for l in lines[1:]), out[:500])
        self.assertIn("COMPLETED", err)

    def test_dry_run_prints_the_sparkapplication_and_creates_nothing(self):
        before = db("SELECT COUNT(*) FROM application_submission").strip()
        rc, out, err = self.bpg("submit", *SUBMIT_FLAGS, "--dry-run")
        self.assertEqual(rc, 0, err)
        doc = yaml.safe_load(out)
        self.assertEqual(doc["kind"], "SparkApplication")
        self.assertEqual(doc["spec"]["sparkVersion"], "3.5")
        rc, out, err = self.bpg("submit", *SUBMIT_FLAGS, "--dry-run", "-o", "json")
        self.assertEqual(json.loads(out)["kind"], "SparkApplication")
        self.assertEqual(db("SELECT COUNT(*) FROM application_submission").strip(), before)

    def test_submit_from_a_file_and_stdin_with_flags_over_it(self):
        req = {"sparkVersion": "3.4", "mainApplicationFile": "s3a://bpg/uploaded/x.py",
               "driver": {"cores": 1, "memory": "1g"}, "executor": {"instances": 1, "cores": 1, "memory": "1g"}}
        path = self.home.write("job.json", json.dumps(req))
        rc, out, err = self.bpg("submit", path, "--spark-version", "3.5", "--name", "fromfile")
        self.assertEqual(rc, 0, err)
        st, cr = sim(out.strip()[:3], "GET", SIM_APPS + "/" + out.strip())
        self.assertEqual((cr["spec"]["sparkVersion"], cr["metadata"]["labels"]["applicationName"]),
                         ("3.5", "fromfile"))
        rc, out, err = self.bpg("submit", "-", stdin=json.dumps(req))
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, "^%s\n$" % ID_RE)

    def test_yaml_goes_to_the_server_as_yaml(self):
        path = self.home.write("job.yaml", "sparkVersion: '3.5'\nmainApplicationFile: s3a://bpg/uploaded/x.py\n"
                               "driver: {cores: 1, memory: 1g}\nexecutor: {instances: 1, cores: 1, memory: 1g}\n")
        rc, out, err = self.bpg("submit", path)
        # a gateway that reads YAML answers an id; one that does not says so (400)
        if rc == 0:
            self.assertRegex(out, "^%s\n$" % ID_RE)
        else:
            self.assertEqual(rc, 2, err)
            self.assertIn("YAML", err)
        rc, out, err = self.bpg("submit", path, "--queue", "poc")
        self.assertEqual(rc, 2)
        self.assertIn("flags cannot change a YAML request", err)

    def test_idempotency_key_returns_the_first_id(self):
        key = "cli-" + uuid.uuid4().hex
        rc1, out1, err1 = self.bpg("submit", *SUBMIT_FLAGS, "--idempotency-key", key)
        rc2, out2, err2 = self.bpg("submit", *SUBMIT_FLAGS, "--idempotency-key", key)
        self.assertEqual((rc1, rc2), (0, 0), err1 + err2)
        self.assertEqual(out1, out2)

    # --- exit 2: usage and validation ---
    def test_usage_and_validation_exit_2(self):
        dead = stack_env(self.home.path, BPG_URL="https://127.0.0.1:1/apiv2")
        cases = [
            (["frobnicate"], "unknown command"),
            (["status"], "usage: bpg status ID"),
            (["list", "--tail", "3"], "--tail: not an option of bpg list"),
            (["--password", "x", "health"], "unrecognized option"),
            (["list", "--since", "yesterday"], "--since yesterday"),
            (["logs", "x", "--tail", "-1"], "--tail -1"),
            (["-o", "xml", "health"], "--output xml"),
            (["submit"], "usage: bpg submit"),
            (["submit", "/nonexistent.json"], "/nonexistent.json: No such file"),
            # validated here, before any request (the URL answers nothing)
            (["submit", *SUBMIT_FLAGS, "--driver-memory", "2x"], "invalid request: driver.memory"),
            (["submit", *SUBMIT_FLAGS, "--conf", "novalue"], "--conf novalue: must be key=value"),
            (["submit", *SUBMIT_FLAGS, "--idempotency-key", "a\r\nX-Evil: 1"], "--idempotency-key: 1 to 255"),
        ]
        for args, msg in cases:
            rc, out, err = self.bpg(*args, env=dead)
            self.assertEqual(rc, 2, (args, err))
            self.assertIn(msg, err, args)
            self.assertEqual(out, "", args)
        rc, out, err = self.bpg("status", "not-an-id")   # the server's 400
        self.assertEqual(rc, 2)
        self.assertEqual(err, "bpg: error: submissionId not-an-id is invalid (HTTP 400)\n")

    # --- exit 3: network and server ---
    def test_network_failure_exit_3_names_the_url(self):
        env = stack_env(self.home.path, BPG_URL="https://127.0.0.1:1/apiv2")
        rc, out, err = self.bpg("health", env=env)
        self.assertEqual(rc, 3)
        self.assertRegex(err, r"^bpg: error: GET https://127.0.0.1:1/apiv2/healthcheck/status: .*connect")
        env = stack_env(self.home.path, BPG_CACERT="/etc/ssl/certs/ca-certificates.crt")
        rc, out, err = self.bpg("health", env=env)   # TLS is verified: the stack's CA is not there
        self.assertEqual(rc, 3)
        self.assertIn("certificate", err.lower())

    def test_server_errors_exit_3_and_wait_rides_out_an_outage(self):
        sid = make_app(ENV["BPG_USER"], outcome="success", run_s=4)
        waiter = subprocess.Popen([BPG, "wait", sid], env=self.env, text=True, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        stack("db-stop")
        try:
            rc, out, err = self.bpg("list")
            self.assertEqual(rc, 3, err)
            self.assertRegex(err, r"^bpg: error: .* \(HTTP 503\)\n$")
            rc, out, err = self.bpg("health")
            self.assertEqual(rc, 3)                       # DEGRADED is not OK
            self.assertRegex(out, r"database\s+UNREACHABLE")
            while "retrying" not in waiter.stderr.readline():   # a poll failed: it goes on
                self.assertIsNone(waiter.poll())
        finally:
            stack("db-start")
        out, err = waiter.communicate(timeout=90)
        self.assertEqual(waiter.returncode, 0, err)
        self.assertIn("%s: COMPLETED" % sid, err)
        self.assertTrue(poll(lambda: self.bpg("health")[0] == 0, 20, 0.2))

    # --- exit 4 and 5 ---
    def test_not_found_exit_4(self):
        for cmd in ("status", "spec", "driver", "describe", "logs"):
            rc, out, err = self.bpg(cmd, "c01-" + "0" * 32)
            self.assertEqual(rc, 4, (cmd, err))
            self.assertRegex(err, r"^bpg: error: .*not found.* \(HTTP 404\)\n$")

    def test_forbidden_exit_5(self):
        rc, out, err = self.bpg("health", env=stack_env(self.home.path, BPG_PASSWORD="wrong"))
        self.assertEqual(rc, 5, err)
        self.assertIn("HTTP 401", err)
        rc, out, err = self.bpg("health", env=stack_env(self.home.path, BPG_PASSWORD=None))
        self.assertEqual(rc, 5)
        self.assertIn("no password found", err)
        sid = make_app(ENV["BPG_ADMIN_USER"], outcome="hang")   # someone else's application
        rc, out, err = self.bpg("status", sid)
        self.assertEqual(rc, 5, err)
        self.assertIn("HTTP 403", err)
        self.assertEqual(self.bpg("delete", sid, env=stack_env(self.home.path, BPG_USER=ENV["BPG_ADMIN_USER"],
                                  BPG_PASSWORD=ENV["BPG_ADMIN_PASSWORD"]))[0], 0)

    # --- examining one application ---
    def test_status_spec_driver_describe_delete(self):
        sid = make_app(ENV["BPG_USER"], outcome="hang")
        self.assertTrue(poll(lambda: app_state(sid) == "RUNNING", 30, 0.1))
        rc, out, err = self.bpg("status", sid)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^ID:\s+%s\nSTATE:\s+RUNNING\nAPP ID:\s+spark-[0-9a-f]{32}\nCREATED:\s+\d{4}-.* UTC \(.*\)\n" % sid)
        rc, out, _ = self.bpg("status", sid, "-o", "json")
        self.assertEqual(json.loads(out)["applicationState"], "RUNNING")
        rc, out, _ = self.bpg("status", sid, "-o", "yaml")
        self.assertEqual(yaml.safe_load(out)["applicationState"], "RUNNING")
        rc, out, err = self.bpg("spec", sid)
        self.assertEqual((rc, yaml.safe_load(out)["mainClass"]), (0, "x.Main"))
        rc, out, _ = self.bpg("driver", sid)
        self.assertRegex(out, r"POD:\s+%s-driver\n" % sid)
        rc, out, _ = self.bpg("describe", sid)
        self.assertEqual(rc, 0)
        self.assertIn("SparkApplicationAdded", out)
        rc, out, err = self.bpg("delete", sid)
        self.assertEqual((rc, out), (0, "deleted %s\n" % sid), err)
        self.assertTrue(poll(lambda: app_state(sid) is None, 10, 0.1))

    def test_skatev2_base_path(self):
        sid = make_app(ENV["BPG_USER"], outcome="hang")
        rc, out, err = self.bpg("status", sid, "-o", "json", env=stack_env(self.home.path, BPG_URL=ENV["BPG_URL_SKATE"]))
        self.assertEqual(rc, 0, err)
        self.assertIn(json.loads(out)["applicationState"], ("", "UNKNOWN", "SUBMITTED", "RUNNING"))

    # --- lists ---
    def test_list_table_json_yaml_and_every_page(self):
        name = "cli-list-" + uuid.uuid4().hex[:8]
        sids = [make_app(ENV["BPG_USER"], outcome="hang", name=name) for _ in range(5)]
        rc, out, err = self.bpg("list", "--name", name, "--limit", "2")
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertRegex(lines[0], r"^SUBMISSION ID\s+NAME\s+STATE\s+QUEUE\s+CREATED\s+DURATION$")
        self.assertEqual(len(lines), 3)
        col = lines[0].index("NAME")
        self.assertTrue(all(l[col:].startswith(name) for l in lines[1:]), out)   # aligned
        self.assertRegex(lines[1], r"(just now|\d+s ago)")
        self.assertIn("--all", err)
        rc, out, err = self.bpg("list", "--name", name, "--limit", "2", "--all", "-o", "json")
        self.assertEqual(rc, 0, err)
        got = [s["submissionId"] for s in json.loads(out)]
        self.assertEqual(sorted(got), sorted(sids))     # three pages, nothing twice
        rc, out, err = self.bpg("list", "--name", name, "--all", "-o", "yaml")
        self.assertEqual(len(yaml.safe_load(out)), 5)
        rc, out, err = self.bpg("list", "--name", name, "--since", "2099-01-01", "-o", "json")
        self.assertEqual((rc, json.loads(out)), (0, []))
        rc, out, err = self.bpg("list", "--name", name, "--since", "2099-01-01")
        self.assertEqual((rc, out, err), (0, "", "bpg: no submissions match\n"))
        rc, out, err = self.bpg("list", "--name", name, "--since", "1h", "--state", "UNKNOWN", "-o", "json")
        self.assertEqual(rc, 0, err)
        self.assertTrue(all(s["applicationState"] == "UNKNOWN" for s in json.loads(out)))

    def test_list_all_users_is_for_admins(self):
        sid = make_app(ENV["BPG_OTHER_USER"], name="cli-everyone")
        rc, out, err = self.bpg("list", "--all-users", "--name", "cli-everyone")
        self.assertEqual(rc, 5, err)                               # 403: demo is no admin
        admin = stack_env(self.home.path, BPG_USER=ENV["BPG_ADMIN_USER"], BPG_PASSWORD=ENV["BPG_ADMIN_PASSWORD"])
        rc, out, err = self.bpg("list", "--all-users", "--name", "cli-everyone", "--all", env=admin)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^SUBMISSION ID\s+USER\s+NAME\s+STATE")
        self.assertRegex(out, r"\n%s\s+%s\s+cli-everyone\s" % (sid, ENV["BPG_OTHER_USER"]))
        rc, out, err = self.bpg("list", "--name", "cli-everyone", "-o", "json", env=admin)
        self.assertNotIn(sid, out)                                 # without it: the admin's own

    # --- logs ---
    def test_logs_follow_tail_exec_container(self):
        sid = make_app(ENV["BPG_USER"], outcome="success", run_s=3)
        self.assertTrue(poll(lambda: app_state(sid) == "RUNNING", 30, 0.1))
        rc, out, err = self.bpg("logs", sid, "-f")   # returns when the driver ends
        self.assertEqual(rc, 0, err)
        self.assertIn(app_state(sid), ("SUCCEEDING", "COMPLETED"))
        self.assertIn("%s-driver line" % sid, out)
        self.assertTrue(out.endswith("\n"))
        c = user_client()
        for args, query in ((["--tail", "3"], "tailLines=3"), (["--exec", "1", "--tail", "2"], "execId=1&tailLines=2")):
            rc, out, err = self.bpg("logs", sid, *args)
            self.assertEqual(rc, 0, err)
            st, _, want = c.request("GET", "/log?subId=%s&%s" % (sid, query))
            self.assertEqual((st, out), (200, want.decode()))   # the gateway's bytes, unchanged
            self.assertIn("-driver line" if "--exec" not in args else "-exec-1 line", out)
            self.assertLessEqual(len([l for l in out.splitlines() if l]), int(args[-1]))
        rc, out, err = self.bpg("logs", sid, "--container", "no_such")
        self.assertEqual(rc, 2, err)
        self.assertIn("container", err)

    def test_logs_before_the_pod_and_of_a_missing_executor(self):
        sid, create = make_app(ENV["BPG_USER"], outcome="success", run_s=1, later=True)
        rc, out, err = self.bpg("logs", sid)              # no pod yet: not the gateway's text
        self.assertEqual((rc, out), (4, ""), err)
        self.assertIn("no driver log found", err)
        p = subprocess.Popen([BPG, "logs", sid, "-f"], env=self.env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertFalse(poll(lambda: p.poll() is not None, 2, 0.1))   # -f waits for the pod
        create()
        out, err = p.communicate(timeout=60)
        self.assertEqual((p.returncode, err), (0, ""))     # piped: nothing but the log
        self.assertIn("%s-driver line" % sid, out)
        self.assertNotIn("Cannot find", out)
        for args in (["--exec", "99"], ["--exec", "99", "-f"]):
            rc, out, err = self.bpg("logs", sid, *args)
            self.assertEqual((rc, out), (4, ""), err)
            self.assertRegex(err, r"^bpg: error: %s: no (such executor|executor 99 log)" % sid)

    # --- upload ---
    def test_upload_prints_the_url_conflicts_and_overwrites(self):
        folder = "%s/cli-%s" % (ENV["BPG_USER"], uuid.uuid4().hex[:8])   # the user's own folder
        path = self.home.write("data.bin", "x" * 100000)
        rc, out, err = self.bpg("upload", path, "--folder", folder)
        self.assertEqual((rc, out, err), (0, "s3a://%s/uploaded/%s/data.bin\n" % (ENV["S3_BUCKET"], folder), ""))
        rc, out, err = self.bpg("upload", path, "--folder", folder)
        self.assertEqual(rc, 2)
        self.assertIn("already exists", err)
        self.assertIn("--overwrite", err)                   # the CLI's flag, not the API's parameter
        self.assertNotIn("overwrite=true", err)
        rc, out, err = self.bpg("upload", path, "--folder", folder, "--overwrite", "--name", "renamed.bin")
        self.assertEqual((rc, out), (0, "s3a://%s/uploaded/%s/renamed.bin\n" % (ENV["S3_BUCKET"], folder)))
        rc, out, err = self.bpg("upload", path, "--folder", "../up")
        self.assertEqual(rc, 2, err)

    def test_upload_streams_in_constant_memory(self):
        path = os.path.join(self.home.path, "big.bin")
        with open(path, "wb") as f:
            for _ in range(48):
                f.write(os.urandom(1 << 20))
        probe = ("import resource,subprocess,sys\n"
                 "r=subprocess.run(sys.argv[1:],capture_output=True,text=True)\n"
                 "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.stdout.strip())\n")
        out = subprocess.run(["python3", "-c", probe, BPG, "upload", path, "--folder",
                              ENV["BPG_USER"] + "/cli-big", "--overwrite"], env=self.env,
                             capture_output=True, text=True, timeout=120).stdout
        rc, rss_kib, url = out.split()
        self.assertEqual(rc, "0", out)
        self.assertTrue(url.endswith("/cli-big/big.bin"))
        self.assertLess(int(rss_kib), 24 * 1024, "48 MiB uploaded with %s KiB resident" % rss_kib)

    # --- Ctrl-C ---
    def test_interrupt_during_wait_leaves_the_app_running(self):
        sid = make_app(ENV["BPG_USER"], outcome="hang")
        p = subprocess.Popen([BPG, "wait", sid], env=self.env, text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        while "RUNNING" not in p.stderr.readline():   # one line per change without a terminal
            self.assertIsNone(p.poll())
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 130, err)
        self.assertIn("interrupted: %s keeps running" % sid, err)
        self.assertEqual(app_state(sid), "RUNNING")

    def test_completion_scripts(self):
        rc, out, err = self.bpg("completion", "bash")
        self.assertEqual(rc, 0)
        r = subprocess.run(["bash", "-c", out + "\ncomplete -p bpg"], capture_output=True, text=True)
        self.assertEqual(r.stdout.strip(), "complete -F _bpg bpg")
        r = subprocess.run(["bash", "-c", out + "\nCOMP_WORDS=(bpg li); COMP_CWORD=1; _bpg; echo ${COMPREPLY[@]}"],
                           capture_output=True, text=True)
        self.assertEqual(r.stdout.strip(), "list")
        rc, out, err = self.bpg("completion", "zsh")
        self.assertEqual(rc, 0)
        self.assertIn("bashcompinit", out)


if __name__ == "__main__":
    unittest.main()
