# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which network interface holds an IP, from Ansible's network facts (pure; unit-tested).

NCCL_SOCKET_IFNAME and GLOO_SOCKET_IFNAME name the interface of the cluster IP; Ansible's setup
module lists the interfaces in ``interfaces`` and describes each under its name with ``-``
replaced by ``_`` (``ipv4.address`` and ``ipv4_secondaries[].address``).
"""

from __future__ import annotations


def nics_with_ip(facts, ip):
    """The names of the interfaces of ``facts`` (a host's ``ansible_facts``) that hold IPv4 ``ip``,
    in the order of ``facts['interfaces']``; empty for an empty ``ip``."""
    if not ip:
        return []
    out = []
    for nic in facts.get("interfaces") or []:
        nic_facts = facts.get(nic.replace("-", "_")) or {}
        addresses = [(nic_facts.get("ipv4") or {}).get("address", "")]
        addresses += [entry.get("address") for entry in nic_facts.get("ipv4_secondaries") or []]
        if ip in addresses:
            out.append(nic)
    return out
