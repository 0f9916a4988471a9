# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Monitoring: Prometheus file_sd targets of a cluster, and the metric names a Grafana dashboard queries.

Pure functions (no I/O), unit-tested on the shipped vLLM dashboard and on the dashboards Ray 2.60 generates in
its session directory (captured from a lab head under tests/unit/fixtures/grafana).
"""

from __future__ import annotations

import re

from ansible_collections.llmops.ray_vllm.plugins.module_utils._nics import node_ip

# PromQL words that look like identifiers but name no metric.
_PROMQL_WORDS = frozenset("""
    and or unless bool by without on ignoring group_left group_right offset atmodifier
    inf nan start end
""".split())
# Clauses whose parenthesised list holds label names, not metrics.
_LABEL_LIST = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_SELECTOR = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
# Grafana variables: $name, ${name}, ${name:format}, [[name]]
_GRAFANA_VAR = re.compile(r"\$\{[^}]*\}|\$\w+|\[\[\w+\]\]")
_IDENT = re.compile(r"(?<![\w:.])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?")


def promql_metric_names(expr):
    """The metric names a PromQL expression (with Grafana variables) reads, as a sorted list.

    Label matchers, label lists of by/without/on/ignoring/group_*, strings, range/subquery brackets, function
    names, keywords and numbers are left out.
    """
    text = _GRAFANA_VAR.sub(" ", expr or "")
    text = _STRING.sub(" ", text)
    text = _SELECTOR.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _LABEL_LIST.sub(" ", text)
    names = set()
    for match in _IDENT.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in _PROMQL_WORDS:
            continue
        names.add(name)
    return sorted(names)


def _panels(panels):
    for panel in panels or []:
        yield panel
        yield from _panels(panel.get("panels"))  # collapsed rows hold their panels


def dashboard_queries(dashboard):
    """Every PromQL expression of a Grafana dashboard (its JSON model, or an export with ``dashboard``)."""
    dashboard = dashboard.get("dashboard", dashboard)
    exprs = [target["expr"] for panel in _panels(dashboard.get("panels"))
             for target in panel.get("targets") or [] if target.get("expr")]
    for variable in (dashboard.get("templating") or {}).get("list") or []:
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        match = re.match(r"\s*(label_values|query_result)\((.*)\)\s*$", query or "", re.S) \
            if variable.get("type") == "query" and isinstance(query, str) else None
        if match and match.group(1) == "query_result":
            exprs.append(match.group(2))
        elif match and "," in match.group(2):  # label_values(metric{...}, label); label_values(label) reads no metric
            exprs.append(match.group(2).rsplit(",", 1)[0])
    return exprs


def dashboard_metric_names(dashboard):
    """Sorted metric names queried anywhere in a Grafana dashboard (panels, collapsed rows, variables)."""
    names = set()
    for expr in dashboard_queries(dashboard):
        names.update(promql_metric_names(expr))
    return sorted(names)


def scrape_targets(hosts, hostvars, head, cluster, ray_metrics_port, vllm_port=None, model="", head_metrics_ports=(),
                   vllm_servers=None):
    """Prometheus file_sd target groups of a cluster: one per Ray node (its metrics export port, and on ``head``
    also ``head_metrics_ports``: Ray's autoscaler and dashboard metrics) and one per vLLM server, each with the labels
    cluster, node, role (ray_head, ray_worker, vllm) and, for a server, model.

    The servers: ``vllm_servers`` when given (the layout's records, ``[{name, runs_on, port, served}]``, or
    ``model`` for ``served``: each labelled with its server name too), else one on ``head`` at ``vllm_port`` (when
    set) labelled ``model``. Node addresses follow the node IP rule (``ray_node_ip``, else the default IPv4
    address). Raises ValueError naming the hosts without an address."""
    servers = vllm_servers if vllm_servers is not None else (
        [{"runs_on": head, "port": vllm_port, "model": model}] if vllm_port else [])
    ips = dict((h, node_ip(hostvars[h])) for h in list(hosts) + [head] + [s["runs_on"] for s in servers])
    missing = [h for h in hosts if not ips[h]]
    if missing:
        raise ValueError("no node IP for %s: gather facts (network) or set ray_node_ip" % ", ".join(missing))
    groups = []
    for server in servers:
        labels = {"cluster": cluster, "node": server["runs_on"], "role": "vllm"}
        if server.get("model") or server.get("served"):
            labels["model"] = server.get("model") or server["served"]
        if server.get("name"):
            labels["server"] = server["name"]
        groups.append({"targets": ["%s:%s" % (ips[server["runs_on"]], server["port"])], "labels": labels})
    for host in hosts:
        ports = [ray_metrics_port] + (list(head_metrics_ports or []) if host == head else [])
        groups.append({"targets": ["%s:%s" % (ips[host], port) for port in ports],
                       "labels": {"cluster": cluster, "node": host, "role": "ray_head" if host == head else "ray_worker"}})
    return groups
