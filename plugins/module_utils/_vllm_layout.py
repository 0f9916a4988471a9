# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several vLLM servers on one cluster, planned together (issue 18). Pure functions, no host.

``servers()`` turns role vllm_server's ``vllm_server_instances`` (and its scalar ``vllm_server_*`` values, which fill
what an entry leaves out and make the one server of an empty list) into complete server records.
``layout()`` places them on the cluster's nodes in one pass:

* A server on vLLM's Ray executor runs its driver on the Ray head and takes whole GPUs from Ray (vLLM's own placement
  group: one ``{"GPU": 1}`` bundle per worker, strategy PACK, ``vllm/v1/executor/ray_utils.py``
  ``initialize_ray_cluster``). Ray knows nothing of GPUs used outside it, so the GPUs given to single-node servers are
  taken out of what Ray declares on their host (``ray_gpus``, ``ray_visible_devices``: role ray_cluster starts that
  node with ``--num-gpus`` and ``CUDA_VISIBLE_DEVICES`` set to the rest).
* A single-node server (backend mp, uni or none; an unset backend on a one-node cluster) runs on one host with
  ``CUDA_VISIBLE_DEVICES`` set to its GPUs: the host named by its ``node``, else the last host (in inventory order)
  with enough free GPUs, so the head, where Ray's driver needs a GPU, is used last.
* Two servers never share a GPU unless both set ``gpu_memory_utilization`` in their entry and the fractions of the
  servers on each shared GPU add up to at most 1 (vLLM's ``gpu_memory_utilization`` is the fraction of a GPU's memory
  one engine may take). Ray servers take whole GPUs.

A layout that does not fit is refused with the servers that do not fit named, and a layout that does (what each could
have), so the fix is in the message.
"""

from __future__ import annotations

# What an entry of vllm_server_instances may set, by the name after "vllm_server_"; what it leaves out is the role's
# own value of that name.
SERVER_KEYS = ("name", "model_path", "served_model_name", "host", "port", "tensor_parallel_size",
               "pipeline_parallel_size", "distributed_executor_backend", "gpu_memory_utilization", "max_model_len",
               "dtype", "chat_template", "extra_args", "environment")
# Keys of an entry that are not role options: the host of a single-node server, the model to download.
ENTRY_KEYS = ("node", "model_repo_id", "model_revision")
SINGLE_NODE_BACKENDS = ("mp", "uni", "none")


def _int(value):
    """An entry's count: None for "not set" (None, 0, "", "0"), else the int."""
    if value in (None, "", 0, "0") or isinstance(value, bool):
        return None
    return int(value)


def servers(listed, defaults, prefix="vllm_server_"):
    """Complete server records from ``listed`` (vllm_server_instances: a list of mappings) and ``defaults`` (the
    role's values by full name, ``vllm_server_port``, ...).

    Each record has every SERVER_KEYS name (the entry's value, else the role's), the ENTRY_KEYS (None when not set),
    ``environment`` as the role's merged with the entry's, and ``sets_memory`` (the entry sets
    ``gpu_memory_utilization``: it may share a GPU). An empty ``listed`` is the one server of ``defaults``
    (``implicit``: layout() puts it on the head and leaves its GPUs to its plan, as before the list existed).
    Types and allowed keys are the argument spec's; this raises ValueError only for what the spec cannot say.
    """
    entries = list(listed or []) or [{}]
    result = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError("vllm_server_instances[%d] is %r, not a mapping" % (index, entry))
        record = dict((key, entry[key] if key in entry else defaults.get(prefix + key)) for key in SERVER_KEYS)
        record["environment"] = dict(defaults.get(prefix + "environment") or {}, **(entry.get("environment") or {}))
        record["extra_args"] = dict(record["extra_args"] or {})
        record.update((key, entry.get(key)) for key in ENTRY_KEYS)
        record["sets_memory"] = "gpu_memory_utilization" in entry
        record["implicit"] = not listed
        result.append(record)
    return result


def _uses_ray(server, node_count):
    backend = server.get("distributed_executor_backend") or ""
    return backend == "ray" or (backend not in SINGLE_NODE_BACKENDS and node_count > 1)


def _need(server):
    """GPUs a single-node server asks for: TP x PP where either is set, None for "a whole free node"."""
    tp, pp = _int(server.get("tensor_parallel_size")), _int(server.get("pipeline_parallel_size"))
    if tp is None and pp is None:
        return None
    return (tp or 1) * (pp or 1)


def _fraction(server):
    return float(server["gpu_memory_utilization"]) if server.get("sets_memory") else None


def _shareable(holders, server, gpu):
    """True when ``server`` may join the servers already on ``gpu`` (all set a memory fraction, the sum fits)."""
    mine = _fraction(server)
    held = [_fraction(other) for other in holders.get(gpu, [])]
    return mine is not None and None not in held and sum(held) + mine <= 1 + 1e-9


def _pick(gpus, holders, server, need):
    """GPU ids of one host for ``server``: free ones first, then shared ones; None when ``need`` do not fit."""
    free = [gpu for gpu in range(gpus) if not holders.get(gpu)]
    if need is None:
        return free if free and len(free) == gpus else None
    shared = [gpu for gpu in range(gpus) if holders.get(gpu) and _shareable(holders, server, gpu)]
    ids = (free + shared)[:need]
    return sorted(ids) if len(ids) == need else None


def _label(node, index):
    for key in ("name", "hostname", "ip", "node_ip"):
        if node.get(key):
            return str(node[key])
    return "node%d" % index


def _describe(hosts, holders):
    return ", ".join("%s: %d of %d free" % (name, sum(1 for g in range(gpus) if not holders[name].get(g)), gpus)
                     for name, gpus, _head in hosts)


def layout(nodes, server_list):
    """Place ``server_list`` (servers()) on ``nodes`` (``[{name, gpus, is_head}]``: vllm_declared_nodes, or the Ray
    nodes with Ray's GPUs).

    Returns ``ok``, ``errors``, ``warnings`` and
      ``servers``: per server (list order) its record plus ``served`` (the name clients send: its served_model_name,
        else its model directory's base name, as the plan has it), ``runs_on`` (the inventory name of its host; ``host``
        stays the address it listens on), ``uses_ray``, ``gpu_ids`` (the
        GPUs of its host a single-node server gets, also in its ``environment`` as ``CUDA_VISIBLE_DEVICES``; empty for
        Ray servers, whose GPUs Ray assigns) and ``nodes`` (a single-node server's plan input: its host with those
        GPUs; empty for the others, planned on the Ray cluster);
      ``ray_nodes``: the nodes as Ray will declare them (a Ray server's plan input);
      ``ray_gpus`` / ``ray_visible_devices``: for each host where single-node servers took GPUs, what Ray declares
        there and the GPU ids it may use (``"2,3"``, ``""`` for none);
      ``by_host``: the server names of each host.
    Never raises on bad input: errors are data.
    """
    errors, warnings = [], []
    hosts = [(_label(node, i), int(node.get("gpus") or 0), bool(node.get("is_head"))) for i, node in enumerate(nodes or [])]
    gpus_of = dict((name, gpus) for name, gpus, _head in hosts)
    heads = [name for name, _gpus, is_head in hosts if is_head]
    head = heads[0] if len(heads) == 1 else None
    if head is None:
        errors.append("The cluster must have exactly one Ray head, found %d (%s). Fix: put exactly one host in the "
                      "ray_head group." % (len(heads), ", ".join(heads) or "none"))
    names = [s["name"] for s in server_list]
    for name in sorted(set(n for n in names if names.count(n) > 1)):
        errors.append("Two servers are named %s (the name is the unit's, /etc/systemd/system/%s.service). Fix: give "
                      "each entry of vllm_server_instances its own name." % (name, name))

    holders = dict((name, {}) for name in gpus_of)
    placed = []
    for server in server_list:
        path = (server.get("model_path") or "").rstrip("/")
        entry = dict(server, uses_ray=_uses_ray(server, len(hosts)), runs_on=None, gpu_ids=[], nodes=[],
                     served=server.get("served_model_name") or path.rsplit("/", 1)[-1])
        placed.append(entry)
        node = server.get("node")
        if node and node not in gpus_of:
            errors.append("Server %s: node %s is not a Ray host (%s). Fix: set its node to one of them, or leave it "
                          "out to let the plan choose." % (server["name"], node, ", ".join(gpus_of)))
            continue
        if entry["uses_ray"] or server.get("implicit"):
            if node and node != head:
                errors.append("Server %s runs on vLLM's Ray executor, whose server (the Ray driver) runs on the Ray "
                              "head %s, not on %s. Fix: leave its node out, or give it backend mp or uni to run it on "
                              "%s alone." % (server["name"], head, node, node))
            entry["runs_on"] = head
            continue
        need = _need(server)
        for name in [node] if node else [h[0] for h in reversed(hosts)]:
            ids = _pick(gpus_of[name], holders[name], server, need)
            if ids:
                entry["runs_on"], entry["gpu_ids"] = name, ids
                entry["nodes"] = [{"name": name, "gpus": len(ids), "is_head": True}]
                entry["environment"] = dict(entry["environment"], CUDA_VISIBLE_DEVICES=",".join(str(g) for g in ids))
                for gpu in ids:
                    holders[name].setdefault(gpu, []).append(server)
                break
        if entry["runs_on"] is None:
            errors.append(
                "Server %s (backend %s, %s) fits on no %s (%s)%s. Fix: %s."
                % (server["name"], server.get("distributed_executor_backend") or "planned",
                   "a whole free node" if need is None else "%d GPU(s) on one node" % need,
                   "node" if not node else "GPU of " + node, _describe(hosts, holders),
                   "" if server.get("sets_memory") else "; it shares no GPU, as it sets no gpu_memory_utilization",
                   _fit_hint(server, need, hosts, holders)))

    ray_nodes = [{"name": name, "gpus": sum(1 for g in range(gpus) if not holders[name].get(g)), "is_head": is_head}
                 for name, gpus, is_head in hosts]
    _check_ray(placed, ray_nodes, errors)
    taken = dict((name, held) for name, held in holders.items() if held)
    ports = {}
    for entry in placed:
        if entry["runs_on"]:
            ports.setdefault((entry["runs_on"], int(entry["port"])), []).append(entry["name"])
    for (host, port), owners in sorted(ports.items()):
        if len(owners) > 1:
            errors.append("Servers %s all listen on port %d of %s. Fix: give each server on a host its own port."
                          % (" and ".join(owners), port, host))
    return {
        "ok": not errors, "errors": errors, "warnings": warnings, "servers": placed, "ray_nodes": ray_nodes,
        "ray_gpus": dict((name, sum(1 for g in range(gpus_of[name]) if not held.get(g))) for name, held in taken.items()),
        "ray_visible_devices": dict((name, ",".join(str(g) for g in range(gpus_of[name]) if not held.get(g)))
                                    for name, held in taken.items()),
        "by_host": dict((name, [e["name"] for e in placed if e["runs_on"] == name]) for name in gpus_of),
    }


def _fit_hint(server, need, hosts, holders):
    most = max([sum(1 for g in range(gpus) if not holders[name].get(g)) for name, gpus, _head in hosts] or [0])
    if most == 0:
        return ("every GPU is taken by the servers before it; remove one, set gpu_memory_utilization on %s and on the "
                "servers it may share with (their fractions of a GPU at most 1 together), or add a GPU node"
                % server["name"])
    if need is None:
        return ("set its tensor_parallel_size to at most %d (the most free GPUs of one node), or pin it with node"
                % most)
    return ("a layout that fits gives %s tensor_parallel_size x pipeline_parallel_size <= %d (the most free GPUs of "
            "one node), or move another server" % (server["name"], most))


def _check_ray(placed, ray_nodes, errors):
    """The Ray servers against the GPUs Ray keeps: one may be planned from them (TP/PP unset), several must say how
    many they take, and together they must fit."""
    ray = [e for e in placed if e["uses_ray"] and e["runs_on"]]
    total = sum(node["gpus"] for node in ray_nodes)
    if len(ray) < 2:
        return
    unset = [e["name"] for e in ray
             if _int(e.get("tensor_parallel_size")) is None or _int(e.get("pipeline_parallel_size")) is None]
    if unset:
        errors.append("Servers %s share the Ray cluster with other Ray servers but leave tensor_parallel_size or "
                      "pipeline_parallel_size to the plan, which would give each all of Ray's %d GPUs. Fix: set both "
                      "for each Ray server." % (", ".join(unset), total))
        return
    wants = [(e["name"], _int(e["tensor_parallel_size"]) * _int(e["pipeline_parallel_size"])) for e in ray]
    if sum(w for _n, w in wants) <= total:
        return
    left, fits = total, []
    for name, want in wants:
        fits.append("%s %d" % (name, min(want, left)))
        left -= min(want, left)
    errors.append("The Ray servers need %s = %d GPUs, but Ray has %d (%s; the GPUs of single-node servers are not "
                  "Ray's). Fix: lower their TP x PP; a layout that fits: %s GPU(s)."
                  % (" + ".join("%d (%s)" % (w, n) for n, w in wants), sum(w for _n, w in wants), total,
                     ", ".join("%s: %d" % (n["name"], n["gpus"]) for n in ray_nodes), ", ".join(fits)))


def server_layout(nodes, listed, defaults):
    """layout() of servers(listed, defaults), with ``models`` (models()): the one call roles make (filter
    vllm_server_layout)."""
    result = layout(nodes, servers(listed, defaults))
    result["models"] = models(result["servers"])
    return result


def models(server_list):
    """The models to download for ``server_list``: one ``{repo_id, revision, name}`` per distinct repository and
    revision whose server sets ``model_repo_id`` (name: the base name of its model path, the directory on the
    shared storage), in list order."""
    result = []
    for server in server_list:
        if not server.get("model_repo_id"):
            continue
        path = (server.get("model_path") or "").rstrip("/")
        model = {"repo_id": server["model_repo_id"], "revision": server.get("model_revision") or "main",
                 "name": path.rsplit("/", 1)[-1] if path else server["model_repo_id"].rsplit("/", 1)[-1]}
        if model not in result:
            result.append(model)
    return result


def problems(layout_result, plans):
    """What is wrong with the servers, one message each: the layout's errors, then each server's plan errors (``plans``:
    server name -> vllm_server_plan's result) in the layout's order, named after their server where there are several
    (one server's read as they always did)."""
    result = list(layout_result.get("errors") or [])
    names = [server["name"] for server in layout_result.get("servers") or []]
    for name in names:
        for error in (plans.get(name) or {}).get("errors") or []:
            result.append("server %s: %s" % (name, error) if len(names) > 1 else error)
    return result
