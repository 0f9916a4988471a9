# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Name resolution of the cluster's hosts (pure; unit-tested).

Gloo, NCCL and torch's TCPStore resolve the peers' hostnames. On Debian the installer maps the
host's own name to 127.0.1.1 in /etc/hosts, and gloo then announced 127.0.1.1 to the other
nodes ("Gloo connectFullMesh failed ... remote=[127.0.1.1]", measured on the lab although the
driver had GLOO_SOCKET_IFNAME). Every node therefore gets the same block mapping each Ray host's
names to its cluster IP.
"""

from __future__ import annotations

import ipaddress
import re

_NAME_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def etc_hosts_block(hosts):
    """``/etc/hosts`` lines for ``hosts``: a list of ``[IP, NAME, NAME, ...]`` (e.g. fqdn, hostname).

    One line per host (names deduplicated, order kept, empty names dropped), in the given order.
    Raises ValueError on an invalid IP or name, on a host without a name, and on one name mapped
    to two IPs (the cluster would resolve it differently on different nodes).
    """
    lines, owner = [], {}
    for host in hosts:
        if isinstance(host, (str, bytes)) or not host:
            raise ValueError("each host is a list [IP, NAME, ...], got %r" % (host,))
        ip = str(host[0] or "")
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise ValueError("%r is not an IP address (host names %s)" % (ip, list(host[1:])))
        names = []
        for name in host[1:]:
            name = str(name or "").strip()
            if not name or name in names:
                continue
            if not _NAME_RE.match(name):
                raise ValueError("%r is not a valid host name" % name)
            if owner.setdefault(name.lower(), ip) != ip:
                raise ValueError("host name %s would map to two IPs (%s and %s); give each host its own "
                                 "hostname" % (name, owner[name.lower()], ip))
            names.append(name)
        if not names:
            raise ValueError("no host name for %s" % ip)
        lines.append("%s %s" % (ip, " ".join(names)))
    return "\n".join(lines)


def hosts_by_value(by_host, fmt="{hosts}: {value}", skip_empty=False):
    """One line per distinct value of ``by_host`` (host -> value, in host order), naming every host
    that has it: ``fmt`` with ``{hosts}`` (comma separated) and ``{value}``.

    A list value counts as one value per element (a host with several messages). Empty values are
    left out when ``skip_empty``. Lines come in the order their value first appears.
    """
    groups = {}
    for host, value in by_host.items():
        for item in (value if isinstance(value, (list, tuple)) else [value]):
            if skip_empty and (item is None or item == ""):
                continue
            groups.setdefault(item, []).append(host)
    return [fmt.format(hosts=", ".join(hosts), value=value) for value, hosts in groups.items()]


def play_groups(groups, required, optional=()):
    """The inventory groups a play runs on: every ``required`` group, then each ``optional`` group the inventory
    (``groups``, group name -> hosts) has. A required group that is missing stays in the list (Ansible warns
    about it; validate names the fix)."""
    return list(required) + [g for g in optional if g in groups]


def pins_beyond_common(pins_by_host, none="(no other pin)"):
    """``{host: pins}`` with each host's pins that not every host has, space separated (``none`` when
    it has no other pin). Hosts that agree map to the same text."""
    sets = [set(p) for p in pins_by_host.values()]
    common = set.intersection(*sets) if sets else set()
    return {host: " ".join(p for p in pins if p not in common) or none for host, pins in pins_by_host.items()}
