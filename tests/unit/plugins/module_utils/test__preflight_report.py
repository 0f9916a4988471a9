# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight report lines, on preflight_probe results as the role registers them."""

from __future__ import annotations

from ansible_collections.llmops.ray_vllm.plugins.module_utils._preflight_report import (
    low_disk,
    misresolved_names,
    probe_summary,
    unreachable_peers,
)

# A worker of the molecule/preflight lab with the head's GCS port dropped by nftables.
WORKER = {
    "disk": [{"path": "/opt/vllm_env", "checked": "/opt", "free_bytes": 52604162048},
             {"path": "/mnt/models", "checked": "/mnt", "free_bytes": 1234567890}],
    "ports": {},
    "port_problems": [],
    "connect": [{"host": "10.213.1.2", "port": 6379, "state": "timeout", "reachable": False, "error": "ETIMEDOUT"}],
    "resolve": {"head": ["127.0.1.1", "10.213.1.2"], "worker1": ["10.213.1.3"], "worker2": []},
}
HEAD = {
    "disk": [{"path": "/opt/vllm_env", "checked": "/opt", "free_bytes": 52604162048},
             {"path": "/mnt/models", "checked": "/", "free_bytes": 52604162048}],
    "ports": {"6379": {"state": "taken"}, "8265": {"state": "free"}, "10001": {"state": "expected"}},
    "connect": [],
    "resolve": {},
}
DISK_FMT = "{free} GB free for {path} (measured on {checked}), {need} GB needed ({var})."


def test_probe_summary():
    assert probe_summary(WORKER) == "free /opt/vllm_env 52.6 GB, /mnt/models 1.2 GB; head 10.213.1.2:6379 timeout"
    assert probe_summary(HEAD) == ("free /opt/vllm_env 52.6 GB, /mnt/models 52.6 GB; ports 6379 taken, 8265 free, "
                                   "10001 expected")
    assert probe_summary({"disk": []}) == "free "


def test_low_disk():
    minimums = [["preflight_venv_min_free_gb", 10], ["preflight_model_min_free_gb", "2.5"]]
    assert low_disk(WORKER["disk"], minimums, DISK_FMT) == [
        "1.2 GB free for /mnt/models (measured on /mnt), 2.5 GB needed (preflight_model_min_free_gb)."]
    assert low_disk(WORKER["disk"], [["a", 100], ["b", 0]], DISK_FMT) == [
        "52.6 GB free for /opt/vllm_env (measured on /opt), 100 GB needed (a)."]
    # No minimum: 0, a negative number, something that is no number, or no entry at all.
    assert low_disk(WORKER["disk"], [["a", -1], ["b", "none"]], DISK_FMT) == []
    assert low_disk(WORKER["disk"], [], DISK_FMT) == []


def test_unreachable_peers():
    fmt = "cannot reach {host}:{port} ({why}), allow TCP {port}"
    assert unreachable_peers(WORKER["connect"], fmt, timeout=3) == ["cannot reach 10.213.1.2:6379 (timeout after 3 s), allow TCP 6379"]
    connect = [{"host": "h", "port": 1, "state": "unreachable", "reachable": False, "error": "EHOSTUNREACH"},
               {"host": "h", "port": 2, "state": "refused", "reachable": True, "error": "ECONNREFUSED"},
               {"host": "h", "port": 3, "state": "open", "reachable": True, "error": None},
               {"host": "h", "port": 4, "state": "blocked", "reachable": False, "error": None}]
    assert unreachable_peers(connect, "{port} {why}") == ["1 unreachable, EHOSTUNREACH", "4 blocked"]


def test_misresolved_names():
    fmt = "{name} resolves to {got}, not {ip}"
    pairs = [["head", "10.213.1.2"], ["worker1", "10.213.1.3"], ["worker2", "10.213.1.4"], ["worker3", ""]]
    assert misresolved_names(pairs, WORKER["resolve"], fmt) == [
        "head resolves to 127.0.1.1, 10.213.1.2, not 10.213.1.2", "worker2 resolves to nothing, not 10.213.1.4"]
    assert misresolved_names([], {}, fmt) == []
