# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action preflight_probe's payload run by a real Python on standard input (as the action sends it to the host), against
the module on the same reads of this machine: the same result."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible_collections.llmops.ray_vllm.plugins.action.preflight_probe import parse_payload_output, payload
from ansible_collections.llmops.ray_vllm.plugins.modules import preflight_probe
from harness import run_module

PARAMS = dict(ports=[], paths=["/tmp", "/no/such/dir/below"], connect=[dict(host="127.0.0.1", port=9, timeout=1.0)],
              resolve=["localhost"], stat=["/etc", "/etc/hostname", "/no/such"], read=["/etc/hostname", "/no/such"],
              python_versions=[sys.executable, "/no/such/python"], units=["no-such-unit.service"], unreadable=[],
              gpu_facts=True)


def run_payload(params):
    proc = subprocess.run([sys.executable, "-"], input=payload(params).encode(), capture_output=True, check=False,
                          env=dict(os.environ, PYTHONPATH=""))
    return parse_payload_output({"rc": proc.returncode, "stdout": proc.stdout.decode(), "stderr": proc.stderr.decode()})


def test_the_payload_reads_what_the_module_reads():
    module = run_module(preflight_probe, dict(PARAMS)).result
    lean = run_payload(PARAMS)
    assert not lean.get("failed"), lean
    for key in ("ports", "port_problems", "connect", "resolve", "stat", "read", "units", "unreadable"):
        assert lean[key] == module[key], key
    assert [d["path"] for d in lean["disk"]] == [d["path"] for d in module["disk"]]
    assert [(p["python"], p["rc"], p["stdout"]) for p in lean["python_versions"]] == [
        (p["python"], p["rc"], p["stdout"]) for p in module["python_versions"]]
    assert lean["gpu_facts"]["gpu_count"] == module["gpu_facts"]["gpu_count"] == 0
    assert lean["stat"][2]["exists"] is False and lean["read"][0]["content"]


def test_a_failure_and_an_unreadable_answer():
    failed = run_payload(dict(PARAMS, ports=[dict(port=22, name="ssh", expected="")]))
    # ss is on this machine: the ports are read; the failure path is the answer that is no JSON
    assert "failed" not in failed or failed["msg"]
    broken = parse_payload_output({"rc": 1, "stdout": "", "stderr": "Traceback: boom"})
    assert broken == {"failed": True, "rc": 1, "msg": "the probe did not answer (rc 1): Traceback: boom"}
    assert json.loads(json.dumps(broken)) == broken
