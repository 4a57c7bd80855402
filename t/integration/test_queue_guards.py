"""Queue guards hold for every way to say the same thing (issue 32 items 2 and 11).

A rule on a field (image, hostPath volumes, service account) holds for the Spark property
that does the same, on /apiv2 (JSON and YAML), /skatev2 and /livy (Livy's conf); what only a
Spark property can say (secrets, pod templates, namespace, upload path, credentials) needs
allow_k8s_spark_conf or an admin. Queues of the stack (t/stack): poc allows nothing, open
allows images, hostPath, service accounts (not allow_k8s_spark_conf).
"""
import json
import unittest

from bpg import SIM_APPS, admin_client, db, sim, user_client

MINIMAL = {"sparkVersion": "3.5", "mainApplicationFile": "s3a://bpg/uploaded/foo/MinimalSparkApp.py"}
LIVY_H = {"Content-Type": "application/json", "X-Requested-By": "tests"}

# Spark properties held to a field's queue rule: refused on poc, passed on open.
FIELD_RULED = [
    ("spark.kubernetes.container.image", "evil/spark:1", "custom images"),
    ("spark.kubernetes.driver.container.image", "evil/spark:1", "custom images"),
    ("spark.kubernetes.executor.container.image", "evil/spark:1", "custom images"),
    ("spark.kubernetes.driver.volumes.hostPath.root.mount.path", "/host", "hostPath volumes"),
    ("spark.kubernetes.driver.volumes.hostPath.root.options.path", "/", "hostPath volumes"),
    ("spark.kubernetes.executor.volumes.hostPath.root.options.path", "/", "hostPath volumes"),
    ("spark.kubernetes.authenticate.driver.serviceAccountName", "admin-sa", "service account"),
    ("spark.kubernetes.authenticate.executor.serviceAccountName", "admin-sa", "service account"),
]

# What no field says: refused for users even on open, passed for an admin even on poc.
NO_FIELD = [
    ("spark.kubernetes.driver.secrets.db-creds", "/etc/creds", "secrets"),
    ("spark.kubernetes.executor.secretKeyRef.PGPASS", "db-creds:password", "secrets"),
    ("spark.kubernetes.driver.podTemplateFile", "/etc/passwd", "pod templates"),
    ("spark.kubernetes.executor.podTemplateFile", "s3a://bpg/t.yaml", "pod templates"),
    ("spark.kubernetes.namespace", "kube-system", "the namespace"),
    ("spark.kubernetes.file.upload.path", "s3a://elsewhere/", "the upload path"),
    ("spark.kubernetes.authenticate.submission.caCertFile", "/var/run/x.crt", "API credentials"),
    ("spark.kubernetes.driver.volumes.nfs.n.options.server", "10.0.0.1", "nfs"),
    ("spark.kubernetes.driver.annotation.iam.amazonaws.com/role", "admin", "reserved pod labels"),
]


def yaml_of(body):
    """The body as YAML (JSON is YAML; keys in double quotes keep their spaces)."""
    return json.dumps(body, indent=1)


class Fronts:
    """One request sent through the four ways; each returns (status, message, CR sparkConf)."""

    def __init__(self, c):
        self.c = c

    def apiv2(self, conf, queue, base=None, yaml=False, **over):
        body = dict(MINIMAL, queue=queue, sparkConf=conf, **over)
        ct, data = ("text/yaml", yaml_of(body)) if yaml else ("application/json", json.dumps(body))
        st, _, r = self.c.json("POST", "/spark?dryRun=true", body=data, headers={"Content-Type": ct}, base=base)
        if st == 200:
            return st, None, r["spec"]["sparkConf"]
        assert set(r) == {"code", "message"} and r["code"] == st, r
        return st, r["message"], None

    def yaml(self, conf, queue, **over):
        return self.apiv2(conf, queue, yaml=True, **over)

    def skate(self, conf, queue, **over):
        return self.apiv2(conf, queue, base="/skatev2", **over)

    def livy(self, conf, queue, **over):
        body = {"file": MINIMAL["mainApplicationFile"], "queue": queue, "conf": conf}
        st, _, data = self.c.request("POST", "/batches", body=json.dumps(body), headers=LIVY_H, base="/livy")
        r = json.loads(data)
        if st != 201:
            assert set(r) == {"msg"}, r
            return st, r["msg"], None
        sid = db("SELECT submission_id FROM livy_batch WHERE id=%d" % r["id"]).strip()
        sst, cr = sim(sid[:3], "GET", SIM_APPS + "/" + sid)
        assert sst == 200, (sst, cr)
        return 200, None, cr["spec"]["sparkConf"]

    def all(self):
        return (("apiv2", self.apiv2), ("yaml", self.yaml), ("skatev2", self.skate), ("livy", self.livy))


class QueueGuardTest(unittest.TestCase):
    def assert_refused(self, fronts, conf, queue, words, key):
        for name, send in fronts.all():
            st, msg, _ = send(conf, queue)
            self.assertEqual(st, 403, (name, conf, msg))
            # the Livy API names Livy's field (conf), the others the request's (sparkConf)
            field = "conf" if name == "livy" else "sparkConf"
            self.assertIn("%s.%s: queue %s does not allow" % (field, key, queue), msg, name)
            self.assertIn(words, msg, name)

    def assert_passed(self, fronts, conf, queue):
        for name, send in fronts.all():
            st, msg, got = send(conf, queue)
            self.assertEqual(st, 200, (name, conf, msg))
            for k, v in conf.items():     # dry runs mask secret-looking keys (mask_patterns)
                self.assertIn(got.get(k), (v, "***"), (name, k, got))
                if "secret" not in k.lower():
                    self.assertEqual(got.get(k), v, (name, k))

    def test_field_rules_hold_for_spark_properties(self):
        f = Fronts(user_client())
        for key, value, words in FIELD_RULED:
            with self.subTest(key=key):
                self.assert_refused(f, {key: value}, "poc", words, key)
                self.assert_passed(f, {key: value}, "open")

    def test_what_no_field_says_needs_the_flag_or_an_admin(self):
        user, admin = Fronts(user_client()), Fronts(admin_client())
        for key, value, words in NO_FIELD:
            with self.subTest(key=key):
                self.assert_refused(user, {key: value}, "open", words, key)
                self.assert_refused(user, {key: value}, "poc", words, key)
                self.assert_passed(admin, {key: value}, "poc")

    def test_tricks_in_keys(self):
        f = Fronts(user_client())
        # spaces around the key, a '=' inside it (spark-submit's --conf K=V splits there)
        for key in (" spark.kubernetes.container.image", "spark.kubernetes.container.image ",
                    "spark.kubernetes.container.image=evil/spark:1",
                    "  spark.kubernetes.driver.volumes.hostPath.r.options.path  "):
            for name, send in f.all():
                st, msg, _ = send({key: "evil/spark:1"}, "poc")
                self.assertEqual(st, 403, (name, key, msg))
        # case differs: no Spark property, and it reaches the CR exactly as sent (never lowercased)
        odd = {"Spark.kubernetes.container.image": "x/y", "spark.kubernetes.Container.Image": "x/y"}
        for name, send in f.all():
            st, msg, got = send(odd, "poc")
            self.assertEqual(st, 200, (name, msg))
            self.assertEqual({k: got.get(k) for k in odd}, odd, name)
            self.assertNotIn("spark.kubernetes.container.image", got, name)
        # a line break in a key could make a second property somewhere: 400
        for name, send in f.all():
            st, msg, _ = send({"a\nspark.kubernetes.namespace": "x", "\tspark.kubernetes.namespace": "x"}, "poc")
            self.assertEqual(st, 400, (name, msg))
            self.assertIn("control characters", msg, name)
        # the same key twice in a YAML body is refused, not the last one kept
        data = ("sparkVersion: '3.5'\nmainApplicationFile: s3a://b/a.py\nsparkConf:\n"
                "  spark.executor.memory: 1g\n  spark.executor.memory: 2g\n")
        st, _, e = user_client().json("POST", "/spark?dryRun=true", body=data, headers={"Content-Type": "text/yaml"})
        self.assertEqual(st, 400, e)
        # the field and the property together: the property is refused even if the field is absent
        st, msg, _ = f.apiv2({"spark.kubernetes.authenticate.driver.serviceAccountName": "x"}, "poc",
                             driver={"serviceAccount": ""})
        self.assertEqual(st, 403, msg)

    def test_pod_labels_and_annotations_fields_hold_the_same_rule(self):
        c = user_client()
        for pod, kind, key in (("driver", "annotations", "iam.amazonaws.com/role"),
                               ("executor", "labels", "queue"),
                               ("driver", "annotations", "cluster-autoscaler.kubernetes.io/safe-to-evict")):
            body = dict(MINIMAL, queue="open", **{pod: {kind: {key: "x"}}})
            for base in (None, "/skatev2"):
                st, _, e = c.json("POST", "/spark?dryRun=true", body=json.dumps(body),
                                  headers={"Content-Type": "application/json"}, base=base)
                self.assertEqual(st, 403, (base, body, e))
                self.assertIn("%s.%s.%s: queue open" % (pod, kind, key), e["message"])
        body = dict(MINIMAL, driver={"labels": {"app.kubernetes.io/name": "x", "team": "y"}})
        st, _, cr = c.json("POST", "/spark?dryRun=true", body=json.dumps(body),
                           headers={"Content-Type": "application/json"})
        self.assertEqual(st, 200, cr)

    def test_queue_defaults_and_harmless_properties_still_apply(self):
        # emptyDir and PVC volumes pass as the volumes field does; node selectors narrow only
        conf = {"spark.kubernetes.driver.volumes.emptyDir.tmp.mount.path": "/tmp/x",
                "spark.kubernetes.executor.volumes.persistentVolumeClaim.d.options.claimName": "OnDemand",
                "spark.kubernetes.node.selector.disk": "ssd",
                "spark.kubernetes.container.image.pullPolicy": "Always",
                "spark.executor.memory": "2g"}
        f = Fronts(user_client())
        self.assert_passed(f, conf, "poc")
        # the gateway's own conf layers are not the user's: they reach the CR on the strictest queue
        st, _, got = f.apiv2({}, "poc")
        self.assertEqual(st, 200)
        self.assertIn("spark.kubernetes.executor.podNamePrefix", got)

    def test_cloud_keys_are_masked(self):
        conf = {"spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net": "AZKEY",
                "spark.hadoop.fs.azure.sas.c.acct.blob.core.windows.net": "sv=2020&sig=SAS",
                "spark.hadoop.fs.gs.auth.service.account.private.key": "-----BEGIN PRIVATE KEY-----",
                "spark.hadoop.fs.gs.auth.service.account.private.key.id": "GCSKEYID",
                "spark.hadoop.fs.gs.project.id": "visible-project"}
        st, _, got = Fronts(user_client()).apiv2(conf, "poc")
        self.assertEqual(st, 200)
        for k in conf:
            self.assertEqual(got[k], "visible-project" if k.endswith("project.id") else "***", k)


if __name__ == "__main__":
    unittest.main()
