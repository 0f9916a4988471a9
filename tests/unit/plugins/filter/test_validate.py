# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The problem lines of role validate, the cross-host groupings and the head's port table."""

from __future__ import annotations

import pytest

from ansible_collections.llmops.ray_vllm.plugins.filter.cluster import FilterModule as Cluster
from ansible_collections.llmops.ray_vllm.plugins.filter.validate import FilterModule as Validate
from ansible_collections.llmops.ray_vllm.plugins.filter.vllm import FilterModule as Vllm
from ansible_collections.llmops.ray_vllm.plugins.test.api_key import TestModule as ApiKeyTests

F = dict(Cluster().filters(), **Validate().filters())
F.update(Vllm().filters())
api_key = ApiKeyTests().tests()["api_key"]


@pytest.mark.parametrize("key,ok", [
    ("0123456789abcdef", True), ("A-Za-z0-9._~+/=-x", True), ("short", False),
    ("0123456789 abcdef", False), ("0123456789abcdef'", False), ("", False), (None, False),
])
def test_api_key(key, ok):
    assert api_key(key) is ok


def test_hosts_by_value_names_every_host_once_per_value():
    by_host = {"head": ["a", "b"], "worker1": ["a"], "worker2": []}
    assert F["hosts_by_value"](by_host) == ["head, worker1: a", "head: b"]
    pythons = {"head": "3.11.2", "worker1": "3.13.5", "worker2": ""}
    assert F["hosts_by_value"](pythons, "Python {value} on {hosts}", skip_empty=True) == [
        "Python 3.11.2 on head", "Python 3.13.5 on worker1"]


def test_pins_beyond_common():
    pins = {"head": ["ray[default]==2.60.0", "vllm==0.33.0"], "worker1": ["ray[default]==2.59.0", "vllm==0.33.0"],
            "worker2": ["ray[default]==2.60.0", "vllm==0.33.0"]}
    assert F["pins_beyond_common"](pins) == {"head": "ray[default]==2.60.0", "worker1": "ray[default]==2.59.0",
                                             "worker2": "ray[default]==2.60.0"}
    same = {"a": ["x==1"], "b": ["x==1"]}
    assert F["pins_beyond_common"](same) == {"a": "(no other pin)", "b": "(no other pin)"}
    assert F["pins_beyond_common"]({}) == {}


def test_head_ports_dedupe_keeps_the_first_holder():
    ports = F["head_ports"](6379, 8265, "10001", 8000)
    assert [(p["port"], p["name"]) for p in ports] == [
        (6379, "Ray GCS"), (8265, "Ray dashboard"), (10001, "Ray client server"), (8000, "vLLM API")]
    assert [p["name"] for p in F["head_ports"](6379, 8265, 10001, 8265)] == ["Ray GCS", "Ray dashboard", "Ray client server"]
    assert [p["port"] for p in F["head_ports"]("x", 8265, None, 8000)] == [8265, 8000]


def test_server_ports_adds_the_api_ports_of_the_host_servers():
    head = F["head_ports"](6379, 8265, 10001, None)
    one = [{"name": "vllm", "port": 8000, "runs_on": "head"}]
    assert F["server_ports"](head, one, "head")[-1] == {"port": 8000, "name": "vLLM API", "expected": "vllm"}
    assert F["server_ports"]([], one, "worker1") == []
    two = one + [{"name": "coder", "port": "8001", "runs_on": "worker2"}, {"name": "draft", "port": 8265, "runs_on": "head"},
                 {"name": "bad", "port": "x", "runs_on": "worker2"}]
    assert [(p["port"], p["name"]) for p in F["server_ports"](head, two, "head")] == [
        (6379, "Ray GCS"), (8265, "Ray dashboard"), (10001, "Ray client server"), (8000, "vLLM API of vllm")]
    assert F["server_ports"]([], two, "worker2") == [{"port": 8001, "name": "vLLM API of coder", "expected": "vllm"}]


def test_venv_python_problems():
    ok = {"rc": 0, "stdout": "3.11.2\n", "stderr": ""}
    assert F["venv_python_problems"]("h", "python3", ok, "/opt/v", {"rc": 2, "stdout": "", "stderr": ""}) == []
    assert F["venv_python_problems"]("h", "python3", ok, "/opt/v", dict(ok)) == []
    missing = F["venv_python_problems"]("h", "/usr/bin/python3.12", {"rc": 2, "stdout": "", "stderr": ""}, "/opt/v", ok)
    assert missing == ["h: python_venv_python '/usr/bin/python3.12' does not run (rc 2, not found): install it or set "
                       "python_venv_python to an installed Python 3"]
    crashed = F["venv_python_problems"]("h", "py", {"rc": 1, "stdout": "", "stderr": " boom \n"}, "/opt/v", ok)
    assert "does not run (rc 1: boom)" in crashed[0]
    other = F["venv_python_problems"]("h", "python3", {"rc": 0, "stdout": "3.13.5"}, "/opt/v", ok)
    assert other == ["h: the venv /opt/v runs Python 3.11.2 but python_venv_python (python3) is Python 3.13.5, and "
                     "python_venv does not rebuild an existing venv: point python_venv_python at a Python 3.11.2, "
                     "or remove /opt/v to rebuild it"]


def test_nfs_unreachable_problems():
    connect = [{"host": "10.0.0.1", "port": 2049, "state": "open", "error": ""},
               {"host": "10.0.0.1", "port": 2049, "state": "refused", "error": "ECONNREFUSED"},
               {"host": "10.0.0.2", "port": 2049, "state": "timeout", "error": "ETIMEDOUT"}]
    lines = F["nfs_unreachable_problems"]("w1", connect, "", "/srv/models")
    assert lines == [
        "w1: cannot reach the NFS server 10.0.0.1 (10.0.0.1) on TCP port 2049 (refused, ECONNREFUSED); its fstab mounts "
        "/srv/models from there. Fix: start the NFS server (nfs-server or nfs-ganesha on 10.0.0.1) and allow TCP 2049 "
        "from the cluster hosts",
        "w1: cannot reach the NFS server 10.0.0.2 (10.0.0.2) on TCP port 2049 (timeout); its fstab mounts /srv/models "
        "from there. Fix: start the NFS server (nfs-server or nfs-ganesha on 10.0.0.2) and allow TCP 2049 from the "
        "cluster hosts"]
    assert "NFS server storage (10.0.0.2)" in F["nfs_unreachable_problems"]("w1", connect[2:], "storage", "/m")[0]


def test_argspec_problems():
    results = [{"item": "python_venv", "argument_errors": ["a is wrong", "b is wrong"]},
               {"item": "ray_cluster", "argument_errors": []}, {"item": "cuda_check"}]
    assert F["argspec_problems"](results) == [
        "role python_venv: a is wrong; b is wrong. Fix: give these variables the type and choices "
        "roles/python_venv/README.md lists"]


def test_declared_nodes():
    nodes = F["vllm_declared_nodes"](["head", "w1", "w2"], "head", [-1, 2, -1], [4, 8, None])
    assert nodes == [{"name": "head", "gpus": 4, "is_head": True}, {"name": "w1", "gpus": 2, "is_head": False},
                     {"name": "w2", "gpus": 0, "is_head": False}]
    with pytest.raises(Exception, match="differ in length"):
        F["vllm_declared_nodes"](["head"], "head", [], [])


@pytest.mark.parametrize("facts,label,supported", [
    ({"distribution": "Debian", "distribution_version": "12.7", "distribution_major_version": "12"}, "Debian 12", True),
    ({"distribution": "Debian", "distribution_version": "13.1", "distribution_major_version": "13"}, "Debian 13", True),
    ({"distribution": "Debian", "distribution_version": "11.9", "distribution_major_version": "11"}, "Debian 11", False),
    ({"distribution": "Ubuntu", "distribution_version": "22.04", "distribution_major_version": "22"}, "Ubuntu 22.04", True),
    ({"distribution": "Ubuntu", "distribution_version": "23.10", "distribution_major_version": "23"}, "Ubuntu 23.10", False),
    ({"distribution": "Rocky", "distribution_version": "9.4", "distribution_major_version": "9"}, "Rocky 9", True),
    ({}, " ", False),
])
def test_os_support(facts, label, supported):
    from ansible_collections.llmops.ray_vllm.plugins.filter.os_support import FilterModule as Os
    got = Os().filters()["os_support"](facts)
    assert (got["label"], got["supported"]) == (label, supported)
    assert "Debian 12" in got["supported_os"]
    assert bool(got["packages"]) == bool(got["python"]) == supported


@pytest.mark.parametrize("label,python,version", [
    ("Debian 12", "python3", "3.11"), ("Debian 13", "python3", "3.13"), ("Ubuntu 24.04", "python3", "3.12"),
    # The OS's python3 is too old for vLLM 0.33 / Ray 2.60 (3.10, 3.9): the distribution's 3.11 instead.
    ("Ubuntu 22.04", "python3.11", "3.11"), ("Rocky 9", "python3.11", "3.11"), ("RedHat 9", "python3.11", "3.11"),
])
def test_os_support_python(label, python, version):
    from ansible_collections.llmops.ray_vllm.plugins.filter.os_support import FilterModule as Os
    distribution, release = label.split()
    got = Os().filters()["os_support"]({"distribution": distribution, "distribution_version": release,
                                        "distribution_major_version": release.split(".")[0]})
    assert (got["python"], got["python_version"]) == (python, version)
    # The interpreter's own packages are what system_deps installs (its dev headers and venv support).
    assert [p for p in got["packages"] if p.startswith(python)] or python == "python3"
    assert any(p.startswith(python) and p.endswith(("-dev", "-devel")) for p in got["packages"])


def test_venv_python_problems_with_the_planned_os_python():
    """python_venv_python left empty on a fresh Ubuntu 22.04: python3.11 does not run yet (system_deps installs it)."""
    missing = {"rc": 2, "stdout": "", "stderr": ""}
    assert F["venv_python_problems"]("h", "python3.11", missing, "/opt/v", missing, "3.11") == []
    # An existing venv of another minor version is still named, against the planned one.
    venv = {"rc": 0, "stdout": "3.10.12", "stderr": ""}
    assert F["venv_python_problems"]("h", "python3.11", missing, "/opt/v", venv, "3.11") == [
        "h: the venv /opt/v runs Python 3.10.12 but python_venv_python (python3.11) is Python 3.11, and python_venv does "
        "not rebuild an existing venv: point python_venv_python at a Python 3.10.12, or remove /opt/v to rebuild it"]
    assert F["venv_python_problems"]("h", "python3.11", missing, "/opt/v", dict(venv, stdout="3.11.0rc1"), "3.11") == []


def test_python_version_problems():
    same = {"head": {"python": "3.11.2", "os": "Debian 12"}, "w1": {"python": "3.11.2", "os": "Debian 12"}}
    assert F["python_version_problems"](same) == []
    # A planned major.minor compares at that level; an unknown version is left to venv_python_problems.
    assert F["python_version_problems"]({"head": {"python": "3.11.2", "os": "Debian 12"},
                                         "w1": {"python": "3.11", "os": "Ubuntu 22.04"},
                                         "w2": {"python": "", "os": "Debian 12"}}) == []
    patch = dict(same, w1={"python": "3.11.4", "os": "Debian 12"})
    assert F["python_version_problems"](patch) == [
        "python_venv_python runs Python 3.11.2 on head but Python 3.11.4 on w1: Ray and vLLM need the same Python version "
        "on every node. Fix: point python_venv_python at the same Python version on every host."]
    mixed = {"head": {"python": "3.13.5", "os": "Debian 13"}, "w1": {"python": "3.11.2", "os": "Debian 12"},
             "w2": {"python": "3.13.5", "os": "Debian 13"}}
    assert F["python_version_problems"](mixed) == [
        "python_venv_python runs Python 3.13.5 on head, w2 but Python 3.11.2 on w1: Ray and vLLM need the same Python "
        "version on every node. Fix: point python_venv_python at the same Python version on every host. The hosts run "
        "Debian 13 (head, w2) and Debian 12 (w1): each release ships another Python, so give them one Python of the "
        "same version (python_venv_python), or run one OS release on every node."]


ALL_PHASES = ["preflight", "deps", "venv", "firewall", "storage", "ray", "vllm", "monitoring"]


@pytest.mark.parametrize("run_tags,skip_tags,phases", [
    (["all"], [], ALL_PHASES),
    ([], [], ALL_PHASES),
    (["ray"], [], ["ray"]),
    (["vllm", "ray"], [], ["ray", "vllm"]),
    (["ray", "always"], [], ["ray"]),
    # validate alone checks everything
    (["validate"], [], ALL_PHASES),
    # a role's own task tag: what it runs is not known, every check stays
    (["ray", "cuda_check"], [], ALL_PHASES),
    (["tagged"], [], ALL_PHASES),
    (["all"], ["monitoring", "storage"], ["preflight", "deps", "venv", "firewall", "ray", "vllm"]),
    (["vllm"], ["vllm"], []),
])
def test_run_phases(run_tags, skip_tags, phases):
    assert F["run_phases"](run_tags, skip_tags) == phases
