"""Kill the vLLM unit's main process, then time until its first chat completion.

Usage: first_completion.py UNIT URL MODEL TIMEOUT
The key comes from the VLLM_API_KEY environment variable (never argv). Prints one JSON line:
seconds from the kill to the first 200 answer with a choice, the unit's MainPID and NRestarts
before and after.
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
    out = subprocess.run(["systemctl", "show", unit, "--property=MainPID,NRestarts,ActiveState"],
                         check=True, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def completion(url, model, key):
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "ping"}],
                       "max_tokens": 1}).encode()
    req = urllib.request.Request(url + "/v1/chat/completions", data=body, method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer " + key})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status == 200 and bool(json.load(resp).get("choices"))


def main():
    unit, url, model, timeout = sys.argv[1:5]
    key = os.environ["VLLM_API_KEY"]
    before = show(unit)
    start = time.monotonic()
    os.kill(int(before["MainPID"]), signal.SIGKILL)
    time.sleep(1)
    attempts = 0
    while time.monotonic() - start < float(timeout):
        attempts += 1
        try:
            if completion(url, model, key):
                break
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(0.5)
    else:
        print(json.dumps({"ok": False, "before": before, "after": show(unit)}))
        return 1
    print(json.dumps({"ok": True, "seconds": round(time.monotonic() - start, 1), "attempts": attempts,
                      "before": before, "after": show(unit)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
