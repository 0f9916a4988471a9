# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a Ray cluster's state, shared by ray_cluster_info, ray_wait and ray_node.

Two JSON sources, tried in this order by ``source=auto``:
- ``dashboard``: two HTTP GETs to the head's dashboard (``/api/v0/nodes?detail=1`` and
  ``/api/cluster_status``) plus ``/api/version``; tens of milliseconds.
- ``gcs``: the venv's python asks the GCS directly (``GcsClient.get_all_node_info`` and the
  ``__autoscaling_status`` KV key that ``ray status`` reads); about a second of Python start-up,
  but works with the dashboard disabled and sees each node's temp dir.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import time

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import Request

from ansible_collections.llmops.ray_vllm.plugins.module_utils._ray import (
    DEFAULT_DASHBOARD_PORT,
    DEFAULT_GCS_PORT,
    DEFAULT_RAY_EXECUTABLE,
    build_environment,
    head_unreachable_message,
    join_address,
    parse_cluster,
    split_address,
)

# Options every Ray module shares (the action group ``llmops.ray_vllm.ray`` sets them once).
CLIENT_ARGUMENT_SPEC = dict(
    head_address=dict(type="str"),
    port=dict(type="int", default=DEFAULT_GCS_PORT),
    dashboard_port=dict(type="int", default=DEFAULT_DASHBOARD_PORT),
    ray_executable=dict(type="path", default=DEFAULT_RAY_EXECUTABLE),
    auth_token=dict(type="str", no_log=True),
    auth_token_file=dict(type="path"),
)
READER_ARGUMENT_SPEC = dict(
    CLIENT_ARGUMENT_SPEC,
    source=dict(type="str", default="auto", choices=["auto", "dashboard", "gcs"]),
    request_timeout=dict(type="float", default=5.0),
)
MUTUALLY_EXCLUSIVE = [["auth_token", "auth_token_file"]]
# ray_node's options (the module checks them; its action plugin too, before it decides the module need not run).
NODE_ARGUMENT_SPEC = dict(
    CLIENT_ARGUMENT_SPEC,
    state=dict(type="str", default="started", choices=["started", "stopped"]),
    role=dict(type="str", default="worker", choices=["head", "worker"]),
    node_ip=dict(type="str"),
    num_cpus=dict(type="int"),
    num_gpus=dict(type="int"),
    resources=dict(type="dict", default={}),
    include_dashboard=dict(type="bool", default=True),
    dashboard_host=dict(type="str"),
    ray_client_server_port=dict(type="int"),
    object_manager_port=dict(type="int"),
    node_manager_port=dict(type="int"),
    min_worker_port=dict(type="int"),
    max_worker_port=dict(type="int"),
    dashboard_agent_listen_port=dict(type="int"),
    dashboard_agent_grpc_port=dict(type="int"),
    runtime_env_agent_port=dict(type="int"),
    metrics_export_port=dict(type="int"),
    temp_dir=dict(type="path", default="/tmp/ray"),
    environment=dict(type="dict", default={}),
    extra_args=dict(type="list", elements="str", default=[]),
    service_name=dict(type="str"),
    service_user=dict(type="str", default="root"),
    service_group=dict(type="str"),
    mounts=dict(type="list", elements="path", default=[]),
    restart_on_change=dict(type="bool", default=False),
    head_pending=dict(type="bool", default=False),
    start_timeout=dict(type="float", default=120),
    unit_read=dict(type="dict"),
)
NODE_REQUIRED_IF = [["state", "started", ["node_ip"]]]

# Run by the venv's python: prints {"ray_version", "nodes", "cluster_status"} as JSON.
GCS_READER_SCRIPT = r"""
import json, sys
import ray, ray._raylet
from ray._private import ray_constants
c = ray._raylet.GcsClient(address=sys.argv[1])
nodes = []
for info in c.get_all_node_info().values():
    nodes.append({
        "node_id": info.node_id.hex(),
        "node_ip": info.node_manager_address,
        "node_name": info.node_name,
        "hostname": info.node_manager_hostname,
        "is_head_node": info.is_head_node,
        "state": "ALIVE" if info.state == 0 else "DEAD",
        "state_message": (info.death_info.reason_message or None) if info.state else None,
        "resources_total": dict(info.resources_total),
        "temp_dir": info.temp_dir,
    })
status = c.internal_kv_get(ray_constants.DEBUG_AUTOSCALING_STATUS.encode(), namespace=None)
error = c.internal_kv_get(ray_constants.DEBUG_AUTOSCALING_ERROR.encode(), namespace=None)
json.dump({"ray_version": ray.__version__, "nodes": nodes,
           "cluster_status": {"cluster_status": json.loads(status) if status else None,
                              "autoscaling_error": error.decode() if error else None}}, sys.stdout)
"""


class RayReadError(Exception):
    """The cluster could not be read; ``str()`` says why and what to do."""


def tcp_reachable(host, port, timeout=3.0):
    """True when something accepts a TCP connection on host:port."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except (OSError, socket.timeout):
        return False
    sock.close()
    return True


def token_from_params(params):
    if params.get("auth_token"):
        return params["auth_token"]
    if params.get("auth_token_file"):
        try:
            with open(params["auth_token_file"]) as f:
                return f.read().strip()
        except (IOError, OSError) as e:
            raise RayReadError("cannot read auth_token_file %s: %s" % (params["auth_token_file"], e))
    return None


def dashboard_opener(token=None, timeout=5.0):
    """``opener(url)`` for the dashboard: ansible's ``Request`` with the bearer token.

    The dashboard speaks plain HTTP. ``open_url`` builds a default SSL context on every
    call (about 30 ms loading the system CA store); a bare context built once avoids that
    and still refuses an unverified HTTPS peer.  Proxies are not used: the dashboard is on
    the cluster network.
    """
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = "Bearer %s" % token
    request = Request(headers=headers, timeout=timeout, use_proxy=False,
                      context=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
    return lambda url: request.open("GET", url)


def _get_json(url, opener):
    try:
        return json.loads(opener(url).read())
    except HTTPError as e:
        if e.code in (401, 403):
            raise RayReadError(
                "Ray dashboard %s answered HTTP %d (%s): token authentication is on; set auth_token or "
                "auth_token_file to the cluster's token." % (url, e.code, e.reason))
        raise RayReadError("Ray dashboard %s answered HTTP %d %s" % (url, e.code, e.reason))
    except (URLError, socket.timeout, OSError, ValueError) as e:
        raise RayReadError("Ray dashboard %s did not answer: %s" % (url, e))


def read_dashboard(host, dashboard_port, token=None, timeout=5.0, opener=None):
    opener = opener or dashboard_opener(token, timeout)
    base = "http://%s" % join_address(host, dashboard_port)
    nodes = _get_json(base + "/api/v0/nodes?detail=1&limit=10000", opener)
    status = _get_json(base + "/api/cluster_status", opener)
    version = _get_json(base + "/api/version", opener)
    try:  # which vLLM worker runs where: nice to have, never a reason to fail the read
        actors = _get_json(base + "/api/v0/actors?detail=1&limit=10000", opener)
    except RayReadError:
        actors = None
    return parse_cluster(nodes, status, ray_version=version.get("ray_version"), source="dashboard",
                         actors_payload=actors)


def venv_python(ray_executable):
    return os.path.join(os.path.dirname(ray_executable), "python")


def read_gcs(module, params, address):
    python = venv_python(params["ray_executable"])
    if not os.path.exists(python):
        raise RayReadError("python %s (next to ray_executable) not found; the gcs source needs the Ray venv" % python)
    env = build_environment(None, params.get("auth_token"), params.get("auth_token_file"))
    rc, out, err = module.run_command([python, "-c", GCS_READER_SCRIPT, address], environ_update=env)
    if rc != 0:
        raise RayReadError("reading the GCS at %s failed: %s" % (address, "\n".join(err.strip().splitlines()[-3:])))
    doc = json.loads(out)
    return parse_cluster(doc, doc["cluster_status"], ray_version=doc["ray_version"], source="gcs")


def read_cluster(module, params, opener=None):
    """Facts of the cluster whose head is ``params['head_address']`` using ``params['source']``."""
    host, port = split_address(params["head_address"], params["port"])
    source = params.get("source", "auto")
    errors = []
    if source in ("auto", "dashboard"):
        try:
            return read_dashboard(host, params["dashboard_port"], token_from_params(params),
                                  params.get("request_timeout", 5.0), opener)
        except RayReadError as e:
            if source == "dashboard" or "HTTP 40" in str(e):
                raise
            errors.append(str(e))
    if not tcp_reachable(host, port, params.get("request_timeout", 5.0)):
        errors.append(head_unreachable_message(join_address(host, port)))
        raise RayReadError("; ".join(errors))
    try:
        return read_gcs(module, params, join_address(host, port))
    except RayReadError as e:
        errors.append(str(e))
        raise RayReadError("; ".join(errors))


def wait_for(read, check, timeout, poll_interval, clock=time.monotonic, sleep=time.sleep):
    """Poll ``read()`` until ``check(result)`` is falsy (nothing missing) or the deadline passes.

    Returns ``(result, missing, elapsed, polls)``; read errors count as "missing" and are
    retried until the deadline (a head restarting is a normal thing to wait through).
    """
    start = clock()
    deadline = start + timeout
    polls = 0
    while True:
        polls += 1
        try:
            result = read()
            missing = check(result)
        except RayReadError as e:
            result, missing = None, {"error": str(e)}
        now = clock()
        if not missing or now >= deadline:
            return result, missing, now - start, polls
        sleep(max(0.0, min(poll_interval, deadline - now)))


# Entries ``ray start`` creates directly under its temp dir; state=stopped removes only these.
SESSION_ENTRIES = ("session_latest", "ray_current_cluster", "prom_metrics_service_discovery.json")


def session_entries(temp_dir):
    """Ray-owned entries under ``temp_dir`` (session dirs and their pointers)."""
    try:
        names = os.listdir(temp_dir)
    except OSError:
        return []
    return sorted(n for n in names if n.startswith("session_") or n in SESSION_ENTRIES)


def local_session(temp_dir):
    """This host's Ray session under ``temp_dir``, from Ray's own files.

    ``raylet_alive`` is true when the latest session's raylet accepts a connection on its
    unix socket (a dead raylet leaves the socket file behind but refuses connections).
    """
    session = os.path.join(temp_dir, "session_latest")
    address = None
    try:
        with open(os.path.join(temp_dir, "ray_current_cluster")) as f:
            address = f.read().strip() or None
    except (IOError, OSError):
        pass
    alive = False
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(2.0)
        sock.connect(os.path.join(session, "sockets", "raylet"))
        alive = True
    except (OSError, socket.timeout):
        pass
    finally:
        sock.close()
    return {
        "session_dir": os.path.realpath(session) if os.path.islink(session) else None,
        "cluster_address": address,
        "raylet_alive": alive,
    }
