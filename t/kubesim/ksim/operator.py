"""The simulated Spark operator (a cluster's applications through their states) and client pods."""
import copy
import heapq
import os
import time
import traceback
import uuid

from .common import (ANN, ApiError, DRIVER_C, EXEC_C, GV, KIND, LABEL_VALUE, RETRY_INTERVAL, STATES, TERMINAL, T_ADD,
                     T_ENDING, T_KILL, T_SUBMITTED, bad_request, dig, new_uid, not_found, rfc3339, spark_mem_mib)
from .fields import changed_fields, managed, pod_fields
from .schema import metadata_causes
from .logs import Log
from .store import Store


class Cluster(Store):
    """A simulated cluster: the store (store.py) with the Spark operator and pods on top."""

    # the operator
    def _set_status(self, key, **st):
        """The operator's status write: the same store path as a client's /status write (resourceVersion + 1,
        generation unchanged). A None value drops the field; like the operator's Go struct, the status always
        has applicationState and driverInfo, and unset times are null."""
        obj = dict(self.apps[key])
        obj["metadata"] = dict(obj["metadata"])
        status = dict(obj.get("status") or {})
        for k, v in st.items():
            if v is None:
                status.pop(k, None)
            else:
                status[k] = v
        status.setdefault("applicationState", {"state": ""})
        status.setdefault("driverInfo", {})
        status.setdefault("lastSubmissionAttemptTime", None)
        status.setdefault("terminationTime", None)
        obj["metadata"]["managedFields"] = managed(obj["metadata"].get("managedFields"), "spark-operator",
                                                   changed_fields(obj, dict(obj, status=status), "status"), GV,
                                                   "status")
        obj["status"] = status
        obj["metadata"]["resourceVersion"] = self.next_rv()
        self.store(key, obj)
        return obj

    def _pod_names(self, key, obj=None):
        ns, name = key
        spec = (obj or self.apps[key]).get("spec") or {}
        driver = (spec.get("driver") or {}).get("podName") or name + "-driver"
        prefix = (spec.get("sparkConf") or {}).get("spark.kubernetes.executor.podNamePrefix") or name
        n = (spec.get("executor") or {}).get("instances", 1)
        n = n if isinstance(n, int) and 0 <= n <= 1000 else 1
        return driver, ["%s-exec-%d" % (prefix, i) for i in range(1, n + 1)]

    def _pod(self, key, pname, role, phase, index=None):
        """Creates or updates a pod of the app in the given phase."""
        ns, app = key
        obj, sim = self.apps[key], self.sim[key]
        spec = obj.get("spec") or {}
        rspec = spec.get(role) or {}
        now_wall, now = time.time(), self.t()
        pod = self.pods.get((ns, pname))
        if pod is None:
            labels = dict(rspec.get("labels") or {})
            labels.update({"spark-role": role, "spark-app-selector": sim["app_id"],
                           "spark-version": str(spec.get("sparkVersion", ""))[:63],
                           "sparkoperator.k8s.io/app-name": app,
                           "sparkoperator.k8s.io/launched-by-spark-operator": "true",
                           "sparkoperator.k8s.io/submission-id": sim.get("submission_id", "")})
            if not LABEL_VALUE.match(labels["spark-version"]):
                del labels["spark-version"]
            if role == "executor":
                labels["spark-exec-id"] = str(index)
            containers = [{"name": DRIVER_C if role == "driver" else EXEC_C,
                           "image": rspec.get("image") or spec.get("image") or "apache/spark",
                           "resources": {"requests": {"cpu": str(rspec.get("cores", 1)) if isinstance(
                                             rspec.get("cores", 1), int) else "1",
                                             "memory": "%dMi" % spark_mem_mib(rspec.get("memory"))},
                                             "limits": {"memory": "%dMi" % spark_mem_mib(rspec.get("memory"))}}}]
            if role == "driver":
                for sc in spec.get("driver", {}).get("sidecars") or []:
                    if isinstance(sc, dict) and sc.get("name"):
                        containers.append({"name": sc["name"], "image": sc.get("image", "busybox")})
                if (obj["metadata"].get("annotations") or {}).get(ANN + "sidecar") == "true":
                    containers.append({"name": "sidecar", "image": "busybox"})
            annotations = dict(rspec.get("annotations") or {})
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": pname, "namespace": ns, "uid": new_uid(), "labels": labels,
                                "annotations": annotations, "creationTimestamp": rfc3339(now_wall),
                                "resourceVersion": self.next_rv(),
                                "ownerReferences": [{"apiVersion": GV, "kind": KIND, "name": app,
                                                     "uid": obj["metadata"]["uid"], "controller": True,
                                                     "blockOwnerDeletion": True}]},
                   "spec": {"containers": containers, "restartPolicy": "Never", "nodeName": "kubesim-node-1",
                            "serviceAccountName": (rspec.get("serviceAccount") or spec.get("driver", {})
                                                   .get("serviceAccount") or "default")},
                   "status": {"phase": "Pending", "qosClass": "Burstable"}}
            if not annotations:
                del pod["metadata"]["annotations"]
            self.pods[(ns, pname)] = pod
            sim["pods"][pname] = {"role": role, "start": None, "start_wall": None, "end": None}
        info = sim["pods"][pname]
        pod = dict(pod)
        pod["metadata"] = dict(pod["metadata"], resourceVersion=self.next_rv())
        if phase == "Running" and info["start"] is None:
            info["start"], info["start_wall"] = now, now_wall
            for c in pod["spec"]["containers"]:
                main = c["name"] in (DRIVER_C, EXEC_C)
                run_for = max(0.001, sim.get("run_end", now + sim["run"]) - now)
                self.logs[(ns, pname, c["name"])] = Log(pname, c["name"], main, now_wall, run_for, sim["log_bytes"],
                                                        wall_seconds=run_for / self.speed if self.speed else run_for)
        if phase in ("Succeeded", "Failed") and info["end"] is None:
            info["end"] = now
            for c in pod["spec"]["containers"]:
                lg = self.logs.get((ns, pname, c["name"]))
                if lg is not None:
                    lg.end_lines = lg.total if not sim.get("killed") else self.visible_lines(ns, pname, lg)
                    lg.failed = phase == "Failed" and lg.end_lines == lg.total
        started = rfc3339(info["start_wall"]) if info["start_wall"] else None
        st = {"phase": phase, "qosClass": "Burstable", "hostIP": "10.0.0.1",
              "startTime": pod["metadata"]["creationTimestamp"],
              "conditions": [{"type": "Ready", "status": "True" if phase == "Running" else "False"}]}
        if phase != "Pending":
            st["podIP"] = "10.1.%d.%d" % (hash(pname) % 250, 2 + hash(pname[::-1]) % 250)
        cs = []
        for c in pod["spec"]["containers"]:
            s = {"name": c["name"], "image": c["image"], "imageID": "", "ready": phase == "Running",
                 "restartCount": 0, "started": phase == "Running"}
            if phase == "Pending":
                s["state"] = {"waiting": {"reason": "ContainerCreating"}}
            elif phase == "Running":
                s["state"] = {"running": {"startedAt": started}}
                s["containerID"] = "containerd://" + uuid.uuid5(uuid.NAMESPACE_OID, pname + c["name"]).hex
            else:
                s["state"] = {"terminated": {"exitCode": 0 if phase == "Succeeded" else 1,
                                             "reason": "Completed" if phase == "Succeeded" else "Error",
                                             "startedAt": started, "finishedAt": rfc3339(now_wall)}}
                s["containerID"] = "containerd://" + uuid.uuid5(uuid.NAMESPACE_OID, pname + c["name"]).hex
            cs.append(s)
        st["containerStatuses"] = cs
        pod["status"] = st
        self.pods[(ns, pname)] = pod
        self.cond.notify_all()
        return pod

    def _finish_pods(self, key, phase):
        for pname in list(self.sim[key]["pods"]):
            p = self.pods.get((key[0], pname))
            if p is not None and p["status"]["phase"] in ("Running", "Pending"):
                self._pod(key, pname, self.sim[key]["pods"][pname]["role"], phase)

    def _jump_status(self, key, obj, state):
        """The status of a bulk-created object put straight into a state."""
        if state not in STATES:
            raise bad_request("state: one of %s" % ", ".join(s for s in STATES if s))
        sim = self.sim[key]
        name = key[1]
        t = rfc3339(time.time())
        sim["submission_id"] = new_uid()
        sim["last_submit"] = self.now()
        st = {"applicationState": {"state": state}, "sparkApplicationId": sim["app_id"],
              "submissionID": sim["submission_id"], "lastSubmissionAttemptTime": t,
              "submissionAttempts": 1, "executionAttempts": 1,
              "driverInfo": {"podName": self._pod_names(key, obj)[0], "webUIServiceName": name + "-ui-svc",
                             "webUIPort": 4040, "webUIAddress": "10.96.0.1:4040"}, "terminationTime": None}
        if state in ("", "SUBMISSION_FAILED", "PENDING_RERUN", "INVALIDATING", "SUSPENDING", "SUSPENDED",
                     "RESUMING"):
            del st["sparkApplicationId"], st["executionAttempts"]
        if state in TERMINAL or state in ("SUCCEEDING", "FAILING"):
            st["terminationTime"] = t
        if state in ("FAILED", "FAILING"):
            st["applicationState"]["errorMessage"] = "driver container failed with ExitCode: 1, Reason: Error"
        if state == "SUBMISSION_FAILED":
            st["applicationState"]["errorMessage"] = ("failed to submit spark application: failed to run "
                                                      "spark-submit: simulated submission failure")
        return st

    def _jump(self, key, state, written=False):
        """Schedules what the operator does next with an object in a state: one bulk-stored in it (no events,
        no pods), or one whose state a client wrote through /status."""
        sim = self.sim[key]
        if sim["outcome"] == "manual":
            return
        now = self.now()
        if written:
            sim["last_submit"] = sim.get("last_submit", now)
        if state in TERMINAL:
            sim.update(phase="done", ended=now)
            self._schedule_ttl(key)
        elif state in ("RUNNING", "UNKNOWN"):
            sim.update(phase="running", run_end=now + sim["run"])
            if sim["outcome"] != "hang":
                self.schedule(key, sim["run"])
        elif state in ("SUCCEEDING", "FAILING"):
            sim["phase"] = "ending"
            self.schedule(key, T_ENDING)
        elif state == "SUBMITTED":
            sim.update(phase="submitted", run_end=now + T_SUBMITTED + sim["run"])
            self.schedule(key, T_SUBMITTED)
        elif state == "SUBMISSION_FAILED":
            sim["phase"] = "submission_failed"
            self.schedule(key, T_ENDING)
        elif state in ("PENDING_RERUN", "RESUMING"):
            sim["phase"] = "submit"
            self.schedule(key, T_ADD)
        elif state in ("INVALIDATING", "SUSPENDING"):
            sim["phase"] = state.lower()
            self.schedule(key, T_KILL)
        elif state == "SUSPENDED":
            sim["phase"] = "suspended"
            self.schedule(key, T_KILL)
        else:
            sim["phase"] = "new"
            self.schedule(key, T_ADD)

    def _schedule_ttl(self, key):
        ttl = (self.apps[key].get("spec") or {}).get("timeToLiveSeconds")
        if isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0:
            self.sim[key]["phase"] = "done"
            self.schedule(key, ttl)

    def _spec_changed(self, key, old, new):
        """The operator's reaction to a spec update (its event filter): any change but spec.suspend alone
        invalidates the current run, in any state; suspend/resume are reconciled."""
        sim = self.sim[key]
        if sim["outcome"] == "manual":
            return
        o, n = dict(old.get("spec") or {}), dict(new.get("spec") or {})
        suspend = n.get("suspend") is True
        o.pop("suspend", None)
        n.pop("suspend", None)
        state = dig(new, "status", "applicationState", "state") or ""
        if o != n:
            sim["phase"] = "invalidate"
        elif suspend and state not in TERMINAL + ("SUSPENDING", "SUSPENDED") and sim["phase"] != "suspend":
            sim["phase"] = "suspend"
        elif not suspend and sim["phase"] == "suspended":
            sim["phase"] = "resume"
        else:
            return
        self.schedule(key, 0)

    def step(self):
        """Runs the operator for every object whose next transition is due."""
        with self.lock:
            now = self.now()
            while self.heap and self.heap[0][0] <= now:
                due, _, key, gen = heapq.heappop(self.heap)
                sim = self.sim.get(key)
                if sim is None or sim.get("gen") != gen or key not in self.apps:
                    continue
                self.base = due
                try:
                    self._advance(key, sim, due)
                except Exception:
                    traceback.print_exc()
                finally:
                    self.base = None

    def _restart_policy(self, key):
        rp = (self.apps[key].get("spec") or {}).get("restartPolicy")
        return rp if isinstance(rp, dict) else {}

    def _should_retry(self, key, state):
        """The operator's util.ShouldRetry."""
        rp = self._restart_policy(key)
        typ = rp.get("type") or "Never"
        if state == "SUCCEEDING":
            return typ == "Always"
        if typ == "Always":
            return True
        if typ != "OnFailure":
            return False
        st = self.apps[key].get("status") or {}
        if state == "FAILING":
            limit, done = rp.get("onFailureRetries"), st.get("executionAttempts") or 0
        else:
            limit, done = rp.get("onSubmissionFailureRetries"), st.get("submissionAttempts") or 0
        return isinstance(limit, int) and not isinstance(limit, bool) and done <= limit

    def _retry_wait(self, key, state, now):
        """Simulated seconds until a retry is due (the operator's util.TimeUntilNextRetryDue): interval x
        submission attempts after the last submission attempt, a linear backoff."""
        rp = self._restart_policy(key)
        iv = rp.get("onSubmissionFailureRetryInterval" if state == "SUBMISSION_FAILED" else "onFailureRetryInterval")
        if not isinstance(iv, int) or isinstance(iv, bool):
            iv = RETRY_INTERVAL
        done = (self.apps[key].get("status") or {}).get("submissionAttempts") or 1
        return iv * done - (now - self.sim[key].get("last_submit", now))

    def _remove_app_pods(self, key):
        """The operator's deleteSparkResources: the driver pod (and so, by garbage collection, its executors)."""
        sim = self.sim[key]
        for pname in list(sim["pods"]):
            self._remove_pod(key[0], pname)
        sim["pods"] = {}
        self.cond.notify_all()

    def _submit(self, key, now):
        """The operator's submitSparkApplication: SUBMITTED (new attempt) or SUBMISSION_FAILED."""
        ns, name = key
        sim, obj = self.sim[key], self.apps[key]
        uid = obj["metadata"]["uid"]
        if (obj.get("spec") or {}).get("suspend") is True:
            return self._suspend(key)
        st = obj.get("status") or {}
        t = rfc3339(time.time())
        sim["last_submit"] = now
        sim["submission_id"] = new_uid()
        driver, _ = self._pod_names(key)
        subs = (st.get("submissionAttempts") or 0) + 1
        if sim["sub_fail"] > 0:
            sim["sub_fail"] -= 1
            err = ("failed to submit spark application: failed to run spark-submit for SparkApplication %s/%s: "
                   "simulated spark-submit failure: Exception in thread \"main\" org.apache.spark.SparkException: "
                   "simulated" % (ns, name))
            self._set_status(key, applicationState={"state": "SUBMISSION_FAILED", "errorMessage": err},
                             submissionID=sim["submission_id"], submissionAttempts=subs, lastSubmissionAttemptTime=t,
                             driverInfo=dict(st.get("driverInfo") or {}, podName=driver))
            self.event(KIND, ns, name, uid, "SparkApplicationSubmissionFailed",
                       "failed to submit SparkApplication %s: %s" % (name, err), "Warning")
            sim["phase"] = "submission_failed"
            self.schedule(key, T_ENDING)
            return
        sim["app_id"] = "spark-" + os.urandom(16).hex()
        sim["run_end"] = now + T_SUBMITTED + sim["run"]
        self._set_status(key, applicationState={"state": "SUBMITTED"}, sparkApplicationId=sim["app_id"],
                         submissionID=sim["submission_id"], lastSubmissionAttemptTime=t, terminationTime=None,
                         submissionAttempts=subs, executionAttempts=(st.get("executionAttempts") or 0) + 1,
                         executorState=None,
                         driverInfo={"podName": driver, "webUIServiceName": name + "-ui-svc",
                                     "webUIPort": 4040, "webUIAddress": "10.96.%d.%d:4040"
                                     % (hash(name) % 250, 1 + hash(name[::-1]) % 250)})
        self._pod(key, driver, "driver", "Pending")
        self.event(KIND, ns, name, uid, "SparkApplicationSubmitted",
                   "SparkApplication %s was submitted successfully" % name)
        self.event(KIND, ns, name, uid, "SparkDriverPending", "Driver %s is pending" % driver)
        sim["phase"] = "submitted"
        self.schedule(key, T_SUBMITTED)

    def _suspend(self, key):
        ns, name = key
        self._set_status(key, applicationState={"state": "SUSPENDING"})
        self.event(KIND, ns, name, self.apps[key]["metadata"]["uid"], "SparkApplicationSuspending",
                   "SparkApplication %s is suspending" % name, "Warning")
        self.sim[key]["phase"] = "suspending"
        self.schedule(key, T_KILL)

    def _pending_rerun(self, key, invalidate=False):
        """Resources deleted, the attempt's status reset (the operator's resetSparkApplicationStatus), then
        PENDING_RERUN; an invalidation also resets the attempt counters."""
        ns, name = key
        self._remove_app_pods(key)
        reset = dict(sparkApplicationId=None, terminationTime=None, driverInfo={}, executorState=None)
        if invalidate:
            reset.update(submissionAttempts=None, executionAttempts=None, lastSubmissionAttemptTime=None)
        self._set_status(key, applicationState={"state": "PENDING_RERUN"}, **reset)
        self.event(KIND, ns, name, self.apps[key]["metadata"]["uid"], "SparkApplicationPendingRerun",
                   "SparkApplication %s is pending rerun" % name, "Warning")
        self.sim[key]["phase"] = "submit"
        self.schedule(key, T_ADD)

    def _advance(self, key, sim, now):
        ns, name = key
        obj = self.apps[key]
        uid = obj["metadata"]["uid"]
        ph = sim["phase"]
        state = dig(obj, "status", "applicationState", "state") or ""
        t = rfc3339(time.time())
        suspend = (obj.get("spec") or {}).get("suspend") is True
        if ph in ("new", "submit"):
            if suspend:
                return self._suspend(key)
            self._submit(key, now)
        elif ph == "submission_failed":
            if self._should_retry(key, "SUBMISSION_FAILED"):
                wait = self._retry_wait(key, "SUBMISSION_FAILED", now)
                if wait > 0:
                    self.schedule(key, wait)
                    return
                self._submit(key, now)
            else:
                prev = dig(obj, "status", "applicationState") or {}
                self._set_status(key, applicationState=dict(prev, state="FAILED"), terminationTime=t)
                self.event(KIND, ns, name, uid, "SparkApplicationFailed",
                           "SparkApplication %s failed: %s" % (name, prev.get("errorMessage", "")), "Warning")
                sim.update(phase="done", ended=now)
                self._schedule_ttl(key)
        elif ph == "submitted":
            driver, execs = self._pod_names(key)
            sim["run_end"] = now + sim["run"]
            self._pod(key, driver, "driver", "Running")
            for i, e in enumerate(execs, 1):
                self._pod(key, e, "executor", "Pending", i)
            self._set_status(key, applicationState={"state": "RUNNING"},
                             executorState={e: "PENDING" for e in execs} or None)
            self.event(KIND, ns, name, uid, "SparkDriverRunning", "Driver %s is running" % driver)
            for e in execs:
                self.event(KIND, ns, name, uid, "SparkExecutorPending", "Executor %s is pending" % e)
            sim["phase"] = "executors"
            self.schedule(key, min(0.5, sim["run"] / 4))
        elif ph == "executors":
            _, execs = self._pod_names(key)
            for i, e in enumerate(execs, 1):
                if (ns, e) in self.pods:
                    self._pod(key, e, "executor", "Running", i)
            self._set_status(key, executorState={e: "RUNNING" for e in execs if (ns, e) in self.pods} or None)
            for e in execs:
                self.event(KIND, ns, name, uid, "SparkExecutorRunning", "Executor %s is running" % e)
            sim["phase"] = "running"
            if sim["outcome"] != "hang":
                self.schedule(key, max(0.0, sim["run_end"] - now))
        elif ph == "running":
            failing = sim["att_fail"] > 0
            if failing:
                sim["att_fail"] -= 1
            driver, execs = self._pod_names(key)
            self._finish_pods(key, "Failed" if failing else "Succeeded")
            st = {"state": "FAILING" if failing else "SUCCEEDING"}
            if failing:
                st["errorMessage"] = "driver container failed with ExitCode: 1, Reason: Error"
            self._set_status(key, applicationState=st, terminationTime=t,
                             executorState={e: "FAILED" if failing else "COMPLETED" for e in execs
                                            if e in sim["pods"]} or None)
            if failing:
                self.event(KIND, ns, name, uid, "SparkDriverFailed", "Driver %s failed" % driver, "Warning")
            else:
                self.event(KIND, ns, name, uid, "SparkDriverCompleted", "Driver %s completed" % driver)
            for e in execs:
                if e in sim["pods"]:
                    self.event(KIND, ns, name, uid, "SparkExecutorFailed" if failing else "SparkExecutorCompleted",
                               "Executor %s %s" % (e, "failed" if failing else "completed"),
                               "Warning" if failing else "Normal")
            sim["phase"] = "ending"
            self.schedule(key, T_ENDING)
        elif ph == "ending":        # SUCCEEDING or FAILING
            if state not in ("SUCCEEDING", "FAILING"):
                return
            if self._should_retry(key, state):
                if state == "FAILING":
                    wait = self._retry_wait(key, "FAILING", now)
                    if wait > 0:
                        self.schedule(key, wait)
                        return
                return self._pending_rerun(key)
            prev = dig(obj, "status", "applicationState") or {}
            if state == "FAILING":
                st = {"state": "FAILED", "errorMessage": prev.get("errorMessage") or "driver container failed"}
                self._set_status(key, applicationState=st)
                self.event(KIND, ns, name, uid, "SparkApplicationFailed",
                           "SparkApplication %s failed: %s" % (name, st["errorMessage"]), "Warning")
            else:
                self._set_status(key, applicationState={"state": "COMPLETED"})
                self.event(KIND, ns, name, uid, "SparkApplicationCompleted", "SparkApplication %s completed" % name)
            if not dig(self.apps[key], "status", "terminationTime"):
                self._set_status(key, terminationTime=t)
            sim.update(phase="done", ended=now)
            self._schedule_ttl(key)
        elif ph == "invalidate":        # a spec change: the current run is invalidated
            self._set_status(key, applicationState=dict(dig(obj, "status", "applicationState") or {},
                                                        state="INVALIDATING"))
            sim["phase"] = "invalidating"
            self.schedule(key, T_KILL)
        elif ph == "invalidating":
            self._pending_rerun(key, invalidate=True)
        elif ph == "suspend":
            if suspend and state not in TERMINAL + ("SUSPENDING", "SUSPENDED"):
                self._suspend(key)
        elif ph == "suspending":
            self._remove_app_pods(key)
            self._set_status(key, applicationState={"state": "SUSPENDED"}, sparkApplicationId=None,
                             driverInfo={}, executorState=None)
            self.event(KIND, ns, name, uid, "SparkApplicationSuspended", "SparkApplication %s is suspended" % name,
                       "Warning")
            sim["phase"] = "suspended"
            if not suspend:
                sim["phase"] = "resume"
                self.schedule(key, T_KILL)
        elif ph == "suspended":
            if not suspend:
                sim["phase"] = "resume"
                self.schedule(key, 0)
        elif ph == "resume":
            self._set_status(key, applicationState={"state": "RESUMING"})
            self.event(KIND, ns, name, uid, "SparkApplicationResuming", "SparkApplication %s is resuming" % name,
                       "Warning")
            sim["phase"] = "submit"
            self.schedule(key, T_ADD)
        elif ph == "done":      # timeToLiveSeconds after the end
            self.delete(ns, name)

    def create_pod(self, ns, body, manager="unknown"):
        """A client's pod (POST .../pods): validated for what kubesim uses, defaulted as the real server
        defaults it, and stored Pending. kubesim has no scheduler or kubelet, so it stays Pending; without
        spec.nodeName it is unscheduled, and its log is empty (204) as on the real server."""
        if not isinstance(body, dict):
            raise bad_request("the body of the request was in an unknown format - accepted media types include: "
                              "application/json, application/yaml")
        if body.get("apiVersion") != "v1" or body.get("kind") != "Pod":
            raise bad_request("the API version in the data (%s) does not match the expected API version (v1)"
                              % body.get("apiVersion") if body.get("apiVersion") != "v1" else
                              "the kind in the data (%s) does not match the expected kind (Pod)" % body.get("kind"))
        md = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
        if md.get("namespace") not in (None, "", ns):
            raise bad_request("the namespace of the provided object does not match the namespace sent on the "
                              "request")
        if not md.get("name") and isinstance(md.get("generateName"), str) and md["generateName"]:
            md["name"] = md["generateName"] + uuid.uuid4().hex[:5]
        name = md.get("name") if isinstance(md.get("name"), str) else ""
        causes = metadata_causes(md)
        containers = spec.get("containers")
        if not isinstance(containers, list) or not containers:
            causes.append(("FieldValueRequired", "spec.containers", "Required value"))
        else:
            for i, ct in enumerate(containers):
                ct = ct if isinstance(ct, dict) else {}
                for f in ("name", "image"):
                    if not isinstance(ct.get(f), str) or not ct[f]:
                        causes.append(("FieldValueRequired", "spec.containers[%d].%s" % (i, f), "Required value"))
        if causes:
            errs = ["%s: %s" % (f, m) for _, f, m in causes]
            details = {"name": name, "kind": "Pod"} if name else {"kind": "Pod"}
            details["causes"] = [{"reason": r, "message": m, "field": f} for r, f, m in causes]
            raise ApiError(422, "Invalid", 'Pod "%s" is invalid: %s' % (
                name, errs[0] if len(errs) == 1 else "[%s]" % ", ".join(errs)), details)
        if ns not in self.namespaces:
            raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns, {"name": ns, "kind": "namespaces"})
        with self.lock:
            if (ns, name) in self.pods:
                raise ApiError(409, "AlreadyExists", 'pods "%s" already exists' % name, {"name": name, "kind": "pods"})
            for ct in containers:
                ct.setdefault("resources", {})
                ct.setdefault("terminationMessagePath", "/dev/termination-log")
                ct.setdefault("terminationMessagePolicy", "File")
                tag = ct["image"].rsplit("/", 1)[-1]
                ct.setdefault("imagePullPolicy", "IfNotPresent" if ":" in tag and not tag.endswith(":latest")
                              else "Always")
            for k, v in (("restartPolicy", "Always"), ("terminationGracePeriodSeconds", 30),
                         ("dnsPolicy", "ClusterFirst"), ("securityContext", {}),
                         ("schedulerName", "default-scheduler"), ("enableServiceLinks", True)):
                spec.setdefault(k, v)
            fields = pod_fields(md, spec)
            spec.setdefault("serviceAccountName", "default")     # admission's, after the field manager
            spec.setdefault("priority", 0)
            md = {k: v for k, v in md.items() if k not in ("resourceVersion", "uid", "creationTimestamp",
                                                            "deletionTimestamp", "managedFields")}
            md.update({"namespace": ns, "uid": new_uid(), "resourceVersion": self.next_rv(), "generation": 1,
                       "creationTimestamp": rfc3339(time.time()),
                       "managedFields": managed(None, manager, fields, "v1")})
            besteffort = not any((c.get("resources") or {}).get(k) for c in containers for k in ("requests", "limits"))
            pod = {"kind": "Pod", "apiVersion": "v1", "metadata": md, "spec": spec,
                   "status": {"phase": "Pending", "qosClass": "BestEffort" if besteffort else "Burstable"}}
            self.pods[(ns, name)] = pod
            self.cond.notify_all()
            return pod

    def delete_pod(self, ns, pname):
        with self.lock:
            pod = self.pods.get((ns, pname))
            if pod is None:
                raise not_found("pods", pname, group="")
            app = (pod["metadata"].get("labels") or {}).get("sparkoperator.k8s.io/app-name")
            key = (ns, app)
            sim = self.sim.get(key)
            if sim and sim["pods"].get(pname, {}).get("role") == "driver" and sim["phase"] in (
                    "submitted", "executors", "running"):
                # the operator finds the driver pod gone: FAILING, then (no retry left) FAILED
                msg = "driver pod not found: driver pod %s was deleted" % pname
                sim["killed"] = True
                self._finish_pods(key, "Failed")
                _, execs = self._pod_names(key)
                self._set_status(key, applicationState={"state": "FAILING", "errorMessage": msg},
                                 terminationTime=rfc3339(time.time()),
                                 executorState={e: "FAILED" for e in execs if e in sim["pods"]} or None)
                self.event(KIND, ns, app, self.apps[key]["metadata"]["uid"], "SparkDriverFailed",
                           "Driver %s failed: deleted" % pname, "Warning")
                sim["phase"] = "ending"
                self.schedule(key, T_KILL)
                sim.pop("killed", None)
            self._remove_pod(ns, pname)
            if sim:
                sim["pods"].pop(pname, None)
            self.next_rv()
            self.cond.notify_all()
            pod = copy.deepcopy(pod)
            pod["metadata"]["deletionTimestamp"] = rfc3339(time.time())
            pod["metadata"]["deletionGracePeriodSeconds"] = 30
            return pod

    # logs
    def visible_lines(self, ns, pname, lg):
        """How many lines of a log exist by now (all once the pod terminated)."""
        end = getattr(lg, "end_lines", None)
        if end is not None:
            return end
        app = (self.pods[(ns, pname)]["metadata"].get("labels") or {}).get("sparkoperator.k8s.io/app-name")
        sim = self.sim.get((ns, app))
        if sim is None:
            return lg.total
        info = sim["pods"].get(pname) or {}
        start = info.get("start") or self.now()
        frac = (self.now() - start) / lg.seconds
        n = int(lg.total * min(1.0, max(0.0, frac)))
        if sim["outcome"] == "hang":
            n = min(n, lg.total - 1)
        return max(0, n)
