# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host's cluster identity: its node IP and the network interface that holds it (pure; unit-tested).

The node IP rule lives here only: the host variable ``ray_node_ip``, else the address of the default IPv4
route from gathered facts. Every role (preflight, ray_cluster, host_firewall, vllm_server) reads it through
the filters ``node_ip`` and ``nics_with_ip``.

NCCL_SOCKET_IFNAME and GLOO_SOCKET_IFNAME name the interface of the cluster IP; Ansible's setup
module lists the interfaces in ``interfaces`` and describes each under its name with ``-``
replaced by ``_`` (``ipv4.address`` and ``ipv4_secondaries[].address``).
"""

from __future__ import annotations

import re


def nics_with_ip(facts, ip):
    """The names of the interfaces of ``facts`` (a host's ``ansible_facts``) that hold IPv4 ``ip``,
    in the order of ``facts['interfaces']``; empty for an empty ``ip``."""
    if not ip:
        return []
    out = []
    for nic in facts.get("interfaces") or []:
        nic_facts = facts.get(nic.replace("-", "_")) or facts.get(re.sub(r"[-:.]", "_", nic)) or {}
        addresses = [(nic_facts.get("ipv4") or {}).get("address", "")]
        addresses += [entry.get("address") for entry in nic_facts.get("ipv4_secondaries") or []]
        if ip in addresses:
            out.append(nic)
    return out


def node_ip(host_vars):
    """The cluster IP of a host from its variables (``hostvars[host]``): ``ray_node_ip`` when set and not
    empty, else ``ansible_facts.default_ipv4.address`` (or the injected ``ansible_default_ipv4``), else ""
    (facts not gathered and no ``ray_node_ip``: the caller names the fix)."""
    explicit = host_vars.get("ray_node_ip")
    if explicit:
        return str(explicit)
    facts = host_vars.get("ansible_facts") or {}
    route = facts.get("default_ipv4") or host_vars.get("ansible_default_ipv4") or {}
    return str(route.get("address") or "")
