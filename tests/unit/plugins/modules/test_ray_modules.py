# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ray_cluster_info, ray_wait and ray_node driven through AnsibleModule.

The dashboard is a real HTTP server on 127.0.0.1 that replays the JSON a real Ray 2.60.0 dashboard
answered (fixtures/ray/2.60.0), including its 401/403 texts for missing/wrong tokens. That replay
is the one stand-in: a Ray cluster needs network namespaces and minutes, which unit tests do not
have (tests/integration/ray covers the real thing). Everything else is real: argument parsing,
ansible's Request, sockets, the temp dir on disk.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import tempfile
import threading

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.llmops.ray_vllm.plugins.modules import ray_cluster_info, ray_node, ray_wait
from ansible_collections.llmops.ray_vllm.tests.unit.plugins.modules.harness import run_module as harness_run


FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "ray", "2.60.0")
TOKEN = "secret-token"


def body(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read()


class Dashboard(object):
    """Replays captured dashboard answers; ``tags`` is the fixture set per successive nodes request."""

    def __init__(self, tags, token=None):
        self.tags, self.token, self.requests = list(tags), token, 0
        dash = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if dash.token is not None:
                    auth = self.headers.get("Authorization")
                    if auth != "Bearer %s" % dash.token:
                        # texts exactly as Ray 2.60's token middleware sent them (fixtures/ray/2.60.0/auth)
                        code, text = (401, b"Unauthorized: Missing authentication token") if not auth else (
                            403, b"Forbidden: Invalid authentication token")
                        self.send_response(code)
                        self.end_headers()
                        self.wfile.write(text)
                        return
                tag = dash.tags[min(dash.requests, len(dash.tags) - 1)]
                if self.path.startswith("/api/v0/nodes"):
                    dash.requests += 1
                    data = body("api_v0_nodes.%s.json" % tag)
                elif self.path == "/api/cluster_status":
                    data = body("api_cluster_status.%s.json" % tag)
                elif self.path == "/api/version":
                    data = body("api_version.json")
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def dashboard():
    servers = []

    def make(tags, token=None):
        servers.append(Dashboard(tags, token))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(mod, args, **kw):
    return harness_run(mod, args, **kw)


# ------------------------------------------------------------------ ray_cluster_info


def test_cluster_info_reads_dashboard(dashboard):
    d = dashboard(["healthy"])
    r = run(ray_cluster_info, dict(head_address="127.0.0.1", dashboard_port=d.port))
    assert not r.failed and r.result["changed"] is False
    assert r.result["source"] == "dashboard"
    c = r.result["cluster"]
    assert c["ray_version"] == "2.60.0" and c["alive_nodes"] == 2 and c["totals"]["GPU"] == 4.0


def test_cluster_info_token_missing_wrong_and_right(dashboard, tmp_path):
    d = dashboard(["healthy"], token=TOKEN)
    base = dict(head_address="127.0.0.1", dashboard_port=d.port)
    r = run(ray_cluster_info, base)
    assert r.failed and "HTTP 401" in r.result["msg"] and "auth_token" in r.result["msg"]
    r = run(ray_cluster_info, dict(base, auth_token="wrong"))
    assert r.failed and "HTTP 403" in r.result["msg"]
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    r = run(ray_cluster_info, dict(base, auth_token_file=str(token_file)))
    assert not r.failed and r.result["cluster"]["alive_nodes"] == 2


def test_cluster_info_auth_options_exclusive():
    r = run(ray_cluster_info, dict(head_address="127.0.0.1", auth_token="a", auth_token_file="/b"))
    assert r.failed and "mutually exclusive" in r.result["msg"]


def test_cluster_info_unreachable_names_the_head(tmp_path):
    port = closed_port()
    r = run(ray_cluster_info, dict(head_address="127.0.0.1:%d" % port, dashboard_port=closed_port(),
                                   request_timeout=1))
    assert r.failed
    assert "did not answer" in r.result["msg"] and "127.0.0.1:%d is unreachable" % port in r.result["msg"]


# ------------------------------------------------------------------ ray_wait


class FakeClock(object):
    """Deterministic monotonic clock; sleep advances it (keeps the test instant)."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_wait_succeeds_when_the_dead_worker_comes_back(dashboard):
    d = dashboard(["node_dead", "node_dead", "healthy"])
    clock = FakeClock()
    r = run(ray_wait, dict(head_address="127.0.0.1", dashboard_port=d.port, min_nodes=2, resources={"GPU": 4},
                           expected_node_ips=["10.214.0.11", "10.214.0.12"], timeout=30, poll_interval=2),
            clock=clock, sleep=clock.sleep)
    assert not r.failed and r.result["missing"] == {}
    assert r.result["polls"] == 3 and r.result["elapsed"] == 4.0


def test_wait_times_out_naming_the_dead_worker_and_short_gpus(dashboard):
    d = dashboard(["node_dead"])
    clock = FakeClock()
    r = run(ray_wait, dict(head_address="127.0.0.1", dashboard_port=d.port, resources={"GPU": "6"},
                           expected_node_ips=["10.214.0.11", "10.214.0.12"], timeout=5, poll_interval=2),
            clock=clock, sleep=clock.sleep)
    assert r.failed
    assert r.result["missing"]["dead_ips"] == ["10.214.0.12"]
    assert r.result["missing"]["resources"]["GPU"]["short_by"] == 4.0
    assert "dead: 10.214.0.12" in r.result["msg"] and "GPU short by 4" in r.result["msg"]
    assert r.result["elapsed"] == 5.0 and r.result["polls"] == 4


def test_wait_rejects_non_numeric_resources(dashboard):
    r = run(ray_wait, dict(head_address="127.0.0.1", resources={"GPU": "many"}))
    assert r.failed and "resources.GPU must be a number" in r.result["msg"]


# ------------------------------------------------------------------ ray_node


def test_node_missing_executable_names_the_venv(tmp_path):
    r = run(ray_node, dict(role="head", node_ip="127.0.0.1", ray_executable=str(tmp_path / "venv/bin/ray")))
    assert r.failed and "venv %s" % (tmp_path / "venv") in r.result["msg"]


def test_node_missing_executable_in_check_mode_would_start(tmp_path):
    """A first --check: the venv is not built yet, so the node would be started by a real run."""
    ray = str(tmp_path / "venv/bin/ray")
    r = run(ray_node, dict(role="head", node_ip="127.0.0.1", ray_executable=ray, _ansible_check_mode=True))
    assert not r.failed and r.result["changed"] is True and r.result["action"] == "started"
    assert r.result["msg"] == "would start the node (%s does not exist yet)" % ray


def test_node_worker_fails_fast_when_head_unreachable(tmp_path):
    ray = tmp_path / "ray"
    ray.write_text("#!/bin/sh\nexit 99\n")
    port = closed_port()
    r = run(ray_node, dict(role="worker", node_ip="127.0.0.1", head_address="127.0.0.1:%d" % port,
                           ray_executable=str(ray), temp_dir=str(tmp_path / "t"), _ansible_check_mode=True))
    assert r.failed and "is unreachable" in r.result["msg"] and "firewall" in r.result["msg"]
    assert "cmd" not in r.result  # nothing ran


@pytest.mark.parametrize("check_mode", [True, False])
def test_node_worker_whose_head_this_run_starts(tmp_path, check_mode):
    """head_pending: a first --check on hosts that have the venv (the head task reported "would start", so
    nothing answers yet) reports the join; a real run whose head still does not answer fails as before."""
    ray = tmp_path / "ray"
    ray.write_text("#!/bin/sh\nexit 99\n")
    address = "127.0.0.1:%d" % closed_port()
    r = run(ray_node, dict(role="worker", node_ip="127.0.0.1", head_address=address, head_pending=True,
                           ray_executable=str(ray), temp_dir=str(tmp_path / "t"), _ansible_check_mode=check_mode))
    if check_mode:
        assert not r.failed and r.result["changed"] is True and r.result["action"] == "started"
        assert r.result["msg"] == "would join the head %s, which this run starts first" % address
    else:
        assert r.failed and "is unreachable" in r.result["msg"]
    assert "cmd" not in r.result  # nothing ran


def test_node_started_requires_node_ip(tmp_path):
    r = run(ray_node, dict(role="head"))
    assert r.failed and "node_ip" in r.result["msg"]


def make_session(temp_dir):
    session = temp_dir / "session_2026-11-23_15-35-03_810561_1"
    (session / "sockets").mkdir(parents=True)
    # a raylet socket file whose process is gone: exists but refuses connections
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(session / "sockets" / "raylet"))
    s.close()
    (temp_dir / "session_latest").symlink_to(session)
    (temp_dir / "ray_current_cluster").write_text("10.214.0.11:6379")
    (temp_dir / "unrelated.txt").write_text("keep me")


def test_node_stopped_removes_only_ray_session_entries(tmp_path):
    ray = tmp_path / "ray"
    ray.write_text("#!/bin/sh\nexit 99\n")  # must not run: no raylet is alive
    # unix socket paths are limited to 107 bytes (Ray's session dirs too): keep it short
    temp_dir = type(tmp_path)(tempfile.mkdtemp(prefix="rn", dir="/tmp"))
    make_session(temp_dir)
    try:
        stop_and_check(temp_dir, ray)
    finally:
        shutil.rmtree(str(temp_dir))


def stop_and_check(temp_dir, ray):
    args = dict(state="stopped", temp_dir=str(temp_dir), ray_executable=str(ray))

    r = run(ray_node, dict(args, _ansible_check_mode=True))
    assert r.result["changed"] and r.result["action"] == "stopped"
    assert (temp_dir / "session_latest").exists()

    r = run(ray_node, args)
    assert r.result["changed"] and "cmd" not in r.result
    assert sorted(os.listdir(temp_dir)) == ["unrelated.txt"]

    r = run(ray_node, args)
    assert r.result["changed"] is False and r.result["action"] == "none"


def test_node_stopped_when_ray_stop_removes_entries_itself(tmp_path):
    """Ray 2.60's `ray stop` deletes <temp_dir>/ray_current_cluster itself (seen on the lab);
    the module must not fail on the entry it listed before stopping. The `ray` here is a
    stand-in script doing what `ray stop` does to the temp dir; the raylet is a real
    listening unix socket (a live raylet answers on it)."""
    temp_dir = type(tmp_path)(tempfile.mkdtemp(prefix="rn", dir="/tmp"))
    make_session(temp_dir)
    sock_path = next(temp_dir.glob("session_2*")) / "sockets" / "raylet"
    sock_path.unlink()
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(sock_path))
    listener.listen(8)
    ray = tmp_path / "ray"
    ray.write_text("#!/bin/sh\nrm -f %s\nexit 0\n" % (temp_dir / "ray_current_cluster"))
    ray.chmod(0o755)
    try:
        r = run(ray_node, dict(state="stopped", temp_dir=str(temp_dir), ray_executable=str(ray)))
        assert r.result["changed"] and r.result["action"] == "stopped", r.result
        assert sorted(os.listdir(temp_dir)) == ["unrelated.txt"]
    finally:
        listener.close()
        shutil.rmtree(str(temp_dir))


def test_node_just_started_is_not_read_from_the_gcs_before_its_raylet_answers(tmp_path):
    """After its own start, a node whose raylet socket does not accept yet is not alive: the module does not spend a
    GCS read (the venv's python importing Ray, about a second on the lab) on it, as it does once the raylet answers.
    Real parts: a listening TCP socket as the GCS, no dashboard (a closed port), the raylet a unix socket under
    temp_dir; the venv's python is a script that records each call and prints a GCS read captured on the lab (no Ray
    GCS runs in a unit test)."""
    gcs = socket.socket()
    gcs.bind(("127.0.0.1", 0))
    gcs.listen(8)
    venv = tmp_path / "venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "ray").write_text("#!/bin/sh\nexit 99\n")
    calls = tmp_path / "gcs-reads"
    # the GCS reader's answer: one captured on the lab (its nodes are not 127.0.0.1)
    (venv / "python").write_text("#!/bin/sh\necho x >> %s\ncat %s\n" % (calls, os.path.join(FIX, "gcs_reader.node_dead.json")))
    os.chmod(str(venv / "python"), 0o755)
    temp_dir = tmp_path / "t"
    args = dict(role="head", node_ip="127.0.0.1", port=gcs.getsockname()[1], dashboard_port=closed_port(),
                ray_executable=str(venv / "ray"), temp_dir=str(temp_dir))
    try:
        with patch_module_args(args):
            node = ray_node.RayNode(ray_node.build_module())
        address = "127.0.0.1:%d" % gcs.getsockname()[1]
        assert node.observe(address, starting=True) == (None, True)
        assert not calls.exists()
        (temp_dir / "session_latest" / "sockets").mkdir(parents=True)
        raylet = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        raylet.bind(str(temp_dir / "session_latest" / "sockets" / "raylet"))
        raylet.listen(1)
        assert node.observe(address, starting=True) == (None, True)  # read: the GCS does not list this node
        assert calls.read_text().count("x") == 1
    finally:
        gcs.close()
