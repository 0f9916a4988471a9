#!/usr/bin/env python
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Watchdog of vLLM's unit: restarts it when it stops answering completions (a hung engine).

A frozen engine is invisible to systemd: the API server's process lives and /health answers 200 while
every completion hangs (measured on the lab with ``kill -STOP`` of the engine's process). Every
``--interval`` seconds this asks ``--url`` for a 1-token completion with a ``--timeout`` deadline; after
``--failures`` failed completions in a row it restarts ``--unit`` (``systemctl restart --no-block``) and
says why in the journal (its stdout).

Failures count only once the server has answered since its latest start (systemd's InvocationID of the
unit): a model that is still loading after a restart (minutes for a large one) is never restarted. While
the unit is not active (stopped on purpose, starting, restarting) nothing is asked and nothing is counted.

The API key comes from VLLM_API_KEY, which the watchdog's unit loads from vLLM's own root-only env file;
it is never on a command line and never printed. Standard library only (the unit runs it with the
venv's python).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

# How often a server that is still loading is mentioned in the journal (every Nth probe).
LOADING_EVERY = 10


def new_state(invocation=None):
    """The watchdog's memory of one start of the unit."""
    return {"invocation": invocation, "answered": False, "failures": 0, "waiting": 0}


def step(state, active, invocation, ok, failures_needed):
    """One probe's outcome -> (new state, event). Pure: no I/O.

    ``active``: the unit is active; ``invocation``: its InvocationID (changes with every start, automatic
    restarts included); ``ok``: the completion answered (ignored when not active).
    A new InvocationID starts a fresh state. Events: ``inactive`` (not active: nothing counted),
    ``first_answer``, ``answer``, ``recovered`` (an answer after failures), ``loading`` (no answer yet since
    this start: not counted), ``failure`` (counted) and ``restart`` (``failures_needed`` failures in a row).
    """
    if not active:
        return new_state(), "inactive"
    if invocation != state["invocation"]:
        state = new_state(invocation)
    state = dict(state)
    if ok:
        event = "answer" if state["answered"] and not state["failures"] else (
            "recovered" if state["answered"] else "first_answer")
        state.update(answered=True, failures=0, waiting=0)
        return state, event
    if not state["answered"]:
        state["waiting"] += 1
        return state, "loading"
    state["failures"] += 1
    if state["failures"] >= failures_needed:
        return new_state(invocation), "restart"
    return state, "failure"


def parse_show(text):
    """`systemctl show --property=A,B UNIT` output -> {A: value, B: value}."""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def describe(event, unit, state, reason, seconds, failures_needed):
    """The journal line for an event, or None when it is not worth a line."""
    if event == "first_answer":
        return "%s answered its first completion since it started (%.2f s); failures count from now" % (unit, seconds)
    if event == "recovered":
        return "%s answered again (%.2f s) after %d failed completion(s)" % (unit, seconds, state.get("previous", 0))
    if event == "failure":
        return "completion failed (%d/%d): %s" % (state["failures"], failures_needed, reason)
    if event == "restart":
        return "restarting %s: %d completions in a row failed (last: %s)" % (unit, failures_needed, reason)
    if event == "loading" and state["waiting"] % LOADING_EVERY == 1:
        return "%s has not answered since it started (%s); still loading? not counted" % (unit, reason)
    return None


def unit_state(unit, run=subprocess.run):
    """(active, InvocationID) of the unit."""
    proc = run(["systemctl", "show", unit, "--property=ActiveState,InvocationID"],
               capture_output=True, text=True, check=False)
    show = parse_show(proc.stdout)
    return show.get("ActiveState") == "active", show.get("InvocationID", "")


def ask(url, model, api_key, timeout):
    """(answered, reason, seconds): one 1-token completion within ``timeout`` seconds."""
    body = json.dumps({"model": model, "prompt": "ping", "max_tokens": 1}).encode()
    request = urllib.request.Request(url.rstrip("/") + "/v1/completions", data=body,
                                     headers={"Content-Type": "application/json"})
    if api_key:
        request.add_header("Authorization", "Bearer %s" % api_key)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    start = time.monotonic()
    try:
        with opener.open(request, timeout=timeout) as answer:
            choices = json.loads(answer.read()).get("choices") or []
        if choices:
            return True, "answered", time.monotonic() - start
        return False, "an answer without choices", time.monotonic() - start
    except urllib.error.HTTPError as e:
        return False, "HTTP %d" % e.code, time.monotonic() - start
    except (OSError, ValueError) as e:
        spent = time.monotonic() - start
        if "timed out" in str(e):
            return False, "no answer in %.0f s" % timeout, spent
        return False, str(getattr(e, "reason", e)), spent


def main(argv=None, sleep=time.sleep, out=sys.stdout, probe=ask, read_unit=unit_state, run=subprocess.run):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--unit", required=True, help="vllm.service")
    ap.add_argument("--url", required=True, help="http://127.0.0.1:8000")
    ap.add_argument("--model", required=True, help="the served model name")
    ap.add_argument("--interval", type=float, default=15, help="seconds between completions")
    ap.add_argument("--timeout", type=float, default=30, help="deadline of one completion, seconds")
    ap.add_argument("--failures", type=int, default=3, help="failed completions in a row before a restart")
    ap.add_argument("--probes", type=int, default=0, help="stop after this many probes (0: never; tests)")
    args = ap.parse_args(argv)
    api_key = os.environ.get("VLLM_API_KEY", "")

    def say(line):
        print(line, file=out, flush=True)

    say("watching %s: a 1-token completion every %g s, deadline %g s, restart after %d failures in a row"
        % (args.unit, args.interval, args.timeout, args.failures))
    state, probes = new_state(), 0
    while True:
        active, invocation = read_unit(args.unit)
        ok, reason, seconds = probe(args.url, args.model, api_key, args.timeout) if active else (False, "", 0.0)
        previous = state["failures"]
        state, event = step(state, active, invocation, ok, args.failures)
        line = describe(event, args.unit, dict(state, previous=previous), reason, seconds, args.failures)
        if line:
            say(line)
        if event == "restart":
            # --no-block: this unit is PartOf= vLLM's, so the restart restarts the watchdog too.
            run(["systemctl", "restart", "--no-block", args.unit], check=False)
        probes += 1
        if args.probes and probes >= args.probes:
            return 0
        sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
