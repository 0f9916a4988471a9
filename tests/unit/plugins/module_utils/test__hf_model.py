# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the pure hf_model helpers on real config.json files (tests/unit/fixtures/hf/README.md)."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.llmops.ray_vllm.plugins.module_utils import _hf_model as hf

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "hf")


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as f:
        return f.read()


# (file, architectures, heads, kv heads, layers, hidden, max positions, dtype) as published
EXPECTED = [
    ("meta-llama--Llama-3.1-8B.config.json", ["LlamaForCausalLM"], 32, 8, 32, 4096, 131072, "bfloat16"),
    ("Qwen--Qwen2.5-7B.config.json", ["Qwen2ForCausalLM"], 28, 4, 28, 3584, 131072, "bfloat16"),
    ("Qwen--Qwen3-30B-A3B.config.json", ["Qwen3MoeForCausalLM"], 32, 4, 48, 2048, 40960, "bfloat16"),
    ("llmops--tiny-llama.config.json", ["LlamaForCausalLM"], 4, 2, 3, 256, 512, "float32"),
    ("llmops--tiny-llama.transformers-5.23.0.config.json", ["LlamaForCausalLM"], 4, 2, 2, 256, 512, "float32"),
]


@pytest.mark.parametrize("name,arch,heads,kv,layers,hidden,maxpos,dtype", EXPECTED)
def test_essentials_from_real_configs(name, arch, heads, kv, layers, hidden, maxpos, dtype):
    out = hf.parse_config_essentials(fixture(name))
    assert out == {
        "architectures": arch,
        "num_attention_heads": heads,
        "num_key_value_heads": kv,
        "num_hidden_layers": layers,
        "hidden_size": hidden,
        "max_position_embeddings": maxpos,
        "torch_dtype": dtype,
        "model_type": json.loads(fixture(name))["model_type"],
    }


def test_transformers5_dtype_key_is_read():
    """transformers 5 re-saves torch_dtype as "dtype" (the real re-saved tiny config shows it)."""
    cfg = json.loads(fixture("llmops--tiny-llama.transformers-5.23.0.config.json"))
    assert "torch_dtype" not in cfg and cfg["dtype"] == "float32"
    assert hf.parse_config_essentials(json.dumps(cfg))["torch_dtype"] == "float32"


def test_nested_text_config_and_missing_kv_heads():
    """A multimodal wrapper keeps the language model in text_config (built here from a real config)."""
    text = json.loads(fixture("meta-llama--Llama-3.1-8B.config.json"))
    del text["num_key_value_heads"]
    arch = text.pop("architectures")
    wrapper = {"architectures": ["WrapperForConditionalGeneration"], "model_type": "wrapper", "text_config": text}
    out = hf.parse_config_essentials(json.dumps(wrapper))
    assert out["architectures"] == ["WrapperForConditionalGeneration"] != arch
    assert out["num_hidden_layers"] == 32
    assert out["num_key_value_heads"] == out["num_attention_heads"] == 32  # MHA default


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", "{\"a\": "])
def test_invalid_config_raises(text):
    with pytest.raises(ValueError):
        hf.parse_config_essentials(text)


@pytest.mark.parametrize("rev,expected", [
    ("38c70ad4c5d87df1b6bb41466e2d7a2eeb4d6fe3", True),
    ("main", False),
    ("v1.0", False),
    ("38c70ad4", False),
    ("38C70AD4C5D87DF1B6BB41466E2D7A2EEB4D6FE3", False),
    ("", False),
    (None, False),
])
def test_is_commit_sha(rev, expected):
    assert hf.is_commit_sha(rev) is expected


SHA = "38c70ad4c5d87df1b6bb41466e2d7a2eeb4d6fe3"
FILES = {"config.json": 625, "model.safetensors": 5774504}


def marker(**kw):
    args = dict(repo_id="llmops/tiny-llama", revision="main", commit_sha=SHA, files=FILES)
    args.update(kw)
    return hf.parse_marker(json.dumps(hf.build_marker(**args)))


def test_marker_roundtrip_and_complete():
    m = marker()
    assert m["commit_sha"] == SHA and m["files"] == FILES
    complete, reason = hf.snapshot_state(m, dict(FILES, extra=1), "llmops/tiny-llama")
    assert complete, reason


@pytest.mark.parametrize("text", [None, "", "garbage", json.dumps({"version": 99, "files": {}}), json.dumps([1])])
def test_parse_marker_rejects(text):
    assert hf.parse_marker(text) is None


@pytest.mark.parametrize("m,local,repo,allow,why", [
    (None, FILES, "llmops/tiny-llama", None, "no snapshot marker"),
    ("default", FILES, "other/repo", None, "not other/repo"),
    ("default", FILES, "llmops/tiny-llama", ["*.json"], "patterns changed"),
    ("default", {"config.json": 625}, "llmops/tiny-llama", None, "missing files: model.safetensors"),
    ("default", {"config.json": 625, "model.safetensors": 5}, "llmops/tiny-llama", None, "different size: model.safetensors"),
    ("empty", {}, "llmops/tiny-llama", None, "lists no files"),
])
def test_snapshot_incomplete(m, local, repo, allow, why):
    mk = {"default": marker(), "empty": marker(files={}), None: None}[m]
    complete, reason = hf.snapshot_state(mk, local, repo, allow_patterns=allow)
    assert not complete
    assert why in reason


@pytest.mark.parametrize("etype,status,fix", [
    ("RepositoryNotFoundError", 404, "check repo_id"),
    ("RevisionNotFoundError", 404, "check revision"),
    ("GatedRepoError", 403, "accept the model's licence"),
    ("HfHubHTTPError", 401, "set token"),
    ("ConnectError", None, "check that endpoint is reachable"),
    ("ModuleNotFoundError", None, "install huggingface_hub"),
    ("ValueError", None, "see the endpoint's answer"),
])
def test_hub_error_message_names_fix(etype, status, fix):
    msg = hf.hub_error_message({"type": etype, "message": "Invalid rev id: v9", "status": status},
                               "http://10.213.0.1:8090", "llmops/tiny-llama", "v9")
    assert "http://10.213.0.1:8090" in msg and "llmops/tiny-llama" in msg and "v9" in msg
    assert "Invalid rev id: v9" in msg  # the endpoint's answer is quoted
    assert "Fix: " + fix in msg
    assert ("HTTP %s" % status in msg) == bool(status)


# The tiny Llama of tests/tools/make_tiny_llama.py, as the hub lists it (sizes from the fake hub's blobs=true).
TINY = {"config.json": 625, "generation_config.json": 84, "model.safetensors": 8136808,
        "special_tokens_map.json": 102, "tokenizer.json": 22460, "tokenizer_config.json": 1497}


def test_parse_expected():
    assert hf.parse_expected(json.dumps({"files": TINY})) == TINY
    for text in (None, "", "{", "[]", '{"files": [1]}', '{"other": {}}'):
        assert hf.parse_expected(text) is None, text


def test_download_progress_counts_finished_files_whole_and_partial_bytes():
    local = {"config.json": 625, "tokenizer.json": 22460, "model.safetensors": 4000000,  # not moved in yet
             "README.md": 10}  # not part of this download
    assert hf.download_progress(TINY, local, 3000000) == {
        "done": 625 + 22460 + 3000000, "total": sum(TINY.values()), "files_done": 2, "files_total": 6}
    assert hf.download_progress(TINY, dict(TINY), 0)["done"] == sum(TINY.values())
    # A stale partial file next to a finished one never counts past the total.
    assert hf.download_progress(TINY, dict(TINY), 999)["done"] == sum(TINY.values())
    assert hf.download_progress(None, local, 5) == {"listing": True}


def test_download_line():
    progress = {"done": 12.4e9, "total": 140e9, "files_done": 3, "files_total": 40, "seconds": 150.0,
                "rate": 85e6}
    assert hf.download_line(progress, "org/model") == (
        "downloading org/model: 12.4 GB / 140.0 GB (8%), 3 of 40 files, 85.0 MB/s, ETA 25 min 1 s")
    # No rate measured yet (the first sample), or nothing left: no ETA.
    assert hf.download_line(dict(progress, rate=0), "org/model") == (
        "downloading org/model: 12.4 GB / 140.0 GB (8%), 3 of 40 files")
    assert hf.download_line({"listing": True, "seconds": 2.0}, "org/model") == (
        "downloading org/model: asking the hub for the file list")
    assert hf.download_line(None, "org/model") == "downloading org/model: asking the hub for the file list"


def hub_answer(name):
    return json.loads(fixture(os.path.join("hub-config", name + ".json")))


ROLE_SETTINGS = {"repo_id": "model_storage_model_repo_id", "revision": "model_storage_model_revision",
                 "token": "model_storage_hf_token", "endpoint": "model_storage_hf_endpoint", "timeout": ""}


def test_hub_config_parses_the_hubs_config():
    got = hf.hub_config(hub_answer("ok"), "http://127.0.0.1:18090", "llmops/tiny-llama", "main", ROLE_SETTINGS)
    assert got["problem"] == ""
    assert got["config"] == json.loads(fixture("llmops--tiny-llama.config.json"))
    assert got["config"]["num_hidden_layers"] == 3


@pytest.mark.parametrize("name,words", [
    ("repo-not-found", ["HTTP 404", "RepositoryNotFoundError: Repository not found",
                        "Fix: check model_storage_model_repo_id, or set model_storage_hf_token"]),
    ("revision-not-found", ["HTTP 404", "Invalid rev id: v9", "Fix: check model_storage_model_revision: use an existing"]),
    # The hub answers 401 RepoNotFound to a request without a token for a private repository.
    ("no-token", ["HTTP 401", "RepositoryNotFoundError", "or set model_storage_hf_token when the repository is private"]),
    ("wrong-token", ["HTTP 401", "Invalid credentials", "Fix: set model_storage_hf_token to a valid hub token"]),
    ("entry-not-found", ["llmops/tiny-llama at v9 on http://127.0.0.1:18090 has no config.json",
                         "Fix: set model_storage_model_repo_id to a transformers model repository"]),
    ("not-json", ["its config.json is not a JSON object", "Fix: set model_storage_model_repo_id"]),
    ("refused", ["ConnectError", "Connection refused",
                 "Fix: check that model_storage_hf_endpoint is reachable from this host (proxy, firewall, DNS)."]),
])
def test_hub_config_names_the_fix(name, words):
    got = hf.hub_config(hub_answer(name), "http://127.0.0.1:18090", "llmops/tiny-llama", "v9", ROLE_SETTINGS)
    assert got["config"] == {}
    missing = [w for w in words if w not in got["problem"]]
    assert not missing, got["problem"]
    assert "raise" not in got["problem"]  # no timeout setting to raise


def test_hub_config_default_settings_are_hf_models_options():
    got = hf.hub_config(hub_answer("refused"), "http://127.0.0.1:18099", "llmops/tiny-llama", "main")
    assert "Fix: check that endpoint is reachable from this host (proxy, firewall, DNS) or raise timeout." in got["problem"]


@pytest.mark.parametrize("answer", [None, {}, {"skipped": True, "changed": False}])
def test_hub_config_not_asked(answer):
    assert hf.hub_config(answer, "https://huggingface.co", "x/y", "main") == {"config": {}, "problem": ""}
