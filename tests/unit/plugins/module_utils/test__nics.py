# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The interface of an IP, on real network facts (fixtures/facts/README.md)."""

from __future__ import annotations

import copy
import json
import os

import pytest

from ansible_collections.llmops.ray_vllm.plugins.module_utils._nics import nics_with_ip

with open(os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "facts", "network-debian12.json")) as f:
    FACTS = json.load(f)


@pytest.mark.parametrize("ip,nics", [
    ("192.0.2.2", ["eth0"]), ("10.213.1.1", ["llb1"]), ("10.213.255.1", ["lo_llmops"]), ("127.0.0.1", ["lo"]),
    ("192.0.2.9", []), ("", []), (None, [])])
def test_real_facts(ip, nics):
    assert nics_with_ip(FACTS, ip) == nics


def test_default_route_interface():
    assert nics_with_ip(FACTS, FACTS["default_ipv4"]["address"]) == [FACTS["default_ipv4"]["interface"]]


def test_secondary_address_and_dashed_name():
    facts = copy.deepcopy(FACTS)
    facts["interfaces"].append("en-p1")
    facts["en_p1"] = {"ipv4": {"address": "10.0.0.7"}, "ipv4_secondaries": [{"address": "10.0.0.3"}]}
    facts["eth0"]["ipv4_secondaries"] = [{"address": "10.0.0.3"}]
    assert nics_with_ip(facts, "10.0.0.3") == ["eth0", "en-p1"]
    assert nics_with_ip(facts, "10.0.0.7") == ["en-p1"]


def test_interface_without_facts():
    assert nics_with_ip({"interfaces": ["gone", "eth0"], "eth0": {"ipv4": {"address": "10.0.0.1"}}}, "10.0.0.1") == ["eth0"]
    assert nics_with_ip({}, "10.0.0.1") == []


def test_node_ip_prefers_ray_node_ip_then_the_default_route():
    from ansible_collections.llmops.ray_vllm.plugins.module_utils._nics import node_ip
    facts = {"default_ipv4": {"address": "10.0.0.5", "interface": "eth0"}}
    assert node_ip({"ray_node_ip": "192.168.7.2", "ansible_facts": facts}) == "192.168.7.2"
    assert node_ip({"ray_node_ip": "", "ansible_facts": facts}) == "10.0.0.5"
    assert node_ip({"ansible_facts": facts}) == "10.0.0.5"
    assert node_ip({"ansible_default_ipv4": {"address": "10.0.0.6"}}) == "10.0.0.6"
    # facts gathered without a default route (or not gathered): no IP, the caller names ray_node_ip
    assert node_ip({"ansible_facts": {"default_ipv4": {}}}) == ""
    assert node_ip({}) == ""
