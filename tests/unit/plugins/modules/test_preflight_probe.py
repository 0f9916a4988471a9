# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the preflight_probe module on this machine, with no mock: real ``ss``, a real TCP listener on
127.0.0.1 (held by this test's own Python process), a closed loopback port, statvfs, the system resolver.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket

import pytest

from ansible.module_utils import basic

from ansible_collections.llmops.ray_vllm.plugins.modules import preflight_probe

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19

    @contextlib.contextmanager
    def patch_module_args(args):
        old = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = old


class Exit(Exception):
    def __init__(self, failed, result):
        super().__init__(result.get("msg", ""))
        self.failed = failed
        self.result = result


def run(args, check_mode=False):
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args):
        module = preflight_probe.build_module()

    def exit_json(**result):
        raise Exit(False, result)

    def fail_json(msg, **result):
        raise Exit(True, dict(result, msg=msg))

    module.exit_json = exit_json
    module.fail_json = fail_json
    with pytest.raises(Exit) as info:
        preflight_probe.run_module(module)
    return info.value


@pytest.fixture
def listener():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield sock.getsockname()[1]
    sock.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not os.path.exists("/proc/self/cmdline"), reason="needs Linux /proc")
@pytest.mark.parametrize("check_mode", [False, True])
def test_port_held_by_this_process(listener, check_mode):
    with open("/proc/self/comm") as f:
        me = f.read().strip()  # what ss shows as the process name
    out = run({"ports": [{"port": listener, "name": "test", "expected": "pytest|py\\.test"},
                         {"port": listener, "name": "must be free"}]}, check_mode=check_mode)
    assert not out.failed, out.result.get("msg")
    assert out.result["changed"] is False
    assert out.result["ports"][str(listener)]["name"] == "must be free"  # the later spec of a port wins
    assert len(out.result["port_problems"]) == 1
    assert out.result["port_problems"][0].startswith("port %d (must be free) is taken by " % listener)
    assert out.result["port_problems"][0].endswith("taken by %s (pid %d) on 127.0.0.1" % (me, os.getpid()))


def test_expected_holder_is_not_a_problem(listener):
    out = run({"ports": [{"port": listener, "name": "test", "expected": "pytest|py\\.test"}]})
    assert out.result["port_problems"] == []
    assert out.result["ports"][str(listener)]["state"] == "expected"


def test_connect_open_and_refused(listener):
    closed = free_port()
    out = run({"connect": [{"host": "127.0.0.1", "port": listener}, {"host": "127.0.0.1", "port": closed}]})
    assert [(c["state"], c["reachable"]) for c in out.result["connect"]] == [("open", True), ("refused", True)]
    assert out.result["connect"][1]["error"] == "ECONNREFUSED"


def test_disk_uses_nearest_existing_directory(tmp_path):
    missing = str(tmp_path / "a" / "b")
    out = run({"paths": [missing]})
    disk = out.result["disk"][0]
    assert disk["path"] == missing
    assert disk["checked"] == str(tmp_path)
    st = os.statvfs(str(tmp_path))
    assert abs(disk["free_bytes"] - st.f_bavail * st.f_frsize) < 1 << 30


def test_resolve():
    out = run({"resolve": ["localhost", "no-such-host.invalid"]})
    assert out.result["resolve"]["localhost"][0].startswith("127.")
    assert out.result["resolve"]["no-such-host.invalid"] == []
