"""The real kubectl against kubesim: get, describe, delete sparkapplications, get pods, logs, events."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import yaml

from simharness import APPS, NS, Sim, app, state_of, wait_for, wait_state

# kubectl on the PATH, else the one t/deps puts at build/tools/kubectl (t/get-tool)
TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "tools", "kubectl")
KUBECTL = shutil.which("kubectl") or (TOOL if os.access(TOOL, os.X_OK) else None)


class KubectlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if KUBECTL is None:
            raise RuntimeError("kubectl is neither on the PATH nor at build/tools/kubectl: run t/deps")
        cls.sim = Sim(speed=50)
        cls.home = tempfile.mkdtemp(prefix="kubesim-kubectl-")

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        shutil.rmtree(cls.home, ignore_errors=True)

    def kubectl(self, *args, ctx="c01", ok=True):
        env = {"HOME": self.home, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        r = subprocess.run([KUBECTL, "--kubeconfig", os.path.join(self.sim.dir, "kubeconfig"), "--context", ctx,
                            "--cache-dir", os.path.join(self.home, "cache"), "--request-timeout", "20s"] + list(args),
                           capture_output=True, text=True, env=env, timeout=60)
        if ok:
            self.assertEqual(r.returncode, 0, "kubectl %s: %s %s" % (" ".join(args), r.stdout, r.stderr))
        return r

    def test_get_describe_logs_delete(self):
        a = app(run=1, instances=2, log_bytes=5000)
        name = a["metadata"]["name"]
        self.sim.create(a)
        wait_state(self.sim, name, ["COMPLETED"])
        out = self.kubectl("get", "sparkapplications").stdout
        header, row = out.splitlines()[0].split(), [l for l in out.splitlines() if l.startswith(name)][0].split()
        self.assertEqual(header[:3], ["NAME", "STATUS", "ATTEMPTS"])
        self.assertEqual(row[:3], [name, "COMPLETED", "1"])
        out = self.kubectl("get", "sparkapp", name, "-o", "jsonpath={.status.applicationState.state}").stdout
        self.assertEqual(out, "COMPLETED")
        out = self.kubectl("get", "sparkapplications", "-A").stdout
        self.assertIn(NS, out)
        out = self.kubectl("describe", "sparkapplication", name).stdout
        self.assertIn("Name:         " + name, out)
        self.assertIn("COMPLETED", out)
        self.assertIn("SparkApplicationCompleted", out)           # events, found by involvedObject
        out = self.kubectl("get", "pods", "-l", "sparkoperator.k8s.io/app-name=" + name).stdout
        lines = out.splitlines()
        self.assertEqual(lines[0].split()[:3], ["NAME", "READY", "STATUS"])
        self.assertEqual(sorted(l.split()[0] for l in lines[1:]), [name + "-driver", name + "-exec-1",
                                                                  name + "-exec-2"])
        self.assertTrue(all(l.split()[2] == "Completed" for l in lines[1:]), out)
        out = self.kubectl("logs", name + "-driver", "--tail=2").stdout
        self.assertEqual(len(out.splitlines()), 2)
        self.assertIn(" %s-driver line " % name, out)
        out = self.kubectl("logs", name + "-driver", "--limit-bytes=50").stdout
        self.assertEqual(len(out), 50)
        out = self.kubectl("get", "events", "--field-selector", "involvedObject.name=" + name).stdout
        self.assertIn("SparkApplicationSubmitted", out)
        out = self.kubectl("delete", "sparkapplication", name).stdout
        self.assertIn('sparkapplication.sparkoperator.k8s.io "%s" deleted' % name, out)
        self.assertEqual(self.sim.req("GET", APPS + "/" + name)[0], 404)
        r = self.kubectl("get", "sparkapplication", name, ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('sparkapplications.sparkoperator.k8s.io "%s" not found' % name, r.stderr)
        r = self.kubectl("get", "pods", name + "-driver", ok=False)
        self.assertIn('pods "%s-driver" not found' % name, r.stderr)

    def test_running_app_and_other_cluster(self):
        a = app(outcome="hang")
        name = a["metadata"]["name"]
        self.sim.create(a, cid="c02")
        wait_state(self.sim, name, ["RUNNING"], cid="c02")
        wait_for(lambda: "Running" in self.kubectl("get", "pods", ctx="c02").stdout, what="pods running")
        out = self.kubectl("get", "sparkapplications", ctx="c02").stdout
        self.assertIn("RUNNING", out)
        self.assertNotIn(name, self.kubectl("get", "sparkapplications").stdout)     # not on c01
        out = self.kubectl("logs", name + "-exec-1", ctx="c02").stdout
        self.assertIn(" %s-exec-1 line 000000001 " % name, out)
        self.kubectl("delete", "pod", name + "-driver", ctx="c02")
        obj, _ = wait_state(self.sim, name, ["FAILED"], cid="c02")
        self.kubectl("delete", "sparkapplication", name, ctx="c02")

    def write(self, obj, fname):
        path = os.path.join(self.home, fname)
        with open(path, "w") as f:
            yaml.safe_dump(obj, f)
        return path

    def test_create_apply_replace_validate(self):
        # plain create/apply/replace validate against kubesim's OpenAPI (no --validate=false)
        a = app(outcome="manual")
        name = a["metadata"]["name"]
        out = self.kubectl("create", "-f", self.write(a, "a.yaml")).stdout
        self.assertIn("sparkapplication.sparkoperator.k8s.io/%s created" % name, out)
        bad = json.loads(json.dumps(a))
        bad["metadata"]["name"] = name + "-bad"
        bad["spec"]["bogus"] = 1
        r = self.kubectl("create", "-f", self.write(bad, "bad.yaml"), ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('Error from server (BadRequest): error when creating "%s": SparkApplication in version '
                      '"v1beta2" cannot be handled as a SparkApplication: strict decoding error: unknown field '
                      '"spec.bogus"' % os.path.join(self.home, "bad.yaml"), r.stderr)
        self.assertEqual(self.sim.req("GET", APPS + "/" + name + "-bad")[0], 404)
        r = self.kubectl("apply", "-f", self.write(bad, "bad.yaml"), ok=False)
        self.assertIn('strict decoding error: unknown field "spec.bogus"', r.stderr)
        # the status subresource
        out = self.kubectl("patch", "sparkapplication", name, "--subresource=status", "--type=merge", "-p",
                           '{"status":{"applicationState":{"state":"RUNNING"},"driverInfo":{"podName":"d"}}}').stdout
        self.assertIn("sparkapplication.sparkoperator.k8s.io/%s patched" % name, out)
        r = self.kubectl("patch", "sparkapplication", name, "--subresource=status", "--type=merge", "-p",
                         '{"status":{"driverInfo":null}}', ok=False)
        self.assertIn('The SparkApplication "%s" is invalid: status.driverInfo: Required value' % name, r.stderr)
        obj = yaml.safe_load(self.kubectl("get", "sparkapplication", name, "-o", "yaml").stdout)
        self.assertEqual((state_of(obj), obj["metadata"]["generation"]), ("RUNNING", 1))
        r = self.kubectl("patch", "sparkapplication", name, "--type=strategic", "-p", '{"spec":{"image":"y"}}',
                         ok=False)
        self.assertIn("application/strategic-merge-patch+json is not supported", r.stderr)
        # replace: from get -o yaml (with its resourceVersion), then a stale one, then one without
        obj["spec"]["arguments"] = ["42"]
        path = self.write(obj, "r.yaml")
        self.assertIn("replaced", self.kubectl("replace", "-f", path).stdout)
        r = self.kubectl("replace", "-f", path, ok=False)
        self.assertIn('Error from server (Conflict): error when replacing "%s": Operation cannot be fulfilled on '
                      'sparkapplications.sparkoperator.k8s.io "%s": the object has been modified; please apply '
                      "your changes to the latest version and try again" % (path, name), r.stderr)
        del obj["metadata"]["resourceVersion"]
        obj["spec"]["arguments"] = ["43"]
        self.assertIn("replaced", self.kubectl("replace", "-f", self.write(obj, "r2.yaml")).stdout)
        got = yaml.safe_load(self.kubectl("get", "sparkapplication", name, "-o", "yaml").stdout)
        self.assertEqual((got["spec"]["arguments"], got["metadata"]["generation"], state_of(got)),
                         (["43"], 3, "RUNNING"))
        # apply of an existing object: a JSON merge patch
        a["spec"]["arguments"] = ["44"]
        self.assertIn("configured", self.kubectl("apply", "-f", self.write(a, "a.yaml")).stdout)
        got = yaml.safe_load(self.kubectl("get", "sparkapplication", name, "-o", "yaml").stdout)
        self.assertEqual((got["spec"]["arguments"], got["metadata"]["generation"]), (["44"], 4))
        out = self.kubectl("explain", "sparkapplication.spec.restartPolicy").stdout
        self.assertIn("onFailureRetries", out)
        self.kubectl("delete", "sparkapplication", name)
        # apply creates; --validate=warn prunes the unknown field and warns as the real server does
        out = self.kubectl("apply", "-f", self.write(a, "a.yaml")).stdout
        self.assertIn("sparkapplication.sparkoperator.k8s.io/%s created" % name, out)
        r = self.kubectl("create", "--validate=warn", "-f", self.write(bad, "bad.yaml"))
        self.assertIn('Warning: unknown field "spec.bogus"', r.stderr)
        st, got = self.sim.req("GET", APPS + "/" + name + "-bad")
        self.assertEqual((st, "bogus" in got["spec"]), (200, False))
        for n in (name, name + "-bad"):
            self.kubectl("delete", "sparkapplication", n)

    def test_wrong_token(self):
        kc = os.path.join(self.home, "bad-kubeconfig")
        with open(os.path.join(self.sim.dir, "kubeconfig")) as f:
            text = f.read().replace(self.sim.token("c01"), "not-the-token")
        with open(kc, "w") as f:
            f.write(text)
        r = subprocess.run([KUBECTL, "--kubeconfig", kc, "--context", "c01", "--cache-dir",
                            os.path.join(self.home, "cache2"), "get", "sparkapplications"],
                           capture_output=True, text=True, env={"HOME": self.home, "PATH": os.environ["PATH"]},
                           timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("You must be logged in to the server", r.stderr)   # how kubectl words a 401


if __name__ == "__main__":
    unittest.main()
