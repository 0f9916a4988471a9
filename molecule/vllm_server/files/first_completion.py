"""Break the vLLM unit, then time until its first chat completion.

Usage: first_completion.py UNIT URL MODEL TIMEOUT [kill|freeze]
kill (default): SIGKILL of the unit's main process (systemd restarts it). freeze: SIGSTOP of the engine's
process (VLLM::EngineCore, a child of the main process): the unit stays active and /health answers 200 while
completions hang, so only the watchdog (UNIT-watchdog.service) can restart it.
The key comes from the VLLM_API_KEY environment variable (never argv). Prints one JSON line: seconds from
the break to the first 200 answer with a choice from a new start of the unit (a new InvocationID), the unit's MainPID, NRestarts and InvocationID before and
after, /health during the freeze, whether the frozen process is gone, the watchdog's journal lines since the
break (after the first answer, until the watchdog has seen one too, at most 30 s) and when (seconds after the
break) it decided to restart.
"""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request


def show(unit):
    out = subprocess.run(["systemctl", "show", unit, "--property=MainPID,NRestarts,ActiveState,InvocationID"],
                         check=True, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def request(url, key, body=None, timeout=5):
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer " + key})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, json.load(resp) if body else None


def completion(url, model, key):
    status, answer = request(url + "/v1/chat/completions", key, {
        "model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1})
    return status == 200 and bool(answer.get("choices"))


def engine_pid(main_pid):
    """The engine's process: the main process's child whose name says EngineCore."""
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(main_pid)], capture_output=True, text=True,
                         check=False).stdout
    pids = [int(line.split(None, 1)[0]) for line in out.splitlines() if "EngineCore" in line]
    if not pids:
        raise SystemExit("no EngineCore child of %s: %s" % (main_pid, out))
    return pids[0]


def watchdog_journal(unit, since):
    """The journal entries of the unit's watchdog since ``since`` (journalctl -o json)."""
    out = subprocess.run(["journalctl", "-u", unit.replace(".service", "-watchdog.service"), "--since", since, "-o",
                          "json", "--output-fields=MESSAGE", "--no-pager"], capture_output=True, text=True,
                         check=False).stdout
    return [json.loads(line) for line in out.splitlines()]


def main():
    unit, url, model, timeout = sys.argv[1:5]
    mode = sys.argv[5] if len(sys.argv) > 5 else "kill"
    key = os.environ["VLLM_API_KEY"]
    before = show(unit)
    broke = time.time()
    since = "@%d" % int(broke)
    start = time.monotonic()
    extra = {}
    if mode == "freeze":
        pid = engine_pid(before["MainPID"])
        os.kill(pid, signal.SIGSTOP)
        extra["frozen_pid"] = pid
        time.sleep(1)
        try:
            extra["health_while_frozen"] = request(url + "/health", key)[0]
        except (OSError, urllib.error.URLError) as e:
            extra["health_while_frozen"] = str(e)
    else:
        os.kill(int(before["MainPID"]), signal.SIGKILL)
        time.sleep(1)
    attempts = 0
    ok = False
    while time.monotonic() - start < float(timeout):
        attempts += 1
        try:
            # Answered by a new start of the unit: systemd wakes a frozen engine (SIGCONT with SIGTERM) while it
            # stops the old one, and that one may still answer a request on its way out.
            if completion(url, model, key) and show(unit)["InvocationID"] != before["InvocationID"]:
                ok = True
                break
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(0.5)
    if "frozen_pid" in extra:
        extra["frozen_gone"] = not os.path.exists("/proc/%d" % extra["frozen_pid"])
    journal = watchdog_journal(unit, since)
    # The watchdog asks every few seconds: give it time to see the answer this script already got.
    settle = time.monotonic() + 30
    while ok and time.monotonic() < settle and not any(
            "answered its first completion since it started" in entry["MESSAGE"] for entry in journal):
        time.sleep(1)
        journal = watchdog_journal(unit, since)
    extra["watchdog"] = [entry["MESSAGE"] for entry in journal]
    # seconds from the break to the watchdog's restart decision
    extra["restart_at"] = [round(int(entry["__REALTIME_TIMESTAMP"]) / 1e6 - broke, 1) for entry in journal
                           if entry["MESSAGE"].startswith("restarting ")]
    print(json.dumps(dict(extra, ok=ok, seconds=round(time.monotonic() - start, 1), attempts=attempts,
                          before=before, after=show(unit))))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
