# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action preflight_probe's payload run by a real Python on standard input (as the action sends it to the host), against
the module on the same reads of this machine: the same result."""

from __future__ import annotations

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


def run_payload(params, path=None):
    env = dict(os.environ, PYTHONPATH="")
    if path is not None:
        env["PATH"] = path
    proc = subprocess.run([sys.executable, "-"], input=payload(params).encode(), capture_output=True, check=False, env=env)
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


def test_a_failure_is_the_module_s_and_an_unreadable_answer_fails(tmp_path, monkeypatch):
    """Without ss on the search path (an empty PATH directory; ss is in /usr/bin and /bin here, not in the sbin
    directories both add) the port read fails the same way in the payload and in the module."""
    params = dict(PARAMS, ports=[dict(port=22, name="ssh", expected="")], gpu_facts=False)
    lean = run_payload(params, path=str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    module = run_module(preflight_probe, dict(params))
    assert lean["failed"] is True and module.failed
    assert lean["msg"].startswith('Failed to find required executable "ss"')
    assert module.result["msg"].startswith('Failed to find required executable "ss"')
    broken = parse_payload_output({"rc": 1, "stdout": "", "stderr": "Traceback: boom"})
    assert broken == {"failed": True, "rc": 1, "msg": "the probe did not answer (rc 1): Traceback: boom"}
    assert parse_payload_output({"rc": 0, "stdout": "[1]", "stderr": ""})["failed"] is True
