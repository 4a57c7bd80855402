"""helm install of helm/bpg into the real cluster of t/k8s/cluster (BPG_K8S_DIR).

With the default values and with t/helm/values-two-clusters.yaml: a server-side dry run first
(every manifest validated by the API server, nothing stored), then a real install with --wait:
the migration hook Job must complete (kwok ends a Job's pods), the Deployment's pods become
Running (kwok), and the CronJob, Service, ConfigMap, Secrets, PDB, HPA and Ingress are stored.
"""
import json
import os
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CHART = os.path.join(ROOT, "helm", "bpg")
TWO = os.path.join(ROOT, "t", "helm", "values-two-clusters.yaml")
HARNESS = os.path.join(ROOT, "build", "k8s", "bin", "harness")


class HelmInstall(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        kdir = os.environ.get("BPG_K8S_DIR")
        if not kdir or not os.path.exists(os.path.join(kdir, "kubeconfig")):
            raise unittest.SkipTest("no real cluster (BPG_K8S_DIR): run through make test-k8s")
        cls.kc = os.path.join(kdir, "kubeconfig")
        cls.helm_bin = subprocess.run([os.path.join(ROOT, "t", "helm", "get-helm")], capture_output=True,
                                      text=True, check=True).stdout.strip()
        tmp = tempfile.mkdtemp(prefix="helm-k8s-")
        cls.env = dict(os.environ, HELM_CACHE_HOME=tmp + "/cache", HELM_CONFIG_HOME=tmp + "/config",
                       HELM_DATA_HOME=tmp + "/data", KUBECONFIG=cls.kc)

    def helm(self, *args):
        return subprocess.run([self.helm_bin, "--kubeconfig", self.kc] + list(args), capture_output=True,
                              text=True, env=self.env, timeout=300)

    def kubectl(self, *args):
        p = subprocess.run([HARNESS, "kubectl", "--kubeconfig", self.kc] + list(args), capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def install(self, release, ns, values, secrets=()):
        self.kubectl("create", "namespace", ns)
        for s, key in secrets:
            self.kubectl("-n", ns, "create", "secret", "generic", s, "--from-literal=%s=x" % key)
        args = ["install", release, CHART, "--namespace", ns]
        for v in values:
            args += ["-f", v]
        p = self.helm(*(args + ["--dry-run=server"]))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        p = self.helm(*(args + ["--wait", "--timeout", "180s"]))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        st = json.loads(self.helm("status", release, "--namespace", ns, "-o", "json").stdout)
        self.assertEqual(st["info"]["status"], "deployed")
        pods = json.loads(self.kubectl("-n", ns, "get", "pods", "-o", "json"))["items"]
        # the gateway's pods: not the migrate hook's, nor a monitor run the CronJob started meanwhile
        running = [p["metadata"]["name"] for p in pods if p["status"].get("phase") == "Running"
                   and p["metadata"].get("labels", {}).get("app.kubernetes.io/component") not in ("migrate", "monitor")]
        dep = json.loads(self.kubectl("-n", ns, "get", "deployments", "-o", "json"))["items"]
        self.assertEqual(len(dep), 1)
        self.assertEqual(len(running), dep[0]["spec"]["replicas"], [p["metadata"]["name"] for p in pods])
        self.assertEqual(dep[0]["status"].get("readyReplicas"), dep[0]["spec"]["replicas"])
        cj = json.loads(self.kubectl("-n", ns, "get", "cronjobs", "-o", "json"))["items"]
        self.assertEqual(len(cj), 1)
        # the hook Job succeeded and was deleted (hook-delete-policy hook-succeeded); a monitor
        # run the CronJob started meanwhile (its schedule is every minute) is not it
        jobs = json.loads(self.kubectl("-n", ns, "get", "jobs", "-o", "json"))["items"]
        self.assertEqual([j["metadata"]["name"] for j in jobs
                          if not any(o.get("kind") == "CronJob" for o in j["metadata"].get("ownerReferences", []))], [])
        p = self.helm("uninstall", release, "--namespace", ns, "--wait", "--timeout", "120s")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return pods

    def test_default_values(self):
        self.install("bpg", "bpg-default", [])

    def test_two_clusters(self):
        self.install("bpg", "bpg-two", [TWO],
                     secrets=[("bpg-db", "password"), ("bpg-db-admin", "password"), ("bpg-s3", "secretAccessKey"),
                              ("bpg-queue-tokens", "secrets"), ("bpg-htpasswd", "htpasswd"),
                              ("bpg-cluster-c01", "token")])


if __name__ == "__main__":
    unittest.main()
