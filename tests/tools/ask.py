# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ask an OpenAI-compatible endpoint for one chat completion and print it (make demo's last step).

Usage: ask.py INVENTORY MODEL [PROMPT]
The endpoint is port 8000 of the first host of group ray_head in INVENTORY (a YAML inventory such as
the one `tests/lab/lab up` writes; run it with the project venv's python); the API key comes from the VLLM_API_KEY environment variable,
never from argv. Prints the endpoint, the answer and the time it took; exits 1 when there is none.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

import yaml  # the project venv's (ansible-core needs it)


def head_address(inventory):
    """Return ansible_host of the first ray_head host of a YAML inventory."""
    with open(inventory) as f:
        inv = yaml.safe_load(f)["all"]
    head = next(iter(inv["children"]["ray_head"]["hosts"]))
    return inv["hosts"][head]["ansible_host"]


def main():
    inventory, model = sys.argv[1:3]
    prompt = sys.argv[3] if len(sys.argv) > 3 else "Hello! Who are you?"
    url = "http://%s:8000/v1/chat/completions" % head_address(inventory)
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": prompt}],
                       "max_tokens": 24}).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": "Bearer " + os.environ["VLLM_API_KEY"]})
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            answer = json.load(resp)
    except (OSError, urllib.error.URLError) as exc:
        print("endpoint %s: no completion: %s" % (url, exc))
        return 1
    text = answer["choices"][0]["message"]["content"]
    print("endpoint:   %s" % url)
    print("prompt:     %s" % prompt)
    print("completion: %s  (%s tokens, %.2f s; a tiny random test model: the words are noise)"
          % (json.dumps(text), answer.get("usage", {}).get("completion_tokens", "?"), time.monotonic() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
