"""Generated pod logs and the pod log endpoint (follow, tail, since, limitBytes, timestamps)."""

from .common import ApiError, bad_request, not_found, rfc3339


class Log:
    """A pod container's log: fixed-width, deterministic lines, generated on demand."""
    FILLER = "org.apache.spark.scheduler.TaskSetManager: Finished task in stage with simulated output "

    def __init__(self, pod, container, main, start_wall, seconds, nbytes, failed=False, wall_seconds=None):
        self.who = pod if main else "%s/%s" % (pod, container)
        self.start_wall = int(start_wall)
        self.wall_seconds = seconds if wall_seconds is None else wall_seconds    # real seconds the log spans
        head = len("2026-11-24T10:00:00Z ERROR %s line 000000001 " % self.who)
        self.width = max(120, head + 24)          # bytes per line, newline included
        self.total = max(1, int(nbytes) // self.width)
        self.seconds = max(1.0, float(seconds))
        self.failed = failed

    def ts(self, n):
        return self.start_wall + int((n - 1) * self.wall_seconds / self.total)

    def line(self, n, stamp=False):
        """Line n (1-based), with the kubelet's timestamp prefix when stamp."""
        t = rfc3339(self.ts(n))
        level = "ERROR" if self.failed and n == self.total else "INFO "
        head = "%s %s %s line %09d " % (t, level, self.who, n)
        pad = self.width - 1 - len(head)
        s = head + (self.FILLER * (1 + pad // len(self.FILLER)))[:pad] + "\n"
        if stamp:
            s = t[:-1] + ".000000000Z " + s
        return s


class LogsMixin:
    """The Handler's pod log endpoint."""

    def pod_log(self, ns, pname, q):
        c = self.cluster

        def num(name, minimum):
            v = q.get(name)
            if v is None:
                return None
            try:
                n = int(v)
            except ValueError:
                raise bad_request("%s: Invalid value: \"%s\": must be an integer" % (name, v))
            if n < minimum:
                raise ApiError(422, "Invalid", 'PodLogOptions "%s" is invalid: %s: Invalid value: %d: must be '
                               "greater than %s" % (pname, name, n, "or equal to 0" if minimum == 0 else "0"),
                               {"name": pname, "kind": "PodLogOptions", "causes": [
                                   {"reason": "FieldValueInvalid", "message": "Invalid value: %d" % n,
                                    "field": name}]})
            return n
        tail, limit = num("tailLines", 0), num("limitBytes", 1)
        ts = q.get("timestamps") in ("true", "1")
        follow = q.get("follow") in ("true", "1")
        with c.lock:
            pod = c.pods.get((ns, pname))
            if pod is None:
                raise not_found("pods", pname, group="")
            containers = [x["name"] for x in pod["spec"]["containers"]]
            cont = q.get("container") or None
            if cont is None:
                if len(containers) > 1 and "kubectl.kubernetes.io/default-container" not in (
                        pod["metadata"].get("annotations") or {}):
                    raise bad_request("a container name must be specified for pod %s, choose one of: [%s]"
                                      % (pname, " ".join(containers)))
                cont = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container",
                                                                      containers[0])
            if cont not in containers:
                raise bad_request("container %s is not valid for pod %s" % (cont, pname))
            if q.get("previous") in ("true", "1"):
                raise bad_request('previous terminated container "%s" in pod "%s" not found' % (cont, pname))
            if not pod["spec"].get("nodeName"):
                # not scheduled: no kubelet to ask, and the real server answers an empty 204
                self.send_response(204)
                self.send_header("Cache-Control", "no-cache, private")
                self.end_headers()
                return
            lg = c.logs.get((ns, pname, cont))
            if pod["status"]["phase"] == "Pending" or lg is None:
                raise bad_request('container "%s" in pod "%s" is waiting to start: ContainerCreating'
                                  % (cont, pname))
            visible = c.visible_lines(ns, pname, lg)
            finished = pod["status"]["phase"] in ("Succeeded", "Failed")
        n = max(0, visible - tail) if tail is not None else 0
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        left = [limit]

        def emit(upto):
            """Sends lines n+1..upto in chunks; False once limitBytes is reached."""
            nonlocal n
            while n < upto:
                end = min(upto, n + 2000)
                buf = "".join(lg.line(i, ts) for i in range(n + 1, end + 1)).encode()
                n = end
                if left[0] is not None:
                    buf = buf[:left[0]]
                    left[0] -= len(buf)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(buf), buf))
                if left[0] is not None and left[0] <= 0:
                    return False
            return True
        going = emit(visible)
        while going and follow and not finished:
            with c.lock:
                c.cond.wait(0.05)
                pod = c.pods.get((ns, pname))
                if pod is None or c.logs.get((ns, pname, cont)) is not lg:
                    break
                visible = c.visible_lines(ns, pname, lg)
                finished = pod["status"]["phase"] in ("Succeeded", "Failed")
            going = emit(visible)
        self.wfile.write(b"0\r\n\r\n")
