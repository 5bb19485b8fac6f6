#!/usr/bin/env python3
"""An example executor on production_line.py: runs `sim` and `shell` steps and meets the station's requirements.

    PL_SERVER=http://127.0.0.1:8950 PL_TOKEN=$(scripts/token executor --executor-id py-1) \\
    PL_EXECUTOR_ID=py-1 PL_CAPABILITIES=sim python3 clients/python/example_executor.py

Options (or the PL_* variables): --server, --token, --id, --capabilities a,b, --environment,
--wait S (long-poll), --grace S (on SIGTERM, how long the task in hand may take), --sim-scale F
(sim steps take duration_ms x F). Stop it with Ctrl-C or SIGTERM: the task in hand is finished
or handed back, then it leaves.
"""

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from production_line import Executor  # noqa: E402


def options():
    env = os.environ.get
    p = argparse.ArgumentParser(description="An example Production Line executor in Python.")
    p.add_argument("--server", default=env("PL_SERVER", "http://127.0.0.1:" + env("PL_HTTP_PORT", "8950")),
                   help="the server, or several nodes of one cluster, comma-separated (PL_SERVER)")
    p.add_argument("--token", default=env("PL_TOKEN"), help="the executor token (PL_TOKEN)")
    p.add_argument("--id", default=env("PL_EXECUTOR_ID", "py-%d" % os.getpid()))
    p.add_argument("--capabilities", default=env("PL_CAPABILITIES", "sim"))
    p.add_argument("--environment", default=env("PL_ENVIRONMENT", "local"), choices=["local", "server"])
    p.add_argument("--wait", type=int, default=int(env("PL_WAIT_SECONDS", "20")))
    p.add_argument("--grace", type=int, default=int(env("PL_GRACE_SECONDS", "30")))
    p.add_argument("--sim-scale", type=float, default=float(env("PL_SIM_SCALE", "1")))
    o = p.parse_args()
    if not o.token:
        p.error("an executor token is required: --token or PL_TOKEN (scripts/token executor --executor-id %s)" % o.id)
    return o


def meet(task, body):
    """Adds to a completion what the station's gates require (task.requirements): an example of reading them."""
    for r in task.requirements:
        gate = r.get("gate")
        if gate == "verification":
            body["verification_level"] = max(body.get("verification_level", 0), int(r["value"]))
        elif gate == "metric_threshold":
            op, value = r["operator"], float(r["value"])
            body.setdefault("metrics", {})[r["field"].split(".", 1)[1]] = value + (1 if op == ">" else -1 if op == "<" else 0)
        elif gate == "artifact_exists":
            name = r["pattern"].replace("*", task.document_type).replace("?", "x")
            body.setdefault("artifacts", []).append({"name": name, "kind": "text", "content": "# " + task.document_type + "\n"})
        elif gate == "content_check":
            text = "# %s\n\n" % task.document_type + "".join("## %s\n\nWritten by the example.\n\n" % s for s in r["sections"])
            body.setdefault("artifacts", []).append({"name": r["artifact"], "kind": "text", "content_type": "text/markdown",
                                                     "content": text})
    return body


def run_sim(task, scale):
    ms = float(task.step.get("params", {}).get("duration_ms", 1000)) * scale
    for share in (0.25, 0.5, 0.75, 1.0):
        if task.cancelled.wait(ms / 4000.0):
            return None
        if not task.progress(share, "%d%% done" % (share * 100)):
            return None
    return {"outcome": "stabilized"}


def run_shell(task):
    with tempfile.TemporaryDirectory(prefix="pl-") as work:
        path = os.path.join(work, "input.json")
        with open(path, "w") as f:
            json.dump(task.input, f)
        done = subprocess.run(["sh", "-c", task.step.get("params", {}).get("command", "true")], cwd=work,
                              env=dict(os.environ, PL_INPUT=path, PL_TASK_ID=task.id, PL_STATION=task.station or ""),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=task.timeout_seconds or None)
    lines = [{"level": "info", "message": line[:8192]} for line in done.stdout.splitlines()[:500]]
    if lines:
        task.logs(lines)
    if done.returncode == 0:
        return {"outcome": "stabilized", "exit_code": 0}
    outcome = "audit_rejected" if task.station_kind == "audit" else "halted"
    return {"outcome": outcome, "exit_code": done.returncode, "reason": "the command exited with %d" % done.returncode,
            "findings": [{"finding": "see the log"}] if outcome == "audit_rejected" else []}


def main():
    o = options()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stdout)
    executor = Executor(o.server, o.token, o.id, o.capabilities.split(","), environment=o.environment, type="python-example",
                        wait=o.wait, grace=o.grace)

    def work(task):
        task.log("info", "%s started %s station %s of %s (attempt %s)" % (o.id, task.station_kind, task.station,
                                                                         task.document_type, task.attempt))
        kind = task.step.get("type")
        if kind == "sim":
            body = run_sim(task, o.sim_scale)
        elif kind == "shell":
            body = run_shell(task)
        else:
            body = {"outcome": "halted", "reason": "this example runs sim and shell steps, not %s" % kind}
        if body is None:
            return None
        if body["outcome"] == "stabilized":
            if task.station_kind in ("assemble", "remediate"):
                body["artifacts"] = [{"name": task.document_type + ".md", "kind": "text", "content_type": "text/markdown",
                                      "content": "# %s\n\n## Summary\n\nAssembled by %s at %s.\n" % (
                                          task.document_type, o.id, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))}]
            meet(task, body)
        return body

    executor.run(work)


if __name__ == "__main__":
    main()
