# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for the Ray modules: CLI argv, status parsing, diffs, error text.

Nothing here runs a process or opens a socket, so every function is unit-tested
against output captured from real Ray 2.60.0 (tests/unit/fixtures/ray/2.60.0).

Sources of cluster state, all JSON:
- dashboard ``GET /api/v0/nodes?detail=1`` (state API, snake_case keys) and
  ``GET /api/cluster_status`` (the GCS key ``__autoscaling_status`` that ``ray status``
  prints, but with every dict key camelCased by the dashboard, resource names included:
  ``object_store_memory`` arrives as ``objectStoreMemory``);
- the GCS itself (``GcsClient.get_all_node_info`` + ``internal_kv_get``), read by the
  venv's python when the dashboard is off; same shapes, snake_case.
"""

from __future__ import annotations

import hashlib
import json
import re

from ansible_collections.llmops.ray_vllm.plugins.module_utils._vllm_plan import systemd_exec_args

DEFAULT_RAY_EXECUTABLE = "/opt/vllm_env/bin/ray"
DEFAULT_GCS_PORT = 6379
DEFAULT_DASHBOARD_PORT = 8265

# Ray's own per-node marker resources; not capacity, so left out of totals.
_NODE_MARKER_PREFIX = "node:"

# --------------------------------------------------------------------------- #
# addresses and argv
# --------------------------------------------------------------------------- #


def split_address(address, default_port=DEFAULT_GCS_PORT):
    """``"10.0.0.1"`` / ``"10.0.0.1:6380"`` / ``"[fe80::1]:6379"`` -> (host, port)."""
    address = (address or "").strip()
    if not address:
        raise ValueError("empty Ray address")
    if address.startswith("["):
        host, _sep, rest = address[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif address.count(":") == 1:
        host, port = address.split(":")
    else:
        host, port = address, ""
    if port and not port.isdigit():
        raise ValueError("invalid port in Ray address %r" % address)
    return host, int(port) if port else int(default_port)


def join_address(host, port):
    if ":" in host:
        return "[%s]:%d" % (host, port)
    return "%s:%d" % (host, port)


def cluster_address(params):
    """The GCS address this node belongs to: its own for a head, the head's for a worker."""
    if params["role"] == "head":
        return join_address(params["node_ip"], params["port"])
    return join_address(*split_address(params["head_address"], params["port"]))


# option name -> ray start flag, for the plain "--flag=value" integer/str options
_START_FLAGS = (
    ("num_cpus", "--num-cpus"),
    ("num_gpus", "--num-gpus"),
    ("object_manager_port", "--object-manager-port"),
    ("node_manager_port", "--node-manager-port"),
    ("min_worker_port", "--min-worker-port"),
    ("max_worker_port", "--max-worker-port"),
    ("dashboard_agent_listen_port", "--dashboard-agent-listen-port"),
    ("dashboard_agent_grpc_port", "--dashboard-agent-grpc-port"),
    ("runtime_env_agent_port", "--runtime-env-agent-port"),
    ("metrics_export_port", "--metrics-export-port"),
    ("temp_dir", "--temp-dir"),
)
_HEAD_FLAGS = (
    ("dashboard_port", "--dashboard-port"),
    ("ray_client_server_port", "--ray-client-server-port"),
)


def build_start_argv(ray, params, block=False):
    """argv of ``ray start`` for ``params`` (the module's options, already validated).

    ``block``: ``--block`` (the process stays in the foreground and exits when a Ray
    process of the node dies), for a systemd unit.

    The dashboard binds to the node IP unless ``dashboard_host`` says otherwise:
    Ray 2.60's own default is 127.0.0.1, which other hosts cannot reach, and
    0.0.0.0 exposes an unauthenticated code-execution API on every interface.
    """
    argv = [ray, "start", "--node-ip-address=%s" % params["node_ip"]]
    if params["role"] == "head":
        argv += ["--head", "--port=%d" % params["port"]]
        if params.get("include_dashboard", True):
            argv += [
                "--include-dashboard=true",
                "--dashboard-host=%s" % (params.get("dashboard_host") or params["node_ip"]),
            ]
        else:
            argv.append("--include-dashboard=false")
        flags = _START_FLAGS + _HEAD_FLAGS
    else:
        argv.append("--address=%s" % cluster_address(params))
        flags = _START_FLAGS
    for key, flag in flags:
        if params.get(key) is not None:
            argv.append("%s=%s" % (flag, params[key]))
    if params.get("resources"):
        argv.append("--resources=%s" % json.dumps(params["resources"], sort_keys=True, separators=(",", ":")))
    argv.append("--disable-usage-stats")  # never phone home from a cluster host
    argv += list(params.get("extra_args") or [])
    if block:
        argv.append("--block")
    return argv


def build_stop_argv(ray, force=False):
    argv = [ray, "stop"]
    if force:
        argv.append("--force")
    return argv


def build_environment(environment=None, auth_token=None, auth_token_file=None):
    """Environment for ``ray start`` and for the GCS reader.

    ``RAY_AUTH_MODE`` is always set: Ray 2.60 turns token auth on by itself when the
    mode is unset and ``~/.ray/auth_token`` happens to exist, so leaving it unset makes
    the behaviour depend on a stray file.  An explicit ``RAY_AUTH_MODE`` in
    ``environment`` wins.
    """
    env = dict((str(k), str(v)) for k, v in (environment or {}).items())
    if auth_token:
        env.setdefault("RAY_AUTH_MODE", "token")
        env["RAY_AUTH_TOKEN"] = auth_token
    elif auth_token_file:
        env.setdefault("RAY_AUTH_MODE", "token")
        env["RAY_AUTH_TOKEN_PATH"] = auth_token_file
    else:
        env.setdefault("RAY_AUTH_MODE", "disabled")
    return env


# --------------------------------------------------------------------------- #
# parsing cluster state
# --------------------------------------------------------------------------- #


def to_camel_case(name):
    """The dashboard's key conversion (ray/dashboard/utils.py ``to_camel_case``)."""
    parts = name.split("_")
    return parts[0] + "".join(p.title() for p in parts[1:])


def _get(d, snake_key, default=None):
    """Read ``snake_key`` from a snake_case (GCS) or camelCase (dashboard) dict."""
    if not isinstance(d, dict):
        return default
    if snake_key in d:
        return d[snake_key]
    return d.get(to_camel_case(snake_key), default)


def unwrap_dashboard(payload):
    """``{"result": true, "data": {...}}`` -> data; raise on ``result: false``."""
    if isinstance(payload, dict) and "result" in payload and "data" in payload:
        if payload["result"] is False:
            raise ValueError("Ray dashboard answered an error: %s" % payload.get("msg"))
        return payload["data"]
    return payload


def node_list(payload):
    """Node dicts from ``/api/v0/nodes`` (dashboard envelope), ``ray list nodes --format=json``
    (a plain list) or the GCS reader's ``{"nodes": [...]}``."""
    data = unwrap_dashboard(payload)
    while isinstance(data, dict) and "result" in data and not isinstance(data["result"], bool):
        data = data["result"]
    if isinstance(data, dict):
        data = data.get("nodes", [])
    if not isinstance(data, list):
        raise ValueError("unexpected Ray node list: %r" % (payload,))
    return data


def _number(value):
    """Numbers as float; ``ray list nodes`` prints memory as ``"6.811 GiB"`` strings."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _capacity(resources):
    return dict((k, v) for k, v in resources.items() if not k.startswith(_NODE_MARKER_PREFIX))


def _uncamel(d, names):
    """Map dashboard-camelCased resource names back to the real names in ``names``."""
    table = dict((to_camel_case(n), n) for n in names)
    return dict((table.get(k, k) if k not in names else k, v) for k, v in (d or {}).items())


_VLLM_WORKER_RE = re.compile(r"^vllm_Worker_.*?((?:_(?:TP|PP|PCP)\d+)*)$")


def vllm_worker_ranks(actors_payload):
    """``{node_id: ["PP0", ...]}``: the alive vLLM Ray workers per node, from ``/api/v0/actors``.

    vLLM's Ray executor names each worker actor ``vllm_Worker_<instance>[_TP<i>][_PP<j>][_PCP<k>]``
    (``build_actor_name``); a worker of a TP=1 PP=1 engine has no suffix and shows as ``worker``.
    """
    ranks = {}
    for actor in node_list(actors_payload):
        match = _VLLM_WORKER_RE.match(actor.get("name") or "")
        if match and actor.get("state") == "ALIVE":
            label = match.group(1).lstrip("_").replace("_", " ") or "worker"
            ranks.setdefault(actor.get("node_id"), []).append(label)
    return dict((node, sorted(labels)) for node, labels in ranks.items())


def parse_cluster(nodes_payload, status_payload=None, ray_version=None, source="dashboard", actors_payload=None):
    """Structured cluster facts from a node list and an autoscaling-status document.

    ``status_payload`` is the dashboard's ``/api/cluster_status`` answer or the raw
    ``__autoscaling_status`` JSON (or None: then usage and demands are unknown).
    ``actors_payload``: the dashboard's ``/api/v0/actors`` answer, for each node's ``vllm_ranks``
    (None: unknown, an empty list per node).
    """
    ranks = vllm_worker_ranks(actors_payload) if actors_payload is not None else {}
    raw_nodes = node_list(nodes_payload)
    names = set()
    for n in raw_nodes:
        names.update((n.get("resources_total") or {}).keys())

    status = unwrap_dashboard(status_payload) if status_payload is not None else None
    autoscaling_error = None
    if isinstance(status, dict) and ("clusterStatus" in status or "cluster_status" in status):
        autoscaling_error = _get(status, "autoscaling_error")
        status = _get(status, "cluster_status")
    report = _get(status, "load_metrics_report") or {}
    usage_by_node = _get(report, "usage_by_node") or {}

    nodes = []
    for n in raw_nodes:
        total = dict((k, _number(v)) for k, v in (n.get("resources_total") or {}).items())
        node_usage = usage_by_node.get(n.get("node_id"))
        available = None
        if node_usage is not None:
            node_usage = _uncamel(node_usage, names)
            available = dict((k, float(u[1]) - float(u[0])) for k, u in _capacity(node_usage).items())
        state = n.get("state") or "UNKNOWN"
        nodes.append({
            "node_id": n.get("node_id"),
            "ip": n.get("node_ip"),
            "name": n.get("node_name"),
            "hostname": n.get("hostname"),
            "state": state,
            "state_message": n.get("state_message"),
            "alive": state == "ALIVE",
            "is_head": bool(n.get("is_head_node")),
            "resources_total": _capacity(total),
            "resources_available": available,
            "temp_dir": n.get("temp_dir"),
            "vllm_ranks": ranks.get(n.get("node_id"), []),
        })
    nodes.sort(key=lambda x: (not x["is_head"], not x["alive"], x["ip"] or "", x["node_id"] or ""))

    totals = {}
    for n in nodes:
        if n["alive"]:
            for k, v in n["resources_total"].items():
                if v is not None:
                    totals[k] = totals.get(k, 0.0) + v

    usage = None
    if _get(report, "usage") is not None:
        usage = dict(
            (k, {"used": float(u[0]), "total": float(u[1])})
            for k, u in _capacity(_uncamel(_get(report, "usage"), names)).items()
        )

    return {
        "source": source,
        "ray_version": ray_version,
        "nodes": nodes,
        "alive_nodes": sum(1 for n in nodes if n["alive"]),
        "dead_nodes": sum(1 for n in nodes if not n["alive"]),
        "head_ip": next((n["ip"] for n in nodes if n["is_head"] and n["alive"]), None),
        "totals": totals,
        "usage": usage,
        "pending_demands": parse_demands(report, names) if status else None,
        "autoscaling_error": autoscaling_error,
    }


def parse_demands(report, names=()):
    """Unmet demands from a load metrics report: tasks/actors, placement groups, requests."""
    demands = []
    for key, kind in (("resource_demand", "task"), ("request_demand", "request")):
        for shape, count in _get(report, key) or []:
            demands.append({"kind": kind, "resources": _uncamel(shape, names), "count": count})
    for pg, count in _get(report, "pg_demand") or []:
        bundles = [{"resources": _uncamel(b, names), "count": c} for b, c in pg.get("bundles", [])]
        demands.append({"kind": "placement_group", "strategy": pg.get("strategy"),
                        "bundles": bundles, "count": count})
    return demands


def find_node(facts, ip):
    """The alive node with ``ip`` if any, else its newest dead record, else None."""
    matches = [n for n in facts["nodes"] if n["ip"] == ip]
    alive = [n for n in matches if n["alive"]]
    return (alive or matches or [None])[0]


# --------------------------------------------------------------------------- #
# desired vs running node
# --------------------------------------------------------------------------- #


def node_differences(params, node):
    """What differs between the requested node and the running ``node`` (a parsed node).

    Only what the cluster reports can be compared: role, CPUs/GPUs when given,
    custom resources, temp dir (GCS source only).  Returns a list of
    ``{"setting", "wanted", "running"}``.
    """
    diffs = []

    def differ(setting, wanted, running):
        diffs.append({"setting": setting, "wanted": wanted, "running": running})

    if (params["role"] == "head") != node["is_head"]:
        differ("role", params["role"], "head" if node["is_head"] else "worker")
    total = node["resources_total"]
    for key, res in (("num_cpus", "CPU"), ("num_gpus", "GPU")):
        if params.get(key) is not None and float(params[key]) != float(total.get(res, 0.0)):
            differ(key, params[key], total.get(res, 0.0))
    for res, amount in sorted((params.get("resources") or {}).items()):
        if float(amount) != float(total.get(res, 0.0)):
            differ("resources.%s" % res, amount, total.get(res))
    if params.get("temp_dir") and node.get("temp_dir") and params["temp_dir"].rstrip("/") != node["temp_dir"].rstrip("/"):
        differ("temp_dir", params["temp_dir"], node["temp_dir"])
    return diffs


def format_differences(diffs):
    return "; ".join("%s: wanted %s, running %s" % (d["setting"], d["wanted"], d["running"]) for d in diffs)


# --------------------------------------------------------------------------- #
# ray start errors
# --------------------------------------------------------------------------- #

_VERSION_MISMATCH_RE = re.compile(
    r"Version mismatch: The cluster was started with:\s*"
    r"Ray: (?P<cluster_ray>\S+)\s*Python: (?P<cluster_python>\S+)\s*"
    r"This process on node (?P<node>\S+) was started with:\s*"
    r"Ray: (?P<local_ray>\S+)\s*Python: (?P<local_python>\S+)"
)
_PORT_IN_USE_RE = re.compile(r"Failed to start the grpc server\. The specified port is (?P<port>\d+)")
_ALREADY_RUNNING_RE = re.compile(r"Ray is trying to start at (?P<wanted>\S+), but is already running at (?P<running>\S+?)\.")
_AUTH_RE = re.compile(r"InvalidAuthToken|AuthenticationError|Unauthenticated|Unauthorized|Invalid authentication token")
_UNREACHABLE_RE = re.compile(r"Failed to connect to GCS at address (?P<address>\S+)|Unable to connect to GCS")


def classify_start_error(output, context):
    """Turn ``ray start``'s output into ``{"kind", "msg", ...}`` naming the fix.

    ``context`` carries ``address`` (GCS address), ``node_ip``, ``ray_executable``.
    """
    m = _VERSION_MISMATCH_RE.search(output)
    if m:
        info = m.groupdict()
        return dict(info, kind="version_mismatch", msg=(
            "Ray version mismatch: the cluster at %s runs Ray %s (Python %s) but this node (%s) has "
            "Ray %s (Python %s) in %s. Install ray==%s with Python %s in this node's venv "
            "(or upgrade the whole cluster) so every node runs the same versions."
            % (context.get("address"), info["cluster_ray"], info["cluster_python"], info["node"],
               info["local_ray"], info["local_python"], context.get("ray_executable"),
               info["cluster_ray"], info["cluster_python"])))
    m = _ALREADY_RUNNING_RE.search(output)
    if m:
        return {"kind": "already_running", "msg": (
            "A Ray head is already running at %s on this host. Stop it first (state=stopped) "
            "or set restart_on_change=true." % m.group("running"))}
    m = _PORT_IN_USE_RE.search(output)
    if m or "Address already in use" in output:
        port = m.group("port") if m else "?"
        return {"kind": "port_in_use", "port": port, "msg": (
            "Port %s on %s is already in use by another process that is not this Ray node, so Ray "
            "could not start. Find it with `ss -ltnp 'sport = :%s'`, stop it, or choose another port "
            "(port / node_manager_port / object_manager_port / worker port range)."
            % (port, context.get("node_ip"), port))}
    if _AUTH_RE.search(output):
        return {"kind": "auth", "msg": (
            "The Ray cluster at %s refused this node's credentials: token authentication is on. Give "
            "the same token as the head with auth_token or auth_token_file (RAY_AUTH_MODE=token)."
            % context.get("address"))}
    m = _UNREACHABLE_RE.search(output)
    if m:
        return {"kind": "head_unreachable", "msg": head_unreachable_message(context.get("address"))}
    if "No such file or directory" in output and context.get("ray_executable", "") in output:
        return {"kind": "executable_not_found", "msg": executable_missing_message(context.get("ray_executable"))}
    return {"kind": "unknown", "msg": "ray start failed: %s" % output_tail(output)}


def head_unreachable_message(address):
    host, port = split_address(address)
    return (
        "Ray head %s is unreachable: nothing answers on TCP %s port %d. Check that the head is "
        "started (ray_node role=head), that head_address/port name it, and that a firewall "
        "allows TCP %d (and the Ray worker/node ports) between the nodes." % (address, host, port, port))


def executable_missing_message(path):
    venv = path.rsplit("/bin/", 1)[0] if "/bin/" in path else path
    return (
        "Ray executable %s not found. Install ray[default] into the venv %s (role python_venv) "
        "or set ray_executable to the venv's bin/ray." % (path, venv))


def output_tail(output, lines=15):
    return "\n".join((output or "").strip().splitlines()[-lines:])


# --------------------------------------------------------------------------- #
# waiting
# --------------------------------------------------------------------------- #


def missing_for_wait(facts, min_nodes=None, resources=None, expected_node_ips=None):
    """What keeps ``facts`` from satisfying the wait; empty dict when satisfied."""
    missing = {}
    if min_nodes is not None and facts["alive_nodes"] < min_nodes:
        missing["nodes"] = {"wanted": min_nodes, "alive": facts["alive_nodes"]}
    short = {}
    for res, amount in sorted((resources or {}).items()):
        have = facts["totals"].get(res, 0.0)
        if have < float(amount):
            short[res] = {"wanted": float(amount), "have": have, "short_by": float(amount) - have}
    if short:
        missing["resources"] = short
    absent, dead = [], []
    for ip in expected_node_ips or []:
        node = find_node(facts, ip)
        if node is None:
            absent.append(ip)
        elif not node["alive"]:
            dead.append(ip)
    if absent:
        missing["absent_ips"] = absent
    if dead:
        missing["dead_ips"] = dead
    return missing


def format_missing(missing, facts=None):
    parts = []
    if "nodes" in missing:
        parts.append("%(alive)d of %(wanted)d nodes alive" % missing["nodes"])
    for res, s in sorted(missing.get("resources", {}).items()):
        parts.append("%s short by %g (have %g, want %g)" % (res, s["short_by"], s["have"], s["wanted"]))
    if missing.get("absent_ips"):
        parts.append("not in the cluster: %s" % ", ".join(missing["absent_ips"]))
    for ip in missing.get("dead_ips", []):
        node = find_node(facts, ip) if facts else None
        reason = " (%s)" % node["state_message"] if node and node.get("state_message") else ""
        parts.append("dead: %s%s" % (ip, reason))
    return "; ".join(parts)


# --------------------------------------------------------------------------- #
# the node's systemd unit (``ray start --block`` supervised by systemd)
# --------------------------------------------------------------------------- #

_UNIT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ENV_SAFE_RE = re.compile(r"^[A-Za-z0-9_./:,+=@-]+$")
# [Unit] and [Install] settings take effect with a daemon-reload (and a re-enable); anything in
# [Service] only when the service starts again.
_RESTART_SECTIONS = ("Service",)


def unit_name_problem(name):
    """Why ``name`` cannot be a unit's base name (``ray`` -> ``ray.service``), or None."""
    if not name or not _UNIT_NAME_RE.match(name) or name.endswith(".service"):
        return ("service_name %r is not a plain unit name: use letters, digits and _ . @ - without the "
                "'.service' suffix, e.g. 'ray'" % (name,))
    return None


def systemd_env_assignment(name, value):
    """One ``Environment=`` value: ``NAME=value``, double-quoted when needed.

    In ``Environment=`` systemd expands ``%`` specifiers (``%%`` is a literal ``%``) and C escapes
    inside quotes, but not ``$`` (systemd.exec(5)).
    """
    name, value = str(name), str(value)
    if not _ENV_NAME_RE.match(name):
        raise ValueError("environment variable name %r is not valid (letters, digits, _)" % (name,))
    if "\x00" in value or "\n" in value:
        raise ValueError("the value of %s cannot hold a NUL or a newline" % name)
    text = "%s=%s" % (name, value.replace("%", "%%"))
    if _ENV_SAFE_RE.match(value) or value == "":
        return text
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def render_unit(argv, params, environment):
    """Text of ``/etc/systemd/system/<service_name>.service`` running ``argv`` (with ``--block``).

    ``params``: role, node_ip, service_user, service_group, mounts.
    ``environment``: variables of the node (never a token itself: only its file's path).
    ``systemd_exec_args`` (quoting for ``ExecStart=``) is shared with the vLLM unit.
    """
    user = params.get("service_user") or "root"
    group = params.get("service_group") or user
    lines = [
        "# Managed by llmops.ray_vllm.ray_node: edits are replaced on the next run.",
        "[Unit]",
        "Description=Ray %s node %s" % (params["role"], params["node_ip"]),
        "Documentation=https://docs.ray.io/en/latest/cluster/cli.html#ray-start",
        "After=network-online.target remote-fs.target",
        "Wants=network-online.target",
    ]
    for mount in params.get("mounts") or []:
        lines.append("RequiresMountsFor=%s" % mount)
    lines += [
        # a head that is down for long (or a worker whose head is) keeps being retried
        "StartLimitIntervalSec=0",
        "",
        "[Service]",
        "Type=simple",
        "User=%s" % user,
        "Group=%s" % group,
    ]
    for name, value in sorted(environment.items()):
        lines.append("Environment=%s" % systemd_env_assignment(name, value))
    lines += [
        # `ray start --block` exits non-zero when a Ray process of this node dies (raylet, GCS):
        # systemd then starts the whole node again.
        "ExecStart=%s" % systemd_exec_args(argv),
        "Restart=on-failure",
        "RestartSec=5",
        "TimeoutStopSec=60",
        "LimitNOFILE=65536",
        "NoNewPrivileges=yes",
        "ProtectSystem=full",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ]
    return "\n".join(lines)


def node_unit(params):
    """Text of the unit ray_node writes for ``params`` (its options, validated): ``ray start --block`` with them, the
    node's environment (build_environment) and its service settings."""
    environment = build_environment(params.get("environment"), params.get("auth_token"), params.get("auth_token_file"))
    return render_unit(build_start_argv(params["ray_executable"], params, block=True), params, environment)


def unit_read_current(params, unit_read):
    """Whether a read made just before ray_node runs (``unit_read``: ``checksum``, the SHA-1 of the unit file or None
    where it is missing; ``running``, the unit enabled and active) finds the node as ray_node would leave it: started
    under its unit (O(service_name)), the unit file the very text node_unit renders, and running. ray_node's action
    then reports no change without running the module on the host; anything else (no read, another text, a stopped
    or disabled unit, state stopped, no unit) is the module's to decide."""
    if not unit_read or params.get("state", "started") != "started" or not params.get("service_name"):
        return False
    checksum = unit_read.get("checksum")
    if not checksum or not unit_read.get("running"):
        return False
    return hashlib.sha1(node_unit(params).encode("utf-8")).hexdigest() == checksum


def unit_sections(text):
    """``{section: [setting lines]}`` of a unit file, comments and blank lines left out."""
    sections, current = {}, None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections.setdefault(current, [])
        elif current is not None:
            sections[current].append(line)
    return sections


def unit_differences(running_text, wanted_text):
    """Per unit section, the setting lines that differ: ``{setting, wanted, running, restart}``.

    ``running_text`` None (no unit yet) gives no differences: there is nothing running to compare.
    ``restart`` is true for ``[Service]`` lines (they apply only to a new start of the service).
    """
    if running_text is None:
        return []
    running, wanted = unit_sections(running_text), unit_sections(wanted_text)
    diffs = []
    for section in sorted(set(running) | set(wanted)):
        have, want = running.get(section, []), wanted.get(section, [])
        if have != want:
            diffs.append({
                "setting": "unit [%s]" % section,
                "wanted": [x for x in want if x not in have],
                "running": [x for x in have if x not in want],
                "restart": section in _RESTART_SECTIONS,
            })
    return diffs


def unit_is_running(props):
    """Whether the unit runs or is (re)starting: ``activating`` covers Restart='s waiting state."""
    return props.get("ActiveState") in ("active", "activating", "reloading")


def node_rows(nodes, names, lost, missing):
    """Status lines of the Ray cluster's nodes: each alive or lost node of ``nodes`` (parse_cluster's),
    named by ``names`` (IP -> inventory name, else Ray's hostname), with its state, GPUs, head mark and the
    vLLM worker ranks it holds; then one line per inventory IP of ``missing`` (no node at all)."""
    rows = []
    for node in nodes:
        if not (node.get("alive") or node in lost):
            continue
        ranks = node.get("vllm_ranks") or []
        rows.append("  %-10s %-15s %-5s GPU %s%s%s" % (
            names.get(node.get("ip"), node.get("hostname") or "?"), node.get("ip"), node.get("state"),
            int((node.get("resources_total") or {}).get("GPU", 0)), "  (head)" if node.get("is_head") else "",
            ("  vLLM " + " ".join(ranks)) if ranks else ""))
    rows.extend("  %-10s %-15s %s" % (names[ip], ip, "MISSING (not in the Ray cluster)") for ip in missing)
    return rows
