"""The real kubectl against kubesim: get, describe, delete sparkapplications, get pods, logs, events."""
import os
import shutil
import subprocess
import tempfile
import unittest

from simharness import APPS, NS, Sim, app, wait_for, wait_state

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
