# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end test of llmops.ray_vllm.hf_model against the fake hub (marker: integration).

There is no model hub here: tests/tools/fake_hf_hub.py (a test double speaking the hub file API
that huggingface_hub 2.4.0's snapshot_download uses) serves a tiny Llama generated on the spot by
tests/tools/make_tiny_llama.py, on 127.0.0.1 and a free port. Everything else is real: the
module runs through ``ansible localhost -m llmops.ray_vllm.hf_model`` and downloads with the real
huggingface_hub in a real interpreter.

That interpreter needs huggingface_hub, numpy, safetensors and tokenizers. It is taken from
$LLMOPS_HF_PYTHON, else /opt/vllm_env/bin/python, else /tmp/hD-venv/bin/python; without one the
tests are skipped with the reason (``pip install huggingface-hub==2.4.0 numpy safetensors tokenizers``).
Run: ``.venv/bin/pytest tests/integration/hf_model -m integration -v``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.integration

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TOOLS = os.path.join(ROOT, "tests", "tools")
COLLECTIONS = os.path.join(ROOT, ".cache", "collections")
REPO = "llmops/tiny-llama"
NEEDED = "huggingface_hub, numpy, safetensors, tokenizers"


def find_python():
    candidates = [os.environ.get("LLMOPS_HF_PYTHON"), "/opt/vllm_env/bin/python", "/tmp/hD-venv/bin/python"]
    for py in candidates:
        if py and os.access(py, os.X_OK):
            rc = subprocess.run([py, "-c", "import %s" % NEEDED], capture_output=True, check=False).returncode
            if rc == 0:
                return py
    return None


PYTHON = find_python()
if PYTHON is None:
    pytest.skip("no interpreter with %s (set LLMOPS_HF_PYTHON; pip install huggingface-hub==2.4.0 numpy "
                "safetensors tokenizers)" % NEEDED, allow_module_level=True)


def ensure_collection_link():
    link = os.path.join(COLLECTIONS, "ansible_collections", "llmops", "ray_vllm")
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny") / "tiny-llama"
    start = time.monotonic()
    proc = subprocess.run([PYTHON, os.path.join(TOOLS, "make_tiny_llama.py"), str(out)],
                          capture_output=True, text=True, check=True)
    info = json.loads(proc.stdout)
    info["wall_seconds"] = round(time.monotonic() - start, 3)
    return info


@pytest.fixture(scope="module")
def hub(tiny_model, tmp_path_factory):
    yield from start_hub(tiny_model, tmp_path_factory)


@pytest.fixture(scope="module")
def private_hub(tiny_model, tmp_path_factory):
    yield from start_hub(tiny_model, tmp_path_factory, "--token", "s3cret-test-token")


def start_hub(tiny_model, tmp_path_factory, *extra):
    port_file = tmp_path_factory.mktemp("hub") / "port"
    proc = subprocess.Popen([sys.executable, os.path.join(TOOLS, "fake_hf_hub.py"), "--bind", "127.0.0.1",
                             "--port", "0", "--port-file", str(port_file),
                             "--model", "%s=%s" % (REPO, tiny_model["output_dir"])] + list(extra),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("fake hub did not start: %s" % proc.stdout.read())
            time.sleep(0.05)
        yield "http://127.0.0.1:%s" % port_file.read_text().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def stats(hub):
    with urllib.request.urlopen(hub + "/_stats", timeout=5) as r:
        return json.load(r)


def reset(hub):
    urllib.request.urlopen(urllib.request.Request(hub + "/_stats/reset", method="POST"), timeout=5).read()


def hf_model(args, check=False):
    """Run the module through the ansible CLI; return (failed, result)."""
    ensure_collection_link()
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    if not os.path.exists(ansible):
        ansible = shutil.which("ansible")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_LOCALHOST_WARNING="False",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="False", ANSIBLE_NOCOLOR="1", ANSIBLE_DEPRECATION_WARNINGS="False")
    cmd = [ansible, "localhost", "-m", "llmops.ray_vllm.hf_model", "-a", json.dumps(dict(args, python=PYTHON))]
    if check:
        cmd.append("--check")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    head, sep, body = proc.stdout.partition(" => ")
    assert sep, "unexpected ansible output: %s %s" % (proc.stdout, proc.stderr)
    return "FAILED" in head, json.loads(body)


def test_download_once_then_idempotent(hub, tiny_model, tmp_path):
    local = str(tmp_path / "models" / "tiny")
    args = {"repo_id": REPO, "local_dir": local, "endpoint": hub}
    reset(hub)
    start = time.monotonic()
    failed, res = hf_model(args)
    wall = time.monotonic() - start
    assert not failed, res["msg"]
    assert res["changed"] is True and res["downloaded"] is True
    expected = {name: f["size"] for name, f in tiny_model["files"].items()}
    assert {f["path"]: f["size"] for f in res["files"]} == expected
    assert res["total_bytes"] == tiny_model["total_bytes"]
    assert res["config"] == {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "num_attention_heads": 4,
        "num_key_value_heads": 2, "num_hidden_layers": 3, "hidden_size": 256,
        "max_position_embeddings": 512, "torch_dtype": "float32",
    }
    first = stats(hub)
    assert first["kinds"]["resolve_get"] == len(expected)
    assert first["bytes_sent"] == tiny_model["total_bytes"]
    assert "telemetry" not in first["kinds"]
    for name in expected:
        with open(os.path.join(local, name), "rb") as a, open(os.path.join(tiny_model["output_dir"], name), "rb") as b:
            assert a.read() == b.read()
    sha = res["commit_sha"]
    print("\ntiny model: generated in %.3fs, %d bytes; module run %.2fs wall, download step %.3fs"
          % (tiny_model["wall_seconds"], tiny_model["total_bytes"], wall, res["seconds"]))

    # Same branch again: one metadata request to resolve "main", no file request.
    reset(hub)
    failed, res = hf_model(args)
    assert not failed, res["msg"]
    assert res["changed"] is False and res["downloaded"] is False and res["hub_requests"] == ["resolve"]
    after = stats(hub)
    assert after["kinds"] == {"info": 1}

    # Pinned commit: no hub request at all.
    reset(hub)
    failed, res = hf_model(dict(args, revision=sha))
    assert not failed, res["msg"]
    assert res["changed"] is False and res["hub_requests"] == [] and res["commit_sha"] == sha
    assert stats(hub)["requests"] == {}

    # A damaged file is noticed and fetched again (only what is needed).
    with open(os.path.join(local, "tokenizer.json"), "w") as f:
        f.write("{}")
    reset(hub)
    failed, res = hf_model(dict(args, revision=sha))
    assert not failed, res["msg"]
    assert res["changed"] is True and res["downloaded"] is True
    assert stats(hub)["kinds"].get("resolve_get") == 1


def test_check_mode_changes_nothing(hub, tmp_path):
    local = tmp_path / "check"
    reset(hub)
    failed, res = hf_model({"repo_id": REPO, "local_dir": str(local), "endpoint": hub}, check=True)
    assert not failed, res["msg"]
    assert res["changed"] is True and res["downloaded"] is False
    assert {f["path"] for f in res["would_download"]} >= {"config.json", "model.safetensors"}
    assert not local.exists()
    kinds = stats(hub)["kinds"]
    assert "resolve_get" not in kinds and "resolve_head" not in kinds


@pytest.mark.parametrize("args,error,answer", [
    ({"repo_id": "llmops/no-such-model"}, "RepositoryNotFoundError", "Repository Not Found for url"),
    ({"repo_id": REPO, "revision": "v9"}, "RevisionNotFoundError", "Invalid rev id: v9"),
    ({"repo_id": REPO, "revision": "0" * 40}, "RevisionNotFoundError", "Invalid rev id: " + "0" * 40),
])
def test_unknown_repo_or_revision_fails_with_endpoint_answer(hub, tmp_path, args, error, answer):
    local = tmp_path / "bad"
    failed, res = hf_model(dict(args, local_dir=str(local), endpoint=hub))
    assert failed
    assert error in res["msg"] and answer in res["msg"] and hub in res["msg"] and "Fix:" in res["msg"]
    assert res["hub_error"]["status"] == 404
    assert not (local / ".cache" / "llmops_hf_model.json").exists()


def test_check_mode_unknown_repo_fails_unchanged(hub, tmp_path):
    """What roles/validate asks before any host changes: the hub's 404, and changed=false (nothing written)."""
    local = tmp_path / "bad"
    failed, res = hf_model({"repo_id": "llmops/no-such-model", "local_dir": str(local), "endpoint": hub}, check=True)
    assert failed and "RepositoryNotFoundError" in res["msg"] and "Fix:" in res["msg"]
    assert res["changed"] is False
    assert not local.exists()


def test_missing_config_json_fails(hub, tmp_path):
    failed, res = hf_model({"repo_id": REPO, "local_dir": str(tmp_path / "w"), "endpoint": hub,
                            "allow_patterns": ["*.safetensors"]})
    assert failed and "no readable config.json" in res["msg"]
    assert not (tmp_path / "w" / ".cache" / "llmops_hf_model.json").exists()


def test_token_required(private_hub, tmp_path):
    """Without the token the (fake) hub answers 401 like it does for private repos; with it the download works."""
    local = tmp_path / "private"
    failed, res = hf_model({"repo_id": REPO, "local_dir": str(local), "endpoint": private_hub})
    assert failed and res["hub_error"]["status"] == 401 and "set token" in res["msg"]
    failed, res = hf_model({"repo_id": REPO, "local_dir": str(local), "endpoint": private_hub,
                            "token": "s3cret-test-token"})
    assert not failed, res["msg"]
    assert res["changed"] is True and res["total_bytes"] > 5000000
    assert "s3cret-test-token" not in json.dumps(res)
