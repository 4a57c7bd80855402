"""The TLS listeners, certificates, kubeconfig and main(): what kubesim.py runs."""
import argparse
import base64
import gc
import os
import signal
import ssl
import subprocess
import sys
import threading
import traceback
from http.server import ThreadingHTTPServer

from .schema import Schema
from .operator import Cluster
from .api import Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def shutdown_request(self, request):
        try:
            super().shutdown_request(request)
        except (OSError, ValueError):
            pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ssl.SSLError, ValueError)):
            return          # a client that went away, a failed handshake, a dropped connection
        super().handle_error(request, client_address)


def make_certs(d, cid):
    os.makedirs(d, exist_ok=True)
    ca, key = os.path.join(d, "ca.crt"), os.path.join(d, "ca.key")
    crt, tkey = os.path.join(d, "tls.crt"), os.path.join(d, "tls.key")
    q = dict(stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    if not (os.path.exists(crt) and os.path.exists(tkey) and os.path.exists(ca)):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                        "-subj", "/CN=kubesim-%s-ca" % cid, "-keyout", key, "-out", ca,
                        "-addext", "basicConstraints=critical,CA:TRUE",
                        "-addext", "keyUsage=critical,keyCertSign,cRLSign"], **q)
        csr = os.path.join(d, "tls.csr")
        subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-apiserver",
                        "-keyout", tkey, "-out", csr], **q)
        ext = os.path.join(d, "ext.cnf")
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n")
        subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", key, "-CAcreateserial",
                        "-days", "825", "-sha256", "-extfile", ext, "-out", crt], **q)
        for p in (csr, ext, os.path.join(d, "ca.srl")):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        os.chmod(tkey, 0o600)
    tok = os.path.join(d, "token")
    if not os.path.exists(tok) or not open(tok).read().strip():
        with open(tok, "w") as f:
            f.write(base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("="))
        os.chmod(tok, 0o600)
    with open(tok) as f:
        return f.read().strip()


def write_kubeconfig(path, clusters, host):
    server_host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    lines = ["apiVersion: v1", "kind: Config", "preferences: {}", "current-context: %s" % clusters[0].id,
             "clusters:"]
    for c in clusters:
        with open(os.path.join(os.path.dirname(path), c.id, "ca.crt"), "rb") as f:
            ca = base64.b64encode(f.read()).decode()
        lines += ["- name: %s" % c.id, "  cluster:", "    server: https://%s:%d" % (server_host, c.port),
                  "    certificate-authority-data: %s" % ca]
    lines.append("users:")
    for c in clusters:
        lines += ["- name: %s" % c.id, "  user:", "    token: %s" % c.token]
    lines.append("contexts:")
    for c in clusters:
        lines += ["- name: %s" % c.id, "  context:", "    cluster: %s" % c.id, "    user: %s" % c.id,
                  "    namespace: %s" % c.namespaces[0]]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def parse_cluster(spec):
    parts = spec.split(":", 2)
    if len(parts) != 3 or not parts[0] or not parts[1].isdigit():
        raise argparse.ArgumentTypeError("--cluster ID:PORT:NS1[,NS2...], not %r" % spec)
    nss = [n for n in parts[2].split(",") if n]
    if not nss:
        raise argparse.ArgumentTypeError("--cluster %r: at least one namespace" % spec)
    return parts[0], int(parts[1]), nss


def main(doc):
    """kubesim.py's command line (doc: its usage text)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))     # t/kubesim, where kubesim.py is
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--dir", required=True, help="where the certificates, tokens, kubeconfig and ready go")
    ap.add_argument("--cluster", action="append", required=True, type=parse_cluster, help="ID:PORT:NS1[,NS2...]")
    ap.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)")
    ap.add_argument("--crd-dir", default=os.path.join(here, "..", "..", "..", "shared", "crd"),
                    help="folder with sparkapplication-v1beta2.schema.json (default: the project's ../shared/crd)")
    ap.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    a = ap.parse_args()
    if a.speed < 0:
        ap.error("--speed must be >= 0")
    ids = [cl[0] for cl in a.cluster]
    if len(set(ids)) != len(ids) or len({cl[1] for cl in a.cluster}) != len(ids):
        ap.error("cluster ids and ports must be distinct")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    os.makedirs(a.dir, exist_ok=True)
    try:
        os.unlink(os.path.join(a.dir, "ready"))
    except FileNotFoundError:
        pass
    schema = Schema(os.path.abspath(a.crd_dir))
    clusters, servers = [], []
    for cid, port, nss in a.cluster:
        c = Cluster(cid, port, nss, a.speed, schema)
        c.token = make_certs(os.path.join(a.dir, cid), cid)
        srv = Server((a.host, c.port), Handler)
        srv.cluster = c
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(a.dir, cid, "tls.crt"), os.path.join(a.dir, cid, "tls.key"))
        ctx.set_alpn_protocols(["http/1.1"])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
        clusters.append(c)
        servers.append(srv)
    write_kubeconfig(os.path.join(a.dir, "kubeconfig"), clusters, a.host)

    def operator():
        while not stop.is_set():
            for c in clusters:
                try:
                    c.step()
                except Exception:
                    traceback.print_exc()
            stop.wait(0.02)
    # Python's full collections walk every object the simulator holds: 0.37 s at 10,000
    # applications, a stall of every request (creates' worst 540 ms -> 60 ms without them). What
    # it holds are trees freed by reference counting; the young generations are still collected,
    # and what lived through them is never walked for cycles again.
    gc.freeze()
    gc.set_threshold(700, 10, 10 ** 9)
    threading.Thread(target=operator, daemon=True).start()
    for srv in servers:
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    with open(os.path.join(a.dir, "ready.tmp"), "w") as f:
        f.write("\n".join("%s https://%s:%d" % (c.id, a.host, c.port) for c in clusters) + "\n")
    os.replace(os.path.join(a.dir, "ready.tmp"), os.path.join(a.dir, "ready"))
    for c in clusters:
        print("kubesim: cluster %s on https://%s:%d namespaces %s speed %g" % (
            c.id, a.host, c.port, ",".join(c.namespaces), c.speed), flush=True)
    while not stop.is_set():
        stop.wait(0.5)
    try:
        os.unlink(os.path.join(a.dir, "ready"))      # a stale ready file must not fool the next caller
    except FileNotFoundError:
        pass
    for srv in servers:
        srv.shutdown()
        srv.server_close()
    sys.exit(0)
