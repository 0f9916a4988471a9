# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the preflight_probe module on this machine, with no mock: real ``ss``, a real TCP listener on
127.0.0.1 (held by this test's own Python process), a closed loopback port, statvfs, the system resolver.
"""

from __future__ import annotations

import grp
import os
import platform
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import tempfile

import pytest

from ansible_collections.llmops.ray_vllm.plugins.modules import preflight_probe
from ansible_collections.llmops.ray_vllm.tests.unit.plugins.modules.harness import run_module


def run(args, check_mode=False):
    return run_module(preflight_probe, args, check_mode=check_mode)


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


def test_stat_read_and_python_versions(tmp_path):
    """One call looks up paths, reads files and runs interpreters; what is missing is reported, not an error."""
    (tmp_path / "fstab").write_bytes(b"srv:/models /mnt/models nfs4 defaults 0 0\n\xff\n")
    missing = str(tmp_path / "missing")
    fstab = str(tmp_path / "fstab")
    out = run({"stat": [str(tmp_path), missing, fstab], "read": [fstab, missing],
               "python_versions": [sys.executable, missing]}, check_mode=True)
    assert not out.failed, out.result.get("msg")
    st = os.stat(str(tmp_path))
    assert out.result["stat"][:2] == [
        {"path": str(tmp_path), "exists": True, "isdir": True, "dev": st.st_dev,
         "owner": pwd.getpwuid(st.st_uid).pw_name, "group": grp.getgrgid(st.st_gid).gr_name,
         "mode": "%04o" % stat.S_IMODE(st.st_mode), "mtime": st.st_mtime, "checksum": None},
        {"path": missing, "exists": False, "isdir": False, "dev": 0, "owner": None, "group": None, "mode": None,
         "mtime": None, "checksum": None}]
    # A regular file's SHA-1, as ansible.builtin.stat's checksum (sha1sum of the same bytes).
    assert out.result["stat"][2]["checksum"] == subprocess.run(
        ["sha1sum", fstab], capture_output=True, text=True, check=True).stdout.split()[0]
    assert out.result["read"] == [
        {"path": str(tmp_path / "fstab"), "exists": True, "content": "srv:/models /mnt/models nfs4 defaults 0 0\n\ufffd\n"},
        {"path": missing, "exists": False, "content": None}]
    ran, not_there = out.result["python_versions"]
    assert (ran["rc"], ran["stdout"].strip()) == (0, platform.python_version())
    assert (not_there["python"], not_there["rc"], not_there["stdout"], not_there["stderr"]) == (missing, 2, "", "")


@pytest.mark.parametrize("machine", ["h100", "h200"])
def test_gpu_facts_as_module_gpu_facts_reads_them(tmp_path, monkeypatch, machine):
    """Option gpu_facts: the stand-in nvidia-smi of test_gpu_facts (no GPU here) replays the real captures; the
    result is gpu_facts' own (not required), read in the same call as the rest."""
    from ansible_collections.llmops.ray_vllm.plugins.modules import gpu_facts
    from ansible_collections.llmops.ray_vllm.tests.unit.plugins.modules.test_gpu_facts import replay

    replay(tmp_path, machine)
    monkeypatch.setenv("PATH", "%s:%s" % (tmp_path, os.environ["PATH"]))
    res = run({"gpu_facts": True, "stat": [str(tmp_path)]}).result
    alone = run_module(gpu_facts, {"required": False}).result
    assert res["gpu_facts"]["gpu_count"] >= 1 and res["gpu_facts"]["driver_present"] is True
    assert res["gpu_facts"] == dict((k, v) for k, v in alone.items() if k not in ("changed", "ansible_facts"))
    assert res["stat"][0]["isdir"] is True


def test_gpu_facts_without_nvidia_smi_is_reported_not_failed(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    out = run({"gpu_facts": True})
    assert not out.failed
    facts = out.result["gpu_facts"]
    assert (facts["driver_present"], facts["gpu_count"], facts["gpus"]) == (False, 0, [])
    assert facts["error"].startswith("nvidia-smi not found (on PATH or in /usr/bin")


def test_no_gpu_facts_unless_asked():
    assert "gpu_facts" not in run({}).result


def test_units_read_in_one_systemctl_show(tmp_path, monkeypatch):
    """Option units: one ``systemctl show`` for every unit. A stand-in systemctl (no systemd here) answers the
    capture of a lab head (fixtures/systemd/show_units.txt) for exactly the argv the module must run."""
    fixture = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "systemd", "show_units.txt")
    names = ["vllm.service", "nftables.service", "no-such-unit.service"]
    argv = "show --property=Id,LoadState,ActiveState,SubState,UnitFileState -- " + " ".join(names)
    stand_in = tmp_path / "systemctl"
    stand_in.write_text('#!/bin/sh\n[ "$*" = "%s" ] || { echo "unexpected: $*" >&2; exit 1; }\ncat %s\n'
                        % (argv, os.path.abspath(fixture)))
    stand_in.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (tmp_path, os.environ["PATH"]))
    units = run({"units": names}, check_mode=True).result["units"]
    assert [(u["name"], u["load"], u["active"], u["sub"], u["enabled"]) for u in units] == [
        ("vllm.service", "loaded", "active", "running", "enabled"),
        ("nftables.service", "loaded", "inactive", "dead", "disabled"),
        ("no-such-unit.service", "not-found", "inactive", "dead", "")]
    assert run({}).result["units"] == []


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/usr/sbin/runuser"), reason="needs root and runuser")
def test_unreadable_lists_what_another_user_cannot_read():
    """Option unreadable: the real runuser and find, as user nobody, in a directory of this test (0755, under /tmp)."""
    top = tempfile.mkdtemp(prefix="probe-unreadable-", dir="/tmp")
    try:
        os.chmod(top, 0o755)
        for name, mode in (("config.json", 0o644), ("model.safetensors", 0o600)):
            with open(os.path.join(top, name), "w") as f:
                f.write("{}")
            os.chmod(os.path.join(top, name), mode)
        os.mkdir(os.path.join(top, "private"), 0o700)
        result = run({"unreadable": [{"path": top, "user": "nobody"},
                                     {"path": top, "user": "no-such-user-llmops"}]}, check_mode=True).result
        found, missing_user = result["unreadable"]
        assert found["rc"] == 1 and found["user"] == "nobody"  # find exits 1: it could not enter private/
        assert sorted(found["paths"]) == [top + "/model.safetensors", top + "/private"]
        assert missing_user["rc"] != 0 and missing_user["paths"] == []
        assert "no-such-user-llmops" in missing_user["stderr"]
        os.chmod(os.path.join(top, "model.safetensors"), 0o644)
        os.rmdir(os.path.join(top, "private"))
        clean = run({"unreadable": [{"path": top, "user": "nobody", "maxdepth": 1}]}).result["unreadable"][0]
        assert (clean["rc"], clean["paths"]) == (0, [])
    finally:
        shutil.rmtree(top)
    assert run({}).result["unreadable"] == []
