# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the preflight helpers on real `ss -ltnp` captures from lab hosts (fixtures/ss/README.md)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.llmops.ray_vllm.plugins.module_utils._ports import head_ports
from ansible_collections.llmops.ray_vllm.plugins.module_utils._preflight import (
    check_ports,
    connect_state,
    parse_ss_listeners,
    reachable,
    split_address,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "ss", "iproute2-6.1.0")

# The head's ports as roles preflight and validate probe them (filter head_ports).
HEAD_PORTS = head_ports(6379, 8265, 10001, 8000)


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def read_cmdlines(name):
    """pid -> command line, from a `PID<TAB>cmdline` capture next to the ss capture."""
    out = {}
    for line in fixture(name).splitlines():
        pid, cmdline = line.split("\t", 1)
        out[int(pid)] = cmdline
    return out


@pytest.mark.parametrize("local, expected", [
    ("0.0.0.0:22", ("0.0.0.0", "", 22)),
    ("*:6379", ("*", "", 6379)),
    ("[::]:22", ("::", "", 22)),
    ("[::ffff:127.0.0.1]:10001", ("127.0.0.1", "", 10001)),
    ("127.0.0.53%lo:53", ("127.0.0.53", "lo", 53)),
    ("[fe80::1]%eth0:22", ("fe80::1", "eth0", 22)),
])
def test_split_address(local, expected):
    assert split_address(local) == expected


def test_split_address_without_port():
    with pytest.raises(ValueError):
        split_address("10.0.0.1")


def test_clean_host_has_only_sshd():
    listeners = parse_ss_listeners(fixture("clean_host.txt"))
    assert [(entry["address"], entry["port"]) for entry in listeners] == [("0.0.0.0", 22), ("::", 22)]
    assert listeners[0]["processes"] == [{"name": "sshd", "pid": 33, "fd": 3}]


def test_clean_host_head_ports_are_free():
    ports, problems = check_ports(parse_ss_listeners(fixture("clean_host.txt")), HEAD_PORTS, {})
    assert problems == []
    assert {port: p["state"] for port, p in ports.items()} == {6379: "free", 8265: "free", 10001: "free", 8000: "free"}


def test_ray_head_listeners():
    listeners = parse_ss_listeners(fixture("ray_head.txt"))
    by_port = {}
    for entry in listeners:
        by_port.setdefault(entry["port"], []).append(entry)
    assert [(e["address"], e["processes"][0]["name"]) for e in by_port[6379]] == [("*", "gcs_server")]
    assert [(e["address"], e["processes"][0]["name"]) for e in by_port[8265]] == [("10.213.2.11", "python3")]
    # The client server listens on IPv4-mapped IPv6 addresses: reported as IPv4.
    assert sorted(e["address"] for e in by_port[10001]) == ["10.213.2.11", "127.0.0.1"]
    assert len(listeners) == 15


def test_ray_head_ports_held_by_ray_are_expected():
    listeners = parse_ss_listeners(fixture("ray_head.txt"))
    ports, problems = check_ports(listeners, HEAD_PORTS, read_cmdlines("ray_head_cmdlines.tsv"))
    assert problems == []
    assert {port: p["state"] for port, p in ports.items()} == {
        6379: "expected", 8265: "expected", 10001: "expected", 8000: "free"}


def test_ray_head_without_cmdlines_falls_back_to_process_names():
    # Without command lines only the GCS (named gcs_server) is recognised; python3 holders are not.
    ports, problems = check_ports(parse_ss_listeners(fixture("ray_head.txt")), HEAD_PORTS, {})
    assert ports[6379]["state"] == "expected"
    assert ports[8265]["state"] == "taken"
    assert problems[0].startswith("port 8265 (Ray dashboard) is taken by python3 (pid ")


def test_dummy_listener_on_gcs_port_is_a_problem():
    listeners = parse_ss_listeners(fixture("dummy_6379.txt"))
    ports, problems = check_ports(listeners, HEAD_PORTS, read_cmdlines("dummy_6379_cmdlines.tsv"))
    assert ports[6379]["state"] == "taken"
    assert len(problems) == 1
    assert problems[0].startswith("port 6379 (Ray GCS) is taken by python3 (pid ")
    assert problems[0].endswith(" on 0.0.0.0")


def test_port_without_expected_program_must_be_free():
    problems = check_ports(parse_ss_listeners(fixture("ray_head.txt")), [{"port": 22, "name": "ssh test"}], {})[1]
    assert problems == ["port 22 (ssh test) is taken by sshd (pid 34) on 0.0.0.0, sshd (pid 34) on ::"]


def test_ray_worker_has_no_head_ports():
    listeners = parse_ss_listeners(fixture("ray_worker.txt"))
    ports, problems = check_ports(listeners, HEAD_PORTS, {})
    assert problems == []
    assert set(p["state"] for p in ports.values()) == {"free"}
    assert sorted(set(proc["name"] for e in listeners for proc in e["processes"])) == [
        "ray::DashboardA", "ray::RuntimeEnv", "raylet", "sshd"]


def test_header_less_output_parses_the_same():
    def key(entry):
        return (entry["port"], entry["address"])

    assert (sorted(parse_ss_listeners(fixture("ray_head_noheader.txt")), key=key)
            == sorted(parse_ss_listeners(fixture("ray_head.txt")), key=key))


def test_garbage_line_raises():
    with pytest.raises(ValueError):
        parse_ss_listeners("LISTEN 0 128\n")


@pytest.mark.parametrize("err, state, ok", [
    (None, "open", True),
    ("ECONNREFUSED", "refused", True),
    ("ETIMEDOUT", "timeout", False),
    ("EHOSTUNREACH", "unreachable", False),
    ("EACCES", "blocked", False),
    ("something else", "error", False),
])
def test_connect_state(err, state, ok):
    assert connect_state(err) == state
    assert reachable(state) is ok
