# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_read through a real ansible-playbook on localhost (connection local, real sh): the output and standard error
apart, a failing command, failed_when, check mode; and read_result on the CR LF output of a terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ansible_collections.llmops.ray_vllm.plugins.action.host_read import read_result

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: out and err
      llmops.ray_vllm.host_read:
        argv: [sh, -c, 'echo "one $1"; echo two; echo oops >&2', sh, "a b'c"]
    - name: exit 3, accepted
      llmops.ray_vllm.host_read:
        argv: [sh, -c, 'echo partial; exit 3']
      failed_when: false
    - name: exit 3
      llmops.ray_vllm.host_read:
        argv: [sh, -c, 'exit 3']
      ignore_errors: true
"""


def run_play(tmp_path, *extra):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOCALHOST_WARNING="False",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="False", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(playbook)] + list(extra)
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return [t["hosts"]["localhost"] for t in json.loads(run.stdout)["plays"][0]["tasks"]]


def test_a_real_command_on_localhost(tmp_path):
    out, accepted, failed = run_play(tmp_path)
    assert out["stdout_lines"] == ["one a b'c", "two"] and out["stdout"] == "one a b'c\ntwo"
    assert out["stderr"] == "oops" and out["rc"] == 0
    assert out["changed"] is False and not out.get("failed")
    assert out["cmd"] == ["sh", "-c", 'echo "one $1"; echo two; echo oops >&2', "sh", "a b'c"]
    assert accepted["rc"] == 3 and accepted["stdout"] == "partial" and not accepted.get("failed")
    assert failed["failed"] is True and failed["rc"] == 3
    assert failed["msg"] == "non-zero return code 3 from sh -c 'exit 3'"


def test_check_mode_runs_it_too(tmp_path):
    out, accepted, _failed = run_play(tmp_path, "--check")
    assert out["stdout_lines"] == ["one a b'c", "two"] and out["changed"] is False
    assert accepted["rc"] == 3


def test_a_terminal_s_line_ends():
    result = read_result(["ls"], {"rc": 0, "stdout": "a\r\nb\r\n", "stderr": ""})
    assert result["stdout"] == "a\nb" and result["stdout_lines"] == ["a", "b"] and result["stderr_lines"] == []
