"""An executor client for Production Line: Python 3 standard library only, one file.

Copy this file next to your code. An executor registers with its capabilities, heartbeats in a
background thread, claims one station task at a time (long-poll), reports progress, log lines
and artifacts, and completes the task with its outcome; the next claim rides on the completion
(``?next=``), so a busy executor makes one call per station. On SIGTERM or Ctrl-C it stops
claiming, gives the task in hand ``grace`` seconds to finish, hands it back to the queue
otherwise, and leaves (offline at once). See docs/executors.md for the HTTP contract.

    from production_line import Executor

    def work(task):
        task.progress(0.5, "halfway")
        task.log("info", "assembled " + task.document_type)
        return {"outcome": "stabilized",
                "artifacts": [{"name": task.document_type + ".md", "kind": "text", "content": "# ..."}]}

    Executor(server="http://127.0.0.1:8950", token=TOKEN, executor_id="py-1",
             capabilities=["sim"]).run(work)

``work`` returns the completion body (``outcome`` and what goes with it; ``None`` is
``{"outcome": "stabilized"}``). An exception in ``work`` halts the station with its message as
the reason. ``task.requirements`` says what the station's gates require (an audit's
verification level, a metric, an artifact, sections); meet them or the server's audit rejects.
"""

import json
import logging
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["ApiError", "Client", "Task", "Executor"]

log = logging.getLogger("production_line")


class ApiError(Exception):
    """A refusal (4xx/5xx) from the server: ``status`` and the JSON body (``title``, ``detail``)."""

    def __init__(self, status, body, what):
        self.status = status
        self.body = body if isinstance(body, dict) else {"detail": str(body)}
        self.detail = self.body.get("detail") or self.body.get("title") or ""
        super().__init__("%s: %s %s" % (what, status, self.detail))


class Client:
    """JSON over HTTP with a bearer token. Raises ApiError on a refusal, OSError when the server is not reached.

    ``server`` may name several nodes of one cluster, comma-separated: a call that gets no answer
    (refused, reset, timed out) raises OSError as it is, and the next calls go to the next node.
    """

    def __init__(self, server, token, timeout=30):
        self.servers = [s.strip().rstrip("/") for s in server.split(",") if s.strip()]
        if not self.servers:
            raise ValueError("no server URL given")
        self._at = 0
        self._turn = threading.Lock()
        self.token = token
        self.timeout = timeout

    @property
    def server(self):
        """The node in use."""
        return self.servers[self._at]

    def _unreachable(self, used, cause):
        with self._turn:
            if len(self.servers) > 1 and self.servers[self._at] == used:
                self._at = (self._at + 1) % len(self.servers)
                log.warning("server %s does not serve us now (%s); turning to %s", used, cause, self.servers[self._at])

    def call(self, method, path, body=None, headers=None, query=None, timeout=None):
        server = self.server
        try:
            return self._call(server, method, path, body, headers, query, timeout)
        except ApiError as e:
            if e.status == 503:  # the node cannot serve now (it is rejoining the cluster after a stall)
                self._unreachable(server, "503 %s" % e.detail)
            raise
        except OSError as e:
            if not isinstance(e, urllib.error.HTTPError):
                self._unreachable(server, e)
            raise

    def _call(self, server, method, path, body, headers, query, timeout):
        url = server + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", "Bearer " + self.token)
        for k, v in (headers or {}).items():
            request.add_header(k, v)
        what = "%s %s" % (method, server + path)
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as reply:
                text = reply.read().decode("utf-8")
                return json.loads(text) if text.strip() else {}
        except urllib.error.HTTPError as e:
            text = e.read().decode("utf-8", "replace")
            try:
                payload = json.loads(text)
            except ValueError:
                payload = {"detail": text.strip() or e.reason}
            raise ApiError(e.code, payload, what) from None


class Task:
    """One claimed station task: what it is (the claim's fields as attributes) and the calls about it."""

    def __init__(self, executor, claim):
        self._executor = executor
        self.claim = claim
        self.id = claim["task_id"]
        self.lease_token = claim["lease_token"]
        self.attempt = claim.get("attempt")
        self.project_id = claim.get("project_id")
        self.track_id = claim.get("track_id")
        self.document_type = claim.get("document_type")
        self.station = claim.get("station")
        self.station_kind = claim.get("station_kind")
        self.step = claim.get("step") or {}
        self.input = claim.get("input") or {}
        self.timeout_seconds = claim.get("timeout_seconds")
        #: What the station's gates require: [{"gate", "text", "field", "operator", "value", ...}].
        self.requirements = claim.get("requirements") or []
        #: Set when an operator cancelled the task (or the executor is stopping past its grace): stop and return.
        self.cancelled = threading.Event()

    def _post(self, what, body, key=None):
        headers = {"Idempotency-Key": key} if key else None
        body = dict(body, lease_token=self.lease_token)
        reply = self._executor.client.call("POST", "/api/v1/work/%s/%s" % (self.id, what), body, headers)
        if reply.get("cancel"):
            self.cancelled.set()
        return reply

    def progress(self, share, message=None):
        """Reports progress (0.0 to 1.0); returns False when the task was cancelled (stop then)."""
        body = {"progress": max(0.0, min(1.0, float(share)))}
        if message:
            body["message"] = message
        return not self._post("progress", body).get("cancel", False)

    def log(self, level, message, **fields):
        """One log line (level such as info or warn), shown live to operators."""
        self.logs([{"level": level, "message": message, "fields": fields} if fields else {"level": level, "message": message}])

    def logs(self, lines):
        """Up to 500 log lines at once: [{"level", "message", "fields"}]."""
        self._post("events", {"events": list(lines)})

    def artifact(self, name, content, kind="text", content_type=None):
        """Hands in one artifact now (text, a JSON value, or kind "url" with content the URL)."""
        a = {"name": name, "kind": kind}
        if kind == "url":
            a["url"] = content
        else:
            a["content"] = content
        if content_type:
            a["content_type"] = content_type
        self._post("artifacts", {"artifacts": [a]})

    def required_level(self):
        """The verification level the station's gates ask for (0 when none)."""
        return max([r.get("value") or 0 for r in self.requirements if r.get("field") == "verification_level"] or [0])

    def __repr__(self):
        return "Task(%s %s/%s %s)" % (self.id, self.document_type, self.station, self.station_kind)


class _Stop(BaseException):
    """Raised by the signal handler to leave a claim that is waiting for work."""


class Executor:
    """Runs ``work(task)`` for every task it claims until stopped (SIGTERM, Ctrl-C, or ``stop()``)."""

    def __init__(self, server, token, executor_id, capabilities, environment="local", type="python",
                 wait=20, grace=30, timeout=30):
        self.client = Client(server, token, timeout=timeout + wait)
        self.executor_id = executor_id
        self.capabilities = list(capabilities)
        self.environment = environment
        self.type = type
        self.wait = wait
        self.grace = grace
        self.heartbeat_seconds = 15
        self.completed = 0
        self._stopping = threading.Event()
        self._task = None
        self._claiming = False
        self._lock = threading.Lock()

    # --- the executor's own calls -------------------------------------------------------------

    def register(self):
        task = self._task
        # "tasks": what it has in hand; registered again after the server forgot it, its running task stays its own.
        reply = self.client.call("POST", "/api/v1/executors", {
            "executor_id": self.executor_id, "type": self.type, "environment": self.environment,
            "capabilities": self.capabilities, "tasks": [task.id] if task else []})
        self.heartbeat_seconds = int(reply.get("heartbeat_seconds") or self.heartbeat_seconds)
        return reply

    def heartbeat(self):
        task = self._task
        # "tasks": what it has in hand; a task the server counts as ours that is not listed goes back to the queue.
        body = {"status": "busy", "current_task": task.id, "tasks": [task.id]} if task else {"status": "idle", "tasks": []}
        try:
            # Unanswered within its interval: the node counts as out of reach and the next beat goes to the next one.
            reply = self.client.call("POST", "/api/v1/executors/%s/heartbeat" % self.executor_id, body,
                                     timeout=max(2, self.heartbeat_seconds))
        except ApiError as e:
            if e.status == 404:  # the server forgot us (Redis lost the registration): register again
                self.register()
                return
            raise
        if task and task.id in (reply.get("cancel_tasks") or []):
            task.cancelled.set()

    def claim(self, wait=None):
        """The next task, or None when none came within ``wait`` seconds."""
        self._claiming = True
        try:
            if self._stopping.is_set():
                return None
            reply = self.client.call("GET", "/api/v1/work/next",
                                     query={"executor_id": self.executor_id, "wait": self.wait if wait is None else wait})
        finally:
            self._claiming = False
        return Task(self, reply["task"]) if reply.get("assigned") else None

    def complete(self, task, body, next_wait=None):
        """Completes ``task``; with ``next_wait`` the next claim rides on it. Returns (reply, next task or None)."""
        body = dict(body or {})
        body.setdefault("outcome", "stabilized")
        body["lease_token"] = task.lease_token
        query = {"next": next_wait} if next_wait is not None else None
        reply = None
        for attempt in range(3):  # the same Idempotency-Key makes sending it again harmless
            try:
                reply = self.client.call("POST", "/api/v1/work/%s/complete" % task.id, body,
                                         {"Idempotency-Key": task.id + "-done"}, query=query)
                break
            except OSError:
                if attempt == 2:
                    raise
                time.sleep(1 + attempt)
        nxt = reply.get("next") or {}
        return reply, (Task(self, nxt["task"]) if nxt.get("assigned") else None)

    def release(self, task, reason):
        """Hands ``task`` back to the queue (same attempt)."""
        try:
            self.client.call("POST", "/api/v1/work/%s/release" % task.id, {"lease_token": task.lease_token, "reason": reason})
        except (ApiError, OSError) as e:
            log.warning("hand back of %s: %s", task.id, e)

    def _register_when_reachable(self):
        """Registers; asks again (every 1 s, then up to every 5 s) while no node answers or one answers 5xx/404/408/429."""
        attempt = 1
        while not self._stopping.is_set():
            try:
                return self.register()
            except ApiError as e:
                if e.status < 500 and e.status not in (404, 408, 429):
                    raise
                cause = e
            except OSError as e:
                cause = e
            delay = min(5, attempt)
            log.warning("%s cannot register with %s yet (%s); asking again in %d s", self.executor_id, self.client.server,
                        cause, delay)
            self._stopping.wait(delay)
            attempt += 1
        return None

    def leave(self):
        try:
            self.client.call("DELETE", "/api/v1/executors/%s" % self.executor_id)
        except (ApiError, OSError) as e:
            log.warning("leave: %s", e)

    # --- running ------------------------------------------------------------------------------

    def stop(self):
        """Stops claiming; the task in hand gets ``grace`` seconds, then is handed back."""
        self._stopping.set()

    def _on_signal(self, signum, frame):
        log.info("%s stopping (signal %d)", self.executor_id, signum)
        self._stopping.set()
        if self._claiming:
            raise _Stop()

    def _heartbeats(self):
        while not self._stopping.wait(self.heartbeat_seconds):
            try:
                self.heartbeat()
            except (ApiError, OSError) as e:
                log.warning("heartbeat: %s", e)

    def _perform(self, work, task):
        """Runs ``work(task)`` in a thread; returns its completion body, or None when it did not finish (cancelled or stopped)."""
        result = {}

        def run():
            try:
                result["body"] = work(task) or {"outcome": "stabilized"}
            except Exception as e:  # the station halts with the reason; the executor goes on
                log.exception("%s: work() raised", task)
                result["body"] = {"outcome": "halted", "reason": "the executor's work stopped: %s" % e}

        worker = threading.Thread(target=run, name="work-" + task.id, daemon=True)
        worker.start()
        deadline = None
        while worker.is_alive():
            worker.join(0.2)
            if task.cancelled.is_set() and worker.is_alive():
                worker.join(self.grace)  # let work() notice the cancel and return
                break
            if self._stopping.is_set():
                deadline = deadline or time.monotonic() + self.grace
                if time.monotonic() >= deadline:
                    task.cancelled.set()
                    break
        if task.cancelled.is_set() or "body" not in result:
            return None
        return result["body"]

    def run(self, work):
        """Registers, heartbeats, and runs ``work`` for each task until stopped; then leaves. Returns the number completed."""
        old = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self._register_when_reachable()
            if self._stopping.is_set():
                return self.completed
            log.info("%s registered for %s; heartbeat every %ss", self.executor_id, ",".join(self.capabilities),
                     self.heartbeat_seconds)
            threading.Thread(target=self._heartbeats, name="heartbeats", daemon=True).start()
            task = None
            while not self._stopping.is_set() or task is not None:
                try:
                    if task is None:
                        task = self.claim()
                        if task is None:
                            continue
                except _Stop:
                    break
                except (ApiError, OSError) as e:
                    log.warning("claim: %s", e)
                    self._stopping.wait(2)
                    continue
                with self._lock:
                    self._task = task
                log.info("%s claimed %r (attempt %s)", self.executor_id, task, task.attempt)
                body = self._perform(work, task)
                nxt = None
                if body is None:
                    if self._stopping.is_set():
                        self.release(task, "executor stopping")
                        log.info("%s handed %s back", self.executor_id, task.id)
                    else:
                        log.info("%s stopped %s: it was cancelled", self.executor_id, task.id)
                else:
                    try:
                        try:
                            # While the next claim rides on the completion, a stop may leave its wait ...
                            self._claiming = not self._stopping.is_set()
                            reply, nxt = self.complete(task, body, None if self._stopping.is_set() else self.wait)
                        except _Stop:
                            # ... and the completion is sent again without it: the Idempotency-Key applies it once.
                            self._claiming = False
                            reply, nxt = self.complete(task, body, None)
                        finally:
                            self._claiming = False
                        self.completed += 1
                        audit = reply.get("audit") or {}
                        log.info("%s %s: %s -> %s%s", self.executor_id, task, body.get("outcome"), reply.get("state"),
                                 " (%s)" % audit.get("reason") if audit.get("decided_by") == "gate" else "")
                    except (ApiError, OSError) as e:
                        log.warning("complete %s: %s", task.id, e)
                with self._lock:
                    self._task = None
                if nxt is not None and self._stopping.is_set():
                    self.release(nxt, "executor stopping")
                    nxt = None
                task = nxt
        finally:
            self._stopping.set()
            for s, h in old.items():
                signal.signal(s, h)
            self.leave()
            log.info("%s left after %d completions", self.executor_id, self.completed)
        return self.completed
