"""The helm chart: lint --strict and template with the default values and a two-cluster release."""
import os
import subprocess
import tempfile
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CHART = os.path.join(ROOT, "helm", "bpg")
TWO = os.path.join(HERE, "values-two-clusters.yaml")
BPG = os.path.join(ROOT, "fcgi", "bpg-fcgi")


def helm(*args):
    exe = subprocess.run([os.path.join(HERE, "get-helm")], capture_output=True, text=True, check=True).stdout.strip()
    tmp = tempfile.mkdtemp(prefix="helm-")
    env = dict(os.environ, HELM_CACHE_HOME=tmp + "/cache", HELM_CONFIG_HOME=tmp + "/config", HELM_DATA_HOME=tmp + "/data")
    return subprocess.run([exe] + list(args), capture_output=True, text=True, env=env)


def render(*values):
    args = ["template", "rel", CHART, "--namespace", "bpg"]
    for v in values:
        args += ["-f", v]
    p = helm(*args)
    assert p.returncode == 0, p.stderr
    return [d for d in yaml.safe_load_all(p.stdout) if d]


def render_with(text):
    """Renders the chart with values given as YAML text."""
    d = tempfile.mkdtemp()
    vals = os.path.join(d, "values.yaml")
    with open(vals, "w") as f:
        f.write(text)
    return render(vals)


def kinds(docs, kind):
    return [d for d in docs if d["kind"] == kind]


class ChartTest(unittest.TestCase):
    def test_lint_strict(self):
        for values in ([], ["-f", TWO]):
            p = helm("lint", "--strict", CHART, *values)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def check_release(self, docs, n_clusters):
        (dep,) = kinds(docs, "Deployment")
        spec = dep["spec"]["template"]["spec"]
        names = [c["name"] for c in spec["containers"]]
        self.assertEqual(names, ["nginx", "fcgi"])
        vols = {v["name"]: v for v in spec["volumes"]}
        self.assertIn("emptyDir", vols["run"])                        # the shared socket
        self.assertEqual(vols["shm"]["emptyDir"]["medium"], "Memory")  # /metrics across workers
        for c in spec["containers"]:
            sc = c["securityContext"]
            self.assertTrue(sc["readOnlyRootFilesystem"])
            self.assertFalse(sc["allowPrivilegeEscalation"])
            self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
            self.assertIn("limits", c["resources"])
            self.assertIn("livenessProbe", c)
            self.assertIn({"name": "run", "mountPath": "/run/bpg"}, c["volumeMounts"])
        self.assertTrue(spec["securityContext"]["runAsNonRoot"])
        self.assertIn("readinessProbe", spec["containers"][0])
        # pod stop: nginx drains, then quits gracefully; the workers get SIGTERM after it
        nginx_stop = spec["containers"][0]["lifecycle"]["preStop"]["exec"]["command"][2]
        self.assertRegex(nginx_stop, r"^sleep 5; nginx .*-s quit;")
        fcgi_stop = spec["containers"][1]["lifecycle"]["preStop"]["exec"]["command"][2]
        self.assertIn("while [ -e /run/bpg/nginx.pid ] && [ $i -lt 70 ]", fcgi_stop)
        self.assertGreaterEqual(spec["terminationGracePeriodSeconds"], 5 + 60)
        for script in (nginx_stop, fcgi_stop):
            self.assertEqual(subprocess.run(["sh", "-n", "-c", script]).returncode, 0, script)
        fcgi = spec["containers"][1]["command"]
        self.assertEqual(fcgi[:2], ["spawn-fcgi", "-n"])
        # the socket: the pod user's and group's only, the same user for nginx and the workers
        self.assertEqual(fcgi[fcgi.index("-M") + 1], "0660")
        psc = spec["securityContext"]
        self.assertTrue(psc["runAsUser"] and psc["fsGroup"])
        for c in spec["containers"]:
            self.assertNotIn("runAsUser", c["securityContext"])
            self.assertNotIn("runAsGroup", c["securityContext"])
        self.assertIn("/usr/bin/multiwatch", fcgi)
        (cron,) = kinds(docs, "CronJob")
        self.assertEqual(cron["spec"]["concurrencyPolicy"], "Forbid")
        (job,) = kinds(docs, "Job")
        self.assertEqual(job["metadata"]["annotations"]["helm.sh/hook"], "pre-install,pre-upgrade")
        self.assertIn("--migrate", job["spec"]["template"]["spec"]["containers"][0]["command"])
        self.assertEqual(len(kinds(docs, "Service")), 1)
        (cm,) = kinds(docs, "ConfigMap")
        ini = cm["data"]["bpg.ini"]
        self.assertEqual(ini.count("[cluster."), n_clusters)
        return dep, cm

    def check_config_valid(self, cm):
        """The rendered bpg.ini and Spark conf files pass bpg-fcgi --check-config."""
        if not os.access(BPG, os.X_OK):
            self.skipTest("bpg-fcgi is not built")
        d = tempfile.mkdtemp()
        for k, v in cm["data"].items():
            with open(os.path.join(d, k), "w") as f:
                f.write(v)
        p = subprocess.run([BPG, "--check-config", os.path.join(d, "bpg.ini")], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        # nginx accepts the rendered configuration
        conf = cm["data"]["nginx.conf"].replace("/run/bpg", d).replace("/etc/bpg/htpasswd/htpasswd", d + "/htp")
        conf = conf.replace("/etc/bpg/tls/tls.crt", d + "/t.crt").replace("/etc/bpg/tls/tls.key", d + "/t.key")
        if "ssl_certificate" in conf:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=x", "-keyout",
                            d + "/t.key", "-out", d + "/t.crt"], capture_output=True, check=True)
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(conf)
        p = subprocess.run(["nginx", "-t", "-c", os.path.join(d, "nginx.conf"), "-e", os.path.join(d, "err.log")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_default_values(self):
        docs = render()
        dep, cm = self.check_release(docs, 1)
        self.assertEqual(dep["spec"]["replicas"], 2)
        self.assertEqual(kinds(docs, "Ingress"), [])
        self.assertEqual(kinds(docs, "HorizontalPodAutoscaler"), [])
        self.assertEqual(len(kinds(docs, "PodDisruptionBudget")), 1)
        self.assertEqual(len(kinds(docs, "Secret")), 2)   # the chart's own: db/htpasswd and cluster c01
        self.check_config_valid(cm)
        # uploads: the worker's limit and nginx's agree; the monitor archives logs
        self.assertIn("max_upload_mb = 1024", cm["data"]["bpg.ini"])
        s3loc = cm["data"]["nginx.conf"].split("/s3/ {", 1)[1].split("}", 1)[0]
        self.assertIn("client_max_body_size 1025m;", s3loc)
        # slow uploads (issue 32): half the 4 workers, 2 a user, 20 s of silence, counted in
        # @upload once the password is checked; the worker's floor in bpg.ini
        self.assertIn("try_files /nonexistent @upload;", s3loc)
        uploc = cm["data"]["nginx.conf"].split("location @upload {", 1)[1].split("}", 1)[0]
        for line in ("limit_conn uploads 2;", "limit_conn peruploader 2;", "limit_conn peraddr 200;",
                     "client_body_timeout 20s;", "client_max_body_size 1025m;", "fastcgi_request_buffering off;"):
            self.assertIn(line, uploc)
        # no error_page of its own (it would drop the server's): the 429 page names the caps
        self.assertNotIn("error_page", uploc)
        self.assertIn("too many uploads at once", cm["data"]["nginx.conf"])
        for line in ("max_concurrent_uploads = 2\n", "max_uploads_per_user = 2\n", "upload_body_timeout_s = 20\n",
                     "min_upload_kib_per_s = 16\n", "upload_grace_s = 10\n"):
            self.assertIn(line, cm["data"]["bpg.ini"])
        # per-user budgets are the workers'; nginx limits per address and trusts no proxy header
        self.assertIn("[ratelimit]\nfile = /dev/shm/bpg-ratelimit\nsubmit_rate = 20\nsubmit_burst = 40\n"
                      "list_rate = 20\nlist_burst = 40\npoll_rate = 200\npoll_burst = 400\n", cm["data"]["bpg.ini"])
        conf = cm["data"]["nginx.conf"]
        self.assertNotIn("$remote_user zone", conf)
        self.assertNotIn("set_real_ip_from", conf)
        self.assertIn("zone=authfail:10m rate=30r/m;", conf)
        self.assertIn("limit_req zone=authfail burst=10 nodelay;", conf)
        self.assertIn("add_header Retry-After 2 always;", conf)
        self.assertIn("limit_conn peraddr 200;", conf)
        # the web UI: the files make install put in the image, behind the same Basic auth
        uiloc = cm["data"]["nginx.conf"].split("location /ui/ {", 1)[1].split("}", 1)[0]
        self.assertIn("alias /usr/local/share/bpg/ui/;", uiloc)
        self.assertIn("auth_basic_user_file /etc/bpg/htpasswd/htpasswd;", uiloc)
        (cron,) = kinds(docs, "CronJob")
        cmd = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
        self.assertEqual(cmd[1:3], ["--archive-max", "100"])

    def test_trusted_proxies(self):
        d = tempfile.mkdtemp()
        vals = os.path.join(d, "trusted.yaml")
        with open(vals, "w") as f:
            f.write("auth:\n  trustUserHeader: true\n  trustedProxies: [10.0.0.0/8, 192.0.2.7/32]\n")
        docs = render(vals)
        (cm,) = kinds(docs, "ConfigMap")
        self.assertIn("trusted_proxies = 10.0.0.0/8, 192.0.2.7/32", cm["data"]["bpg.ini"])
        self.assertIn("10.0.0.0/8 1; 192.0.2.7/32 1;", cm["data"]["nginx.conf"])
        self.assertIn('fastcgi_param BPG_TRUST_MODE "10.0.0.0/8,192.0.2.7/32";', cm["data"]["nginx.conf"])
        self.check_config_valid(cm)
        # off by default: no address is trusted
        (cm,) = kinds(render(), "ConfigMap")
        geo = cm["data"]["nginx.conf"].split("geo $realip_remote_addr $bpg_trusted_proxy {", 1)[1].split("}", 1)[0]
        self.assertEqual(geo.split(), ["default", "0;"])
        self.assertIn('fastcgi_param BPG_TRUST_MODE "off";', cm["data"]["nginx.conf"])
        self.assertIn("trust_user_header = false", cm["data"]["bpg.ini"])
        # the header trusted from nowhere is refused at template time
        with open(vals, "w") as f:
            f.write("auth:\n  trustUserHeader: true\n")
        p = helm("template", "rel", CHART, "-f", vals)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("auth.trustUserHeader needs auth.trustedProxies", p.stderr)

    def test_trust_decided_on_the_peer_with_real_ip(self):
        # a load balancer in front (real IP) and a trusted proxy: the User-Account trust is
        # the TCP peer's, never the address X-Forwarded-For names; the worker is told the peer
        (cm,) = kinds(render_with("auth:\n  trustUserHeader: true\n  trustedProxies: [10.0.0.0/8]\n"
                                  "nginx:\n  realIp:\n    trustedProxies: [10.0.0.0/8]\n"), "ConfigMap")
        conf = cm["data"]["nginx.conf"]
        self.assertIn("set_real_ip_from 10.0.0.0/8;", conf)
        self.assertIn("geo $realip_remote_addr $bpg_trusted_proxy {", conf)
        self.assertNotIn("geo $bpg_trusted_proxy", conf)
        self.assertIn("fastcgi_param BPG_PEER_ADDR $realip_remote_addr;", conf)
        self.assertIn('fastcgi_param BPG_TRUST_MODE "10.0.0.0/8";', conf)
        self.check_config_valid(cm)

    def test_tls_mozilla_intermediate_and_hsts(self):
        (cm,) = kinds(render_with("nginx:\n  tls:\n    enabled: true\n    existingSecret: bpg-tls\n"), "ConfigMap")
        conf = cm["data"]["nginx.conf"]
        self.assertIn("listen 8080 ssl;", conf)
        self.assertIn("ssl_protocols TLSv1.2 TLSv1.3;", conf)
        self.assertIn("ssl_ecdh_curve X25519:prime256v1:secp384r1;", conf)
        self.assertIn("ssl_session_tickets off;", conf)
        ciphers = conf.split("ssl_ciphers ", 1)[1].split(";", 1)[0].split(":")
        self.assertEqual(len(ciphers), 9)
        for c in ciphers:
            self.assertRegex(c, r"^(ECDHE|DHE)-.*(GCM|CHACHA20)")
        # HSTS wherever X-Request-Id is added (nginx drops the server's in such a location)
        self.assertEqual(conf.count("add_header X-Request-Id"), conf.count("add_header Strict-Transport-Security"))
        self.check_config_valid(cm)

    def test_ingress_routes_every_front(self):
        for values, want in (("livy:\n  prefix: /batchapi\n", ["/apiv2", "/batchapi", "/skatev2", "/ui"]),
                             ("livy:\n  enabled: false\n", ["/apiv2", "/skatev2", "/ui"])):
            (ing,) = kinds(render_with("ingress:\n  enabled: true\n" + values), "Ingress")
            self.assertEqual(sorted(p["path"] for p in ing["spec"]["rules"][0]["http"]["paths"]), want)

    def test_two_clusters_existing_secrets(self):
        docs = render(TWO)
        dep, cm = self.check_release(docs, 2)
        self.assertNotIn("replicas", dep["spec"])        # the HPA decides
        # 8 workers a pod: uploads hold at most 4 of them, a user 2 (nginx and the workers agree)
        uploc = cm["data"]["nginx.conf"].split("location @upload {", 1)[1].split("}", 1)[0]
        self.assertIn("limit_conn uploads 4;", uploc)
        self.assertIn("limit_conn peruploader 2;", uploc)
        self.assertIn("max_concurrent_uploads = 4\nmax_uploads_per_user = 2\n", cm["data"]["bpg.ini"])
        (hpa,) = kinds(docs, "HorizontalPodAutoscaler")
        self.assertEqual((hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]), (3, 12))
        (ing,) = kinds(docs, "Ingress")
        self.assertEqual([p["path"] for p in ing["spec"]["rules"][0]["http"]["paths"]], ["/apiv2", "/skatev2", "/ui", "/livy"])
        # existing Secrets are used, only c02's (no existingSecret) is made
        secrets = [s["metadata"]["name"] for s in kinds(docs, "Secret")]
        self.assertEqual(secrets, ["rel-bpg-cluster-c02"])
        projected = [s["secret"]["name"] for v in dep["spec"]["template"]["spec"]["volumes"] if v["name"] == "secrets"
                     for s in v["projected"]["sources"]]
        self.assertEqual(projected, ["bpg-db", "bpg-s3", "bpg-queue-tokens", "bpg-cluster-c01", "rel-bpg-cluster-c02"])
        ini = cm["data"]["bpg.ini"]
        self.assertIn("batch_scheduler = yunikorn", ini)
        self.assertIn("spec_defaults = spec-c01.json", ini)
        self.assertIn("driver_node_label_values = spark_driver", ini)
        self.assertIn("poll_rate = 0.5\npoll_burst = 5\n", ini)
        self.assertIn("set_real_ip_from 10.0.0.0/8; set_real_ip_from 192.168.1.0/24; real_ip_header X-Forwarded-For; "
                      "real_ip_recursive on;", cm["data"]["nginx.conf"])
        (job,) = kinds(docs, "Job")
        env = job["spec"]["template"]["spec"]["containers"][0]["env"]
        self.assertEqual(env[0], {"name": "BPG_DB_ADMIN_USER", "value": "bpg_admin"})
        self.check_config_valid(cm)


if __name__ == "__main__":
    unittest.main()
