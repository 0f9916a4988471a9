# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the hf_model module logic that need no hub.

Everything is real (AnsibleModule, argument spec, files on disk, the marker). The paths that
talk to a hub are exercised against the fake hub in tests/integration/hf_model/; here the
``python`` option points at a path that does not exist, so any attempt to run the download
helper fails loudly, which proves the "no hub request" paths make none.
"""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest

from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19

from ansible_collections.llmops.ray_vllm.plugins.module_utils._hf_model import MARKER_RELPATH, build_marker
from ansible_collections.llmops.ray_vllm.plugins.modules import hf_model
from ansible_collections.llmops.ray_vllm.tests.unit.plugins.modules.harness import run_module as harness_run

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "hf")
SHA = "38c70ad4c5d87df1b6bb41466e2d7a2eeb4d6fe3"
NO_PYTHON = "/nonexistent/llmops-test/bin/python"


def run(args, check_mode=False):
    return harness_run(hf_model, args, check_mode=check_mode)


def model_dir(tmp_path, name="model", config="llmops--tiny-llama.config.json"):
    """A directory with a real config.json and a weights file."""
    d = tmp_path / name
    d.mkdir()
    if config:
        shutil.copy(os.path.join(FIXTURES, config), str(d / "config.json"))
    (d / "model.safetensors").write_bytes(b"\0" * 1000)
    return d


def write_marker(d, revision="main", files=None, repo_id="llmops/tiny-llama"):
    if files is None:
        files = {p.name: p.stat().st_size for p in d.iterdir() if p.is_file()}
    path = d / MARKER_RELPATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(build_marker(repo_id, revision, SHA, files)))


def test_source_dir_validates_and_reports(tmp_path):
    d = model_dir(tmp_path, config="meta-llama--Llama-3.1-8B.config.json")
    out = run({"source_dir": str(d), "python": NO_PYTHON})
    assert not out.failed, out.result["msg"]
    res = out.result
    assert res["changed"] is False and res["downloaded"] is False and res["hub_requests"] == []
    assert res["path"] == str(d)
    assert [f["path"] for f in res["files"]] == ["config.json", "model.safetensors"]
    assert res["total_bytes"] == sum(f["size"] for f in res["files"]) == os.path.getsize(str(d / "config.json")) + 1000
    assert res["config"]["num_key_value_heads"] == 8
    assert res["config"]["max_position_embeddings"] == 131072


def test_source_dir_without_config_fails(tmp_path):
    d = model_dir(tmp_path, config=None)
    out = run({"source_dir": str(d)})
    assert out.failed
    assert "no readable config.json" in out.result["msg"] and "Fix" in out.result["msg"]


def test_source_dir_missing_fails(tmp_path):
    out = run({"source_dir": str(tmp_path / "nope")})
    assert out.failed and "is not a directory" in out.result["msg"]


def test_complete_snapshot_pinned_sha_makes_no_hub_request(tmp_path):
    d = model_dir(tmp_path)
    write_marker(d, revision=SHA)
    for check_mode in (False, True):
        out = run({"repo_id": "llmops/tiny-llama", "revision": SHA, "local_dir": str(d), "python": NO_PYTHON},
                  check_mode=check_mode)
        assert not out.failed, out.result["msg"]
        assert out.result["changed"] is False
        assert out.result["hub_requests"] == []
        assert out.result["commit_sha"] == SHA
        assert out.result["config"]["architectures"] == ["LlamaForCausalLM"]


@pytest.mark.parametrize("change", ["truncate", "delete", "other_repo", "patterns"])
def test_incomplete_snapshot_goes_to_the_hub(tmp_path, change):
    """Any difference from the marker means a hub request (here: the helper fails)."""
    d = model_dir(tmp_path)
    write_marker(d, revision=SHA, repo_id="other/repo" if change == "other_repo" else "llmops/tiny-llama")
    if change == "truncate":
        (d / "model.safetensors").write_bytes(b"\0" * 10)
    elif change == "delete":
        (d / "model.safetensors").unlink()
    # an interpreter that reads the request and fails: the hub was asked, nothing was written
    python = tmp_path / "python"
    python.write_text("#!/bin/sh\ncat > /dev/null\necho no hub here >&2\nexit 1\n")
    python.chmod(0o755)
    args = {"repo_id": "llmops/tiny-llama", "revision": SHA, "local_dir": str(d), "python": str(python)}
    if change == "patterns":
        args["allow_patterns"] = ["*.json"]
    out = run(args, check_mode=True)
    assert out.failed
    assert out.result["hub_requests"] == ["plan"]
    assert out.result["msg"] == "The download helper in %s failed (rc=1): no hub here" % python
    assert (d / MARKER_RELPATH).exists()  # check mode removed nothing


def test_check_mode_before_the_venv_exists_reports_the_download(tmp_path):
    """A first --check: the interpreter that would ask the hub is not installed yet."""
    args = {"repo_id": "llmops/tiny-llama", "revision": SHA, "local_dir": str(tmp_path / "m"), "python": NO_PYTHON}
    out = run(args, check_mode=True)
    assert not out.failed, out.result["msg"]
    assert out.result["changed"] is True and out.result["hub_requests"] == [] and out.result["downloaded"] is False
    assert out.result["msg"].startswith("would download llmops/tiny-llama at %s (" % SHA)
    assert not (tmp_path / "m").exists()
    assert run(args).failed  # a real run still needs the interpreter


def test_probe_tells_whether_a_run_would_download_and_writes_nothing(tmp_path):
    """What the action plugin asks first: a complete snapshot ends there (its usual result), an incomplete one
    is reported as a change with its reason, without a hub request (NO_PYTHON would fail) and without a write."""
    d = model_dir(tmp_path)
    write_marker(d, revision=SHA)
    args = {"repo_id": "llmops/tiny-llama", "revision": SHA, "local_dir": str(d), "python": NO_PYTHON,
            "probe": True}
    out = run(args)
    assert not out.failed and out.result["changed"] is False and out.result["commit_sha"] == SHA
    assert out.result["config"]["architectures"] == ["LlamaForCausalLM"]
    (d / "model.safetensors").write_bytes(b"\0" * 10)
    out = run(args)
    assert not out.failed, out.result["msg"]
    assert out.result["changed"] is True and out.result["downloaded"] is False and out.result["hub_requests"] == []
    assert out.result["msg"] == "would download: files with a different size: model.safetensors"
    assert (d / MARKER_RELPATH).exists()
    out = run(dict(args, local_dir=str(tmp_path / "new")))
    assert out.result["changed"] is True and not (tmp_path / "new").exists()


def test_progress_writer_records_bytes_files_and_rate_then_removes_its_files(tmp_path):
    """The module's watcher on a real directory: the expected list as the download helper writes it, a partial
    file where huggingface_hub keeps it, then the file moved into place."""
    d = tmp_path / "m"
    partial_dir = d / ".cache" / "huggingface" / "download"
    partial_dir.mkdir(parents=True)
    expected = d / ".cache" / "llmops_hf_expected.json"
    expected.write_text("{}")  # an interrupted run's: removed at the start
    (partial_dir / "0ld.e7a9.4f2c.incomplete").write_bytes(b"\0" * 500)  # a killed run's: never counted
    os.utime(str(partial_dir / "0ld.e7a9.4f2c.incomplete"), (1e9, 1e9))
    progress_file = str(d / ".cache" / "llmops_hf_progress.json")
    writer = hf_model.ProgressWriter(str(d), progress_file, time.time())
    assert not expected.exists()
    expected.write_text(json.dumps({"files": {"a.bin": 3000, "b.json": 20}}))
    (d / "b.json").write_bytes(b"x" * 20)
    (partial_dir / "k3y.e7a9.incomplete").write_bytes(b"\0" * 1000)
    first = writer.sample(0.0, None)
    got = json.loads(open(progress_file).read())
    assert {k: got[k] for k in ("done", "total", "files_done", "files_total", "rate")} == {
        "done": 1020, "total": 3020, "files_done": 1, "files_total": 2, "rate": 0}
    (partial_dir / "k3y.e7a9.incomplete").rename(d / "a.bin")
    (d / "a.bin").write_bytes(b"\0" * 3000)
    writer.sample(0.0, (first[0] - 2.0, first[1]))  # as if the first sample was 2 s earlier
    got = json.loads(open(progress_file).read())
    assert got["done"] == got["total"] == 3020 and got["files_done"] == 2
    assert 900 <= got["rate"] <= 1000  # 2000 bytes in a bit more than 2 s
    writer.start()
    writer.stop()
    assert not os.path.exists(progress_file) and not expected.exists()


def test_branch_revision_needs_one_resolve(tmp_path):
    d = model_dir(tmp_path)
    write_marker(d)
    out = run({"repo_id": "llmops/tiny-llama", "revision": "main", "local_dir": str(d), "python": NO_PYTHON})
    assert out.failed and out.result["hub_requests"] == ["resolve"]


@pytest.mark.parametrize("args,needle", [
    ({"repo_id": "a/b"}, "local_dir"),
    ({}, "one of the following is required"),
    ({"source_dir": "/x", "local_dir": "/y"}, "mutually exclusive"),
    ({"source_dir": "/x", "repo_id": "a/b", "local_dir": "/y"}, "mutually exclusive"),
])
def test_argument_rules(args, needle, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            hf_model.build_module()
    assert needle in json.loads(capsys.readouterr().out)["msg"]


def test_token_is_no_log():
    with patch_module_args({"source_dir": "/x"}):
        module = hf_model.build_module()
    assert module.argument_spec["token"]["no_log"] is True
