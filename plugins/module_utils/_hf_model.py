# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for the hf_model module: config.json essentials, snapshot markers, hub errors.

Nothing here touches the network or runs commands; the module does that and hands
the results (file contents, directory listings, helper-script output) to these functions.
Also the download's progress: what the module's watcher records and the line the action prints.
"""

from __future__ import annotations

import json
import re

from ansible_collections.llmops.ray_vllm.plugins.module_utils._report import duration, human_bytes

COMMIT_SHA_RE = re.compile(r"^[0-9a-f]{40}$")

# Marker written into local_dir after a complete download (next to huggingface_hub's own
# ``.cache/huggingface`` metadata, which snapshot_download already keeps out of the model files).
MARKER_RELPATH = ".cache/llmops_hf_model.json"
MARKER_VERSION = 1
# While a download runs: the files it fetches with their sizes (written by the download helper once the hub
# listed them), and how far it is (rewritten by the module every few seconds; read by the action plugin).
EXPECTED_RELPATH = ".cache/llmops_hf_expected.json"
PROGRESS_RELPATH = ".cache/llmops_hf_progress.json"
# huggingface_hub keeps a file being downloaded under here as <hash>.<etag>.incomplete (resumed from there).
PARTIAL_RELDIR = ".cache/huggingface/download"
PARTIAL_SUFFIX = ".incomplete"
PROGRESS_INTERVAL = 30  # option progress_interval's default: seconds between two progress lines (action plugin)

# config.json keys the planner needs, with the aliases some model families use instead.
ESSENTIAL_KEYS = {
    "architectures": (),
    "num_attention_heads": ("n_head", "num_heads", "n_heads"),
    "num_key_value_heads": ("num_kv_heads", "n_kv_heads", "multi_query_group_num"),
    "num_hidden_layers": ("n_layer", "num_layers", "n_layers"),
    "hidden_size": ("n_embd", "d_model", "dim"),
    "max_position_embeddings": ("n_positions", "max_sequence_length", "seq_length", "n_ctx"),
    "torch_dtype": ("dtype",),  # transformers >= 5 writes "dtype"
}
# Multimodal wrappers (Gemma 3, Llama 4, Mistral 3, ...) keep the language model's shape here.
NESTED_TEXT_CONFIGS = ("text_config", "language_config", "llm_config")


def is_commit_sha(revision):
    """True when revision is a full 40-hex git commit id (immutable: no hub call needed)."""
    return bool(revision) and COMMIT_SHA_RE.match(revision) is not None


def _first(cfg, key):
    for name in (key,) + ESSENTIAL_KEYS[key]:
        if name in cfg and cfg[name] is not None:
            return cfg[name]
    return None


def parse_config_essentials(text):
    """Return the planner's essentials from config.json text.

    Looks in the top level first, then in a nested text config (multimodal models).
    num_key_value_heads defaults to num_attention_heads (models without GQA omit it).
    Raises ValueError when the text is not a JSON object.
    """
    try:
        cfg = json.loads(text)
    except ValueError as exc:
        raise ValueError("config.json is not valid JSON: %s" % exc)
    if not isinstance(cfg, dict):
        raise ValueError("config.json is not a JSON object")
    nested = [cfg[k] for k in NESTED_TEXT_CONFIGS if isinstance(cfg.get(k), dict)]
    out = {}
    for key in ESSENTIAL_KEYS:
        value = _first(cfg, key)
        for sub in nested:
            if value is not None:
                break
            value = _first(sub, key)
        out[key] = value
    arch = out["architectures"]
    out["architectures"] = [arch] if isinstance(arch, str) else list(arch or [])
    if out["num_key_value_heads"] is None:
        out["num_key_value_heads"] = out["num_attention_heads"]
    out["model_type"] = cfg.get("model_type")
    return out


def build_marker(repo_id, revision, commit_sha, files, allow_patterns=None, ignore_patterns=None):
    """Marker dict recorded after a complete download. files: {relpath: size}."""
    return {
        "version": MARKER_VERSION,
        "repo_id": repo_id,
        "revision": revision,
        "commit_sha": commit_sha,
        "allow_patterns": allow_patterns,
        "ignore_patterns": ignore_patterns,
        "files": dict(sorted(files.items())),
    }


def parse_marker(text):
    """Marker dict from its JSON text, or None when missing/corrupt/another version."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("version") != MARKER_VERSION or not isinstance(data.get("files"), dict):
        return None
    return data


def snapshot_state(marker, local_sizes, repo_id, allow_patterns=None, ignore_patterns=None):
    """Compare a marker with what is on disk.

    local_sizes: {relpath: size} of the files now in local_dir (any subset is fine).
    Returns (complete, reason): complete means the marker matches the request and every
    recorded file exists with its recorded size; reason says what differs otherwise.
    The caller still compares marker["commit_sha"] with the wanted commit.
    """
    if marker is None:
        return False, "no snapshot marker (%s)" % MARKER_RELPATH
    if marker.get("repo_id") != repo_id:
        return False, "local_dir holds %s, not %s" % (marker.get("repo_id"), repo_id)
    if marker.get("allow_patterns") != allow_patterns or marker.get("ignore_patterns") != ignore_patterns:
        return False, "allow_patterns/ignore_patterns changed since the last download"
    if not marker["files"]:
        return False, "snapshot marker lists no files"
    missing = sorted(p for p in marker["files"] if p not in local_sizes)
    if missing:
        return False, "missing files: %s" % ", ".join(missing[:5])
    wrong = sorted(p for p, size in marker["files"].items() if local_sizes[p] != size)
    if wrong:
        return False, "files with a different size: %s" % ", ".join(wrong[:5])
    return True, "complete snapshot of %s at %s" % (repo_id, marker.get("commit_sha"))


# The hub's X-Error-Code header, as huggingface_hub turns it into its exception classes.
HUB_ERROR_CODES = {"RepoNotFound": "RepositoryNotFoundError", "RevisionNotFound": "RevisionNotFoundError",
                   "EntryNotFound": "EntryNotFoundError", "GatedRepo": "GatedRepoError"}
# How a hub error message names the settings of the fix: hf_model's options, unless the caller names its own.
HUB_SETTINGS = {"repo_id": "repo_id", "revision": "revision", "token": "token", "endpoint": "endpoint",
                "allow_patterns": "allow_patterns", "timeout": "timeout"}


def _setting_names(settings):
    return dict(HUB_SETTINGS, **(settings or {}))


def hub_error_message(error, endpoint, repo_id, revision, settings=None):
    """Turn the helper script's error dict into a failure message that names the fix.

    error: {"type": exception class name, "message": str, "status": http status or None}.
    settings: the names the fix gives the settings (HUB_SETTINGS' keys), e.g. a role's variables; an empty
    timeout name leaves "or raise the timeout" out.
    """
    n = _setting_names(settings)
    etype = error.get("type") or "Error"
    answer = (error.get("message") or "").strip()
    status = error.get("status")
    where = "%s (repo_id=%s, revision=%s)" % (endpoint or "the default hub endpoint", repo_id, revision)
    if etype == "RepositoryNotFoundError":
        fix = ("check %(repo_id)s, or set %(token)s when the repository is private or gated; "
               "with a mirror, check that the mirror serves this repository" % n)
    elif etype == "RevisionNotFoundError":
        fix = "check %(revision)s: use an existing branch, tag or full 40-character commit sha" % n
    elif etype == "GatedRepoError":
        fix = "accept the model's licence on the hub with the account of %(token)s, then retry" % n
    elif etype == "EntryNotFoundError" or etype == "RemoteEntryNotFoundError":
        fix = "the repository lacks a requested file; check %(allow_patterns)s" % n
    elif status == 401 or status == 403:
        fix = "set %(token)s to a valid hub token with read access" % n
    elif etype in ("ConnectError", "ConnectTimeout", "TimeoutException", "ReadTimeout", "LocalEntryNotFoundError"):
        fix = "check that %(endpoint)s is reachable from this host (proxy, firewall, DNS)" % n
        fix += " or raise %(timeout)s" % n if n["timeout"] else ""
    elif etype == "ModuleNotFoundError" or etype == "ImportError":
        fix = "install huggingface_hub into the interpreter given as python (the python_venv role does), or point python at one that has it"
    else:
        fix = "see the endpoint's answer above"
    head = "Hub request to %s failed" % where
    if status:
        head += " with HTTP %s" % status
    return "%s: %s: %s. Fix: %s." % (head, etype, answer or "(no message)", fix)


def hub_config(response, endpoint, repo_id, revision, settings=None):
    """The model's config.json as read from the hub before its first download: {"config": dict, "problem": str}.

    response: an ansible.builtin.uri result of GET {endpoint}/{repo_id}/resolve/{revision}/config.json (status,
    content, the x_error_code / x_error_message headers of a hub error, msg). A skipped or empty one gives an
    empty config and no problem. A hub error gives hub_error_message's text (settings: the names of the fix).
    """
    if not response or response.get("skipped") or "status" not in response:
        return {"config": {}, "problem": ""}
    status, code = response.get("status"), response.get("x_error_code")
    what = "%s at %s on %s" % (repo_id, revision, endpoint)
    fix = "Fix: set %s to a transformers model repository" % _setting_names(settings)["repo_id"]
    if status == 200:
        try:
            config = json.loads(response.get("content") or "")
        except ValueError:
            config = None
        if isinstance(config, dict):
            return {"config": config, "problem": ""}
        return {"config": {}, "problem": "%s: its config.json is not a JSON object. %s" % (what, fix)}
    if code == "EntryNotFound":
        return {"config": {}, "problem": "%s has no config.json: vLLM serves a transformers model directory. %s" % (what, fix)}
    connected = isinstance(status, int) and status > 0
    error = {"type": HUB_ERROR_CODES.get(code) or ("HTTPError" if connected else "ConnectError"),
             "message": response.get("x_error_message") or response.get("msg"), "status": status if connected else None}
    return {"config": {}, "problem": hub_error_message(error, endpoint, repo_id, revision, settings)}


def parse_expected(text):
    """{relpath: size} from the download helper's EXPECTED_RELPATH file; None when it is not (yet) readable."""
    try:
        files = json.loads(text)["files"] if text else None
    except (ValueError, KeyError, TypeError):
        return None
    return dict(files) if isinstance(files, dict) else None


def download_progress(expected, local_sizes, partial_bytes):
    """How far a download is.

    expected: {relpath: size} it fetches (None while the hub has not listed them yet); local_sizes:
    {relpath: size} now in local_dir; partial_bytes: the bytes of huggingface_hub's *.incomplete files.
    Returns {"done", "total", "files_done", "files_total"} (done at most total; finished files count whole),
    or {"listing": True} before the list is known.
    """
    if expected is None:
        return {"listing": True}
    finished = [p for p, size in expected.items() if local_sizes.get(p) == size]
    total = sum(expected.values())
    return {"done": min(total, sum(expected[p] for p in finished) + partial_bytes), "total": total,
            "files_done": len(finished), "files_total": len(expected)}


def download_line(progress, repo_id):
    """The progress line of a running download, from the progress file's content:
    'downloading org/model: 12.4 GB / 140.0 GB (9%), 3 of 40 files, 85.0 MB/s, ETA 25 min 3 s'.

    progress: download_progress()'s keys plus "seconds" (since the download started) and "rate" (bytes
    per second since the first measurement; 0 when none was made yet); None when the file is not there yet.
    """
    if not progress or progress.get("listing"):
        return "downloading %s: asking the hub for the file list" % repo_id
    done, total = progress["done"], progress["total"]
    line = "downloading %s: %s / %s (%d%%), %d of %d files" % (
        repo_id, human_bytes(done), human_bytes(total), 100 * done // total if total else 100,
        progress["files_done"], progress["files_total"])
    rate = progress.get("rate") or 0
    if rate > 0:
        line += ", %s/s, ETA %s" % (human_bytes(rate), duration((total - done) / rate))
    return line
