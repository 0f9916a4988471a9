# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vllm_server's ExecStartPre (files/wait_for_ray_gpus.py) against a real HTTP server replaying the
dashboard's /api/v0/nodes answers captured from Ray 2.60.0 (fixtures/ray/2.60.0)."""

from __future__ import annotations

import importlib.util
import io
import json
import os

import pytest

HERE = os.path.dirname(__file__)
FIX = os.path.join(HERE, "..", "fixtures", "ray", "2.60.0")
SCRIPT = os.path.join(HERE, "..", "..", "..", "roles", "vllm_server", "files", "wait_for_ray_gpus.py")
spec = importlib.util.spec_from_file_location("wait_for_ray_gpus", SCRIPT)
wait = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wait)


PROC = os.path.join(HERE, "..", "fixtures", "proc", "head")
EMPTY_PROC = os.path.join(HERE, "..", "fixtures", "proc", "empty")


def load(name):
    with open(os.path.join(FIX, name)) as f:
        return json.load(f)


@pytest.fixture
def dashboard(http_double):
    """A dashboard that answers the captures in ``answers`` in turn (the last one repeats)."""
    def reply(state):
        return 200, state["answers"].pop(0) if len(state["answers"]) > 1 else state["answers"][0]
    return http_double(reply, answers=[])


class Clock(object):
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t

    def sleep(self, s):
        self.t += s


def no_kill(pid, sig):
    raise AssertionError("no process may be ended here (pid %s)" % pid)


def run(argv, proc_root=None, kill=no_kill):
    """main() with a fake clock; processes are read from proc_root (an empty directory unless given: the tests
    never look at, let alone end, this machine's processes)."""
    clock, out = Clock(), io.StringIO()
    rc = wait.main(argv, clock=clock, sleep=clock.sleep, out=out, proc_root=proc_root or EMPTY_PROC, kill=kill)
    return rc, out.getvalue()


def test_waits_for_the_dead_node_then_succeeds_with_the_token(dashboard, tmp_path):
    token = tmp_path / "token"
    token.write_text("t0ken\n")
    dashboard["answers"] = [load("api_v0_nodes.node_dead.json")] * 3 + [load("api_v0_nodes.healthy.json")]
    rc, out = run(["--dashboard", dashboard["url"], "--gpus", "4", "--token-file", str(token), "--every", "0"])
    assert rc == 0
    assert "waiting for Ray (0 s): 1 alive node(s), 2 of 4 GPU(s)" in out
    assert out.strip().endswith("Ray is ready for vLLM: 2 alive node(s), 4 of 4 GPU(s)")
    assert set(dashboard["auth"]) == {"Bearer t0ken"}


def test_gives_up_after_the_timeout_saying_what_is_missing(dashboard):
    dashboard["answers"] = [load("api_v0_nodes.node_dead.json")]
    rc, out = run(["--dashboard", dashboard["url"], "--gpus", "4", "--timeout", "30", "--token-file", ""])
    assert rc == 1
    assert "gave up after 30 s waiting for Ray: 1 alive node(s), 2 of 4 GPU(s)" in out
    # one line per --every (10 s), not one per poll
    assert out.count("waiting for Ray (") == 3


def test_dashboard_down_is_waited_for():
    rc, out = run(["--dashboard", "http://127.0.0.1:9", "--gpus", "1", "--timeout", "4"])
    assert rc == 1 and "the Ray dashboard does not answer" in out


def orphan_tree(tmp_path):
    """DERIVED from the real /proc entries of the lab head's vLLM (fixtures/proc/head: its API server 13087, its
    EngineCore 13132, a Ray worker, the raylet; captured 2026-12-05): the API server removed and the EngineCore's
    PPid set to 1, as /proc shows an engine whose server was killed while systemd could not kill the unit's cgroup
    (the e2e drill test_vllm_killed on the lab, 2026-12-05: the engine kept the Ray GPUs for 16 minutes)."""
    import shutil
    root = tmp_path / "proc"
    shutil.copytree(PROC, str(root))
    shutil.rmtree(str(root / "13087"))
    status = (root / "13132" / "status").read_text()
    assert "PPid:\t13087\n" in status
    (root / "13132" / "status").write_text(status.replace("PPid:\t13087\n", "PPid:\t1\n"))
    return str(root)


def test_reads_the_real_process_entries():
    assert wait.read_process(PROC, "13132") == (13087, 999, "VLLM::EngineCore")
    assert wait.read_process(PROC, "13087")[1:] == (999, "/opt/vllm_env/bin/python")
    assert wait.read_process(PROC, "4242") is None
    # A running server's engine has its server as parent: nothing to end.
    assert wait.orphaned_engines(PROC, 999) == []


def test_ends_the_engine_an_earlier_start_left_then_waits(dashboard, tmp_path, monkeypatch):
    root, ended = orphan_tree(tmp_path), []
    assert wait.orphaned_engines(root, 999) == [13132]
    assert wait.orphaned_engines(root, 0) == []  # another user's processes are left alone
    dashboard["answers"] = [load("api_v0_nodes.healthy.json")]
    # The script runs as the unit's user (uid 999 on the lab head).
    monkeypatch.setattr(wait.os, "getuid", lambda: 999)
    rc, out = run(["--dashboard", dashboard["url"], "--gpus", "4", "--token-file", ""], root,
                  lambda pid, sig: ended.append((pid, sig)))
    assert rc == 0
    assert ended == [(13132, wait.signal.SIGKILL)]
    assert out.splitlines()[0].startswith("ended vLLM engine process 13132 left by an earlier start")
