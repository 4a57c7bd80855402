"""cli.py: helpers for the bpg client's tests: running cli/bpg with a private HOME and the
stack's settings, and making applications whose outcome the simulator decides."""
import os
import subprocess
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from bpg import ENV, ROOT, SIM_APPS, db, poll, sim, stack, user_client  # noqa: E402,F401

BPG = os.environ.get("BPG_CLI_BIN") or os.path.join(ROOT, "cli", "bpg")   # BPG_CLI_BIN: e.g. an ASan build
NS = "spark-applications"
# What the connection needs; every test starts from none of it and adds what it tests.
CONN_VARS = ("BPG_URL", "BPG_USER", "BPG_PASSWORD", "BPG_CACERT", "BPG_PROFILE", "NETRC",
             "XDG_CONFIG_HOME")


def base_env(home, **extra):
    """A clean environment: a private HOME, none of the BPG_* settings unless given."""
    env = {k: v for k, v in os.environ.items() if k not in CONN_VARS}
    env["HOME"] = home
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def stack_env(home, **over):
    """The environment of a user of the stack: URL, user, password and CA from BPG_*."""
    e = dict(BPG_URL=ENV["BPG_URL"], BPG_USER=ENV["BPG_USER"], BPG_PASSWORD=ENV["BPG_PASSWORD"],
             BPG_CACERT=ENV["BPG_CACERT"])
    e.update(over)
    return base_env(home, **e)


def run(args, env, stdin=None, timeout=90):
    """Runs bpg ARGS; returns (exit status, stdout text, stderr text)."""
    p = subprocess.run([BPG] + list(args), env=env, input=stdin, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


class Home:
    """A temporary HOME directory (with ~/.config/bpg/ ready)."""

    def __init__(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="bpg-cli-", ignore_cleanup_errors=True)
        self.path = self.tmp.name
        os.makedirs(os.path.join(self.path, ".config", "bpg"))

    def write(self, rel, text, mode=0o600):
        p = os.path.join(self.path, rel)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def cleanup(self):
        self.tmp.cleanup()


def make_app(user, outcome="success", run_s=2, name="cli", later=False):
    """A SparkApplication on c01 with its database row, as a submission leaves them, whose
    outcome the simulator takes from its annotations. later: only the row now; returns
    (sid, create), create() makes the SparkApplication (the operator has not seen it yet)."""
    sid = "c01-" + uuid.uuid4().hex
    body = {"apiVersion": "sparkoperator.k8s.io/v1beta2", "kind": "SparkApplication",
            "metadata": {"name": sid, "labels": {"app.kubernetes.io/managed-by": "bpg", "proxyUser": user},
                         "annotations": {"kubesim.bpg.dev/outcome": outcome,
                                         "kubesim.bpg.dev/run-seconds": str(run_s),
                                         "kubesim.bpg.dev/log-bytes": "5000"}},
            "spec": {"type": "Scala", "mode": "cluster", "image": "apache/spark:3.5.1", "sparkVersion": "3.5",
                     "mainClass": "x.Main", "mainApplicationFile": "local:///x.jar",
                     "driver": {"cores": 1, "memory": "1g"},
                     "executor": {"cores": 1, "instances": 1, "memory": "1g"},
                     "restartPolicy": {"type": "Never"}, "timeToLiveSeconds": 3600}}
    db("INSERT INTO application_submission (submission_id, cluster_id, namespace, `user`, app_name, "
       "spark_version, queue) VALUES ('%s','c01','%s','%s','%s','3.5','poc')" % (sid, NS, user, name))

    def create():
        st, obj = sim("c01", "POST", SIM_APPS, body)
        assert st == 201, obj
    if later:
        return sid, create
    create()
    return sid


def app_state(sid):
    """The state the simulator holds for sid ('' before the operator wrote one)."""
    st, cr = sim(sid[:3], "GET", SIM_APPS + "/" + sid)
    if st != 200:
        return None
    return ((cr.get("status") or {}).get("applicationState") or {}).get("state", "")


def no_control(testcase, *texts):
    """Asserts no escape sequence and no carriage return in piped output."""
    for t in texts:
        testcase.assertNotIn("\x1b", t)
        testcase.assertNotIn("\r", t)


SUBMIT_FLAGS = ["--spark-version", "3.5", "--main-file", "s3a://bpg/uploaded/cli/app.py",
                "--driver-cores", "1", "--driver-memory", "1g", "--executor-cores", "1",
                "--executor-memory", "1g", "--executors", "1"]
