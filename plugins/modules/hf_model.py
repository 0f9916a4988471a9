#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: hf_model
short_description: Download a Hugging Face model snapshot once, or validate a pre-staged model directory
version_added: 0.1.0
description:
  - Downloads a model repository with C(huggingface_hub.snapshot_download) into O(local_dir)
    (typically the shared model path every cluster node mounts) and returns what the vLLM planner
    needs from its C(config.json).
  - The module runs on the managed host's own Python, which usually lacks C(huggingface_hub);
    the download runs in the interpreter given by O(python) (the vLLM virtual environment), with
    the token passed through the environment, never on the command line.
  - Idempotent. After a complete download it records the repository, revision, commit sha and the
    file list with sizes in C(<local_dir>/.cache/llmops_hf_model.json). When that record matches
    and every file is present with its recorded size, the result is C(changed=false); when
    O(revision) is a full 40-character commit sha this needs no hub request at all, for a branch or
    tag one metadata request resolves it to a commit.
  - With O(source_dir) nothing is downloaded; the directory is validated the same way (it must hold
    a C(config.json)) and its files and config essentials are returned.
author:
  - llmops.ray_vllm maintainers (@llmops)
options:
  repo_id:
    description:
      - Repository id on the hub, for example C(meta-llama/Llama-3.1-8B-Instruct).
      - Required unless O(source_dir) is set.
    type: str
  revision:
    description:
      - Branch, tag or full commit sha to download. Pin a commit sha in production so that every
        run gets the same files and the idempotence check needs no hub request.
    type: str
    default: main
  allow_patterns:
    description:
      - Only files matching at least one of these glob patterns are downloaded
        (C(huggingface_hub) semantics; a trailing C(/) matches a whole directory).
    type: list
    elements: str
  ignore_patterns:
    description:
      - Files matching any of these glob patterns are not downloaded.
    type: list
    elements: str
  token:
    description:
      - Hub access token for private or gated repositories. Passed to the download as E(HF_TOKEN).
    type: str
  endpoint:
    description:
      - Base URL of the hub or of a mirror, like E(HF_ENDPOINT). When not set, C(huggingface_hub)'s
        default (E(HF_ENDPOINT) of the remote environment, else V(https://huggingface.co)) applies.
    type: str
  local_dir:
    description:
      - Directory that receives the model files. Required unless O(source_dir) is set.
      - Created when missing.
    type: path
  cache_dir:
    description:
      - C(huggingface_hub) cache directory (where branch and tag names are resolved to commits).
        When not set, C(huggingface_hub)'s default for the remote user applies.
    type: path
  source_dir:
    description:
      - A model directory that is already in place (pre-staged). Nothing is downloaded; the
        directory must contain C(config.json).
      - Mutually exclusive with O(repo_id) and O(local_dir).
    type: path
  python:
    description:
      - Python interpreter on the managed host that has C(huggingface_hub) installed.
    type: path
    default: /opt/vllm_env/bin/python
  timeout:
    description:
      - Seconds the hub may take to answer one request (metadata, or the next chunk of a file),
        set as E(HF_HUB_ETAG_TIMEOUT) and E(HF_HUB_DOWNLOAD_TIMEOUT). A download as a whole may
        take longer.
    type: int
    default: 30
  probe:
    description:
      - Only tell whether a run would download. A complete snapshot gives the usual result with
        C(changed=false); otherwise the result is C(changed=true) with the reason in C(msg), and nothing
        is written or downloaded. The hub is asked only what a complete snapshot needs (a branch or tag
        resolved to its commit).
      - The action plugin probes first, so that a run with nothing to download stays one module call.
    type: bool
    default: false
  progress_file:
    description:
      - While downloading, write how far the download is to this JSON file every two seconds (bytes
        done and in all, files done and in all, seconds, bytes per second), and remove it at the end.
        The totals come from the hub's file list (its metadata request asks for the file sizes too).
      - The action plugin sets it to C(<local_dir>/.cache/llmops_hf_progress.json) and prints its
        content as a progress line every O(progress_interval) seconds.
    type: path
  progress_interval:
    description:
      - Seconds between two progress lines of a download (action plugin; printed on standard error, so
        that the output of a JSON stdout callback stays valid). The download then runs as a background job
        on the host, polled every few seconds; a complete snapshot is still one module call.
      - V(0) downloads in one blocking module call, without progress lines.
      - Not used in check mode, with O(source_dir), or when the task sets C(async) itself.
    type: int
    default: 30
extends_documentation_fragment:
  - action_common_attributes
  - action_common_attributes.flow
attributes:
  action:
    support: full
    details: Probes the snapshot, then runs a download as a background job it polls, printing progress lines.
  async:
    support: full
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details:
      - In check mode nothing is written; when the snapshot is incomplete or of another revision
        the module asks the hub for the file list (two metadata requests, no file content) and
        returns it as RV(would_download); when O(python) does not exist yet (a first run, before the venv is
        built) it reports the download as a change without asking the hub.
  diff_mode:
    support: none
  platform:
    support: N/A
    platforms: posix
requirements:
  - C(huggingface_hub) (tested with 2.4.0) in the interpreter given by O(python).
notes:
  - Run it once, on one host (C(run_once) or a single-host play); the other nodes read the files
    through the shared path.
  - An interrupted download resumes file by file. The files finished before the interruption are kept and
    not fetched again; a file cut off mid-way is fetched again from its start (C(huggingface_hub) 2.4 writes
    each file to a temporary file of its own under C(<local_dir>/.cache/huggingface/download) and never
    reuses one; the next complete download removes those left behind).
  - With progress lines the download is a background job on the host, and an interrupted C(ansible-playbook)
    run leaves it going to its end. A run started before it ends downloads the files again, one
    after the other with the job (C(huggingface_hub)'s file locks); wait for it, or end it, first.
  - Unknown repositories and revisions fail with the endpoint's answer and the fix to apply.
seealso:
  - name: huggingface_hub snapshot_download
    description: The download function this module drives.
    link: https://huggingface.co/docs/huggingface_hub/guides/download
"""

EXAMPLES = r"""
- name: Download a pinned model into the shared path, once
  llmops.ray_vllm.hf_model:
    repo_id: Qwen/Qwen2.5-7B-Instruct
    revision: a09a35458c702b33eeacc393d103063234e8bc28
    local_dir: /mnt/models/Qwen2.5-7B-Instruct
    allow_patterns: ["*.json", "*.safetensors", "tokenizer*"]
    token: "{{ hf_token | default(omit) }}"
  run_once: true
  register: model

- name: Use a mirror and show what the planner gets
  llmops.ray_vllm.hf_model:
    repo_id: meta-llama/Llama-3.1-8B-Instruct
    local_dir: /mnt/models/llama-3.1-8b
    endpoint: http://hub-mirror.internal:8080
  register: model

- name: Validate a directory staged by other means
  llmops.ray_vllm.hf_model:
    source_dir: /mnt/models/llama-3.1-8b
  register: model

- name: Plan tensor parallelism from it
  ansible.builtin.debug:
    msg: "{{ model.config.num_attention_heads }} heads, {{ model.config.num_key_value_heads }} KV heads"
"""

RETURN = r"""
path:
  description: Directory holding the model (O(local_dir) or O(source_dir)), absolute.
  returned: always
  type: str
  sample: /mnt/models/Qwen2.5-7B-Instruct
repo_id:
  description: The repository id, as requested (null with O(source_dir)).
  returned: always
  type: str
  sample: Qwen/Qwen2.5-7B-Instruct
revision:
  description: The revision, as requested (null with O(source_dir)).
  returned: always
  type: str
  sample: main
commit_sha:
  description: Commit the files come from (null with O(source_dir), or in check mode when the hub was not asked).
  returned: always
  type: str
  sample: a09a35458c702b33eeacc393d103063234e8bc28
files:
  description: Model files (paths relative to RV(path)) with their sizes in bytes.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "config.json", "size": 663}, {"path": "model.safetensors", "size": 5774504}]
total_bytes:
  description: Sum of the sizes in RV(files).
  returned: always
  type: int
  sample: 5799272
downloaded:
  description: Whether this run downloaded (false when the snapshot was already complete, in check mode, and with O(source_dir)).
  returned: always
  type: bool
  sample: true
hub_requests:
  description: What the module asked the hub for, in order (V(resolve), V(plan), V(download)); empty when it made no request.
  returned: always
  type: list
  elements: str
  sample: ["download"]
seconds:
  description: Wall time of the download step in seconds (0 when nothing was downloaded).
  returned: always
  type: float
  sample: 0.41
would_download:
  description: In check mode, the files a real run would fetch (missing locally or with another size).
  returned: when check mode found the snapshot incomplete
  type: list
  elements: dict
  sample: [{"path": "model.safetensors", "size": 5774504}]
config:
  description:
    - Essentials of the model's C(config.json) (also read from a nested C(text_config) for multimodal models).
    - RV(config.num_key_value_heads) equals RV(config.num_attention_heads) when the file omits it.
    - RV(config.torch_dtype) also reads the C(dtype) key that transformers 5 writes.
  returned: unless check mode had nothing local to read
  type: dict
  contains:
    architectures:
      description: Model classes.
      type: list
      elements: str
      sample: ["LlamaForCausalLM"]
    model_type:
      description: Model family.
      type: str
      sample: llama
    num_attention_heads:
      description: Attention heads.
      type: int
      sample: 32
    num_key_value_heads:
      description: Key/value heads (GQA).
      type: int
      sample: 8
    num_hidden_layers:
      description: Transformer layers.
      type: int
      sample: 32
    hidden_size:
      description: Hidden size.
      type: int
      sample: 4096
    max_position_embeddings:
      description: Longest context the model was built for.
      type: int
      sample: 131072
    torch_dtype:
      description: Weight dtype.
      type: str
      sample: bfloat16
"""

import json
import os
import threading
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.llmops.ray_vllm.plugins.module_utils._hf_model import (
    EXPECTED_RELPATH,
    MARKER_RELPATH,
    PARTIAL_RELDIR,
    PARTIAL_SUFFIX,
    PROGRESS_INTERVAL,
    build_marker,
    download_progress,
    hub_error_message,
    is_commit_sha,
    parse_expected,
    parse_config_essentials,
    parse_marker,
    snapshot_state,
)

# Runs in the interpreter given by `python`; reads a JSON request on stdin and prints one JSON
# object. Errors come back as {"ok": false, "error": {...}} with the hub's answer.
HELPER = r'''
import json, os, sys, time


def err(exc):
    response = getattr(exc, "response", None)
    return {"ok": False, "error": {"type": type(exc).__name__, "message": str(exc),
                                   "status": getattr(response, "status_code", None)}}


def main(req):
    try:
        import huggingface_hub
        from huggingface_hub import HfApi, snapshot_download, get_cached_repo_tree
        from huggingface_hub.hf_api import RepoFile
        from huggingface_hub.utils import filter_repo_objects
    except ImportError as exc:
        return err(exc)
    try:
        api = HfApi(endpoint=req["endpoint"])
        expected_file = req.get("expected_file")
        info = api.model_info(req["repo_id"], revision=req["revision"], files_metadata=bool(expected_file))
        sha = info.sha
        res = {"ok": True, "commit_sha": sha, "hub_version": huggingface_hub.__version__}
        if req["action"] == "resolve":
            return res
        allow, ignore = req["allow_patterns"], req["ignore_patterns"]
        if expected_file:  # the files this download fetches, with their sizes: the module's progress reads them
            huggingface_hub.constants.DOWNLOAD_CHUNK_SIZE = 1 << 20  # a file grows on disk every MB, not every 10
            sizes = dict((s.rfilename, s.size or 0) for s in info.siblings or [])
            with open(expected_file + ".tmp", "w") as f:
                json.dump({"files": dict((p, sizes[p]) for p in filter_repo_objects(
                    sorted(sizes), allow_patterns=allow, ignore_patterns=ignore))}, f)
            os.replace(expected_file + ".tmp", expected_file)
        if req["action"] == "plan":
            tree = [f for f in api.list_repo_tree(req["repo_id"], recursive=True, revision=sha)
                    if isinstance(f, RepoFile)]
        else:
            start = time.monotonic()
            snapshot_download(req["repo_id"], revision=sha, local_dir=req["local_dir"], cache_dir=req["cache_dir"],
                              endpoint=req["endpoint"], allow_patterns=allow, ignore_patterns=ignore)
            res["seconds"] = round(time.monotonic() - start, 3)
            tree = get_cached_repo_tree(req["repo_id"], revision=sha, local_dir=req["local_dir"],
                                        cache_dir=req["cache_dir"])
        sizes = {f.path: f.size for f in tree}
        res["files"] = {p: sizes[p] for p in filter_repo_objects(sorted(sizes), allow_patterns=allow,
                                                                  ignore_patterns=ignore)}
        return res
    except Exception as exc:
        return err(exc)


sys.stdout.write(json.dumps(main(json.loads(sys.stdin.read()))))
'''


def fail(module, result, msg, **extra):
    """fail_json with the result so far; msg replaces any earlier one. Check mode wrote nothing: unchanged."""
    if module.check_mode:
        result = dict(result, changed=False)
    module.fail_json(**dict(result, msg=msg, **extra))


def list_local_files(directory):
    """{relpath: size} of regular files under directory, skipping the top-level .cache folder."""
    sizes = {}
    for root, dirs, names in os.walk(directory):
        if root == directory:
            dirs[:] = [d for d in dirs if d != ".cache"]
        for name in names:
            full = os.path.join(root, name)
            if os.path.isfile(full):
                sizes[os.path.relpath(full, directory).replace(os.sep, "/")] = os.path.getsize(full)
    return sizes


def read_text(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            return f.read()
    except (IOError, OSError):
        return None


def file_list(sizes):
    return [{"path": p, "size": sizes[p]} for p in sorted(sizes)]


def read_config(module, directory, result):
    """Parse config.json in directory into result['config']; fail when missing or invalid."""
    text = read_text(os.path.join(directory, "config.json"))
    if text is None:
        fail(module, result, "%s has no readable config.json: this is not a transformers model directory, "
                             "or allow_patterns left config.json out. Fix: include config.json." % directory)
    try:
        result["config"] = parse_config_essentials(text)
    except ValueError as exc:
        fail(module, result, "%s/config.json: %s" % (directory, exc))


def _executable(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def write_json(path, data, indent=None):
    """Replace path with data as JSON in one step (a reader never sees half a file)."""
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(data, f, indent=indent)
    os.replace(path + ".tmp", path)


def partial_files(local_dir):
    """(path, os.stat) of huggingface_hub's *.incomplete files under local_dir: the files being downloaded, and
    any that a killed download left behind (huggingface_hub 2.4 writes each download to a file of its own and
    never reuses one)."""
    for root, _dirs, names in os.walk(os.path.join(local_dir, PARTIAL_RELDIR)):
        for name in names:
            if name.endswith(PARTIAL_SUFFIX):
                path = os.path.join(root, name)
                try:
                    yield path, os.stat(path)
                except OSError:  # moved into place meanwhile
                    pass


def partial_bytes(local_dir, since):
    """Bytes of the *.incomplete files written since the time `since`."""
    return sum(st.st_size for _path, st in partial_files(local_dir) if st.st_mtime >= since)


def remove_partial_files(local_dir, before):
    """After a complete download: the *.incomplete files no write touched since the time `before`."""
    for path, st in list(partial_files(local_dir)):
        if st.st_mtime < before:
            os.unlink(path)


class ProgressWriter(threading.Thread):
    """Every `every` seconds while a download runs: download_progress() of local_dir, plus the seconds since
    the start and the bytes per second since the first measurement, written to path."""

    def __init__(self, local_dir, path, began, every=2.0):
        super().__init__(daemon=True)
        self.local_dir, self.path, self.began, self.every = local_dir, path, began, every
        self.expected_path = os.path.join(local_dir, EXPECTED_RELPATH)
        self.stopped = threading.Event()
        self.remove_files()  # an interrupted run's

    def sample(self, start, first):
        expected = parse_expected(read_text(self.expected_path))
        progress = download_progress(expected, list_local_files(self.local_dir),
                                     partial_bytes(self.local_dir, self.began - 1))
        now = time.monotonic()
        if "done" in progress and first is None:
            first = (now, progress["done"])
        progress.update(seconds=round(now - start, 1), rate=0)
        if first is not None and now > first[0]:
            progress["rate"] = round((progress["done"] - first[1]) / (now - first[0]))
        write_json(self.path, progress)
        return first

    def run(self):
        start, first = time.monotonic(), None
        while not self.stopped.wait(self.every):
            try:
                first = self.sample(start, first)
            except (IOError, OSError, ValueError):  # a progress line less; the download goes on
                pass

    def stop(self):
        self.stopped.set()
        self.join()
        self.remove_files()

    def remove_files(self):
        for path in (self.path, self.expected_path):
            try:
                os.unlink(path)
            except OSError:
                pass


def call_hub(module, action, result, expected_file=None):
    """Run the helper script in module.params['python']; return its parsed answer or fail."""
    p = module.params
    python = p["python"]
    result["hub_requests"].append(action)
    if not _executable(python):
        fail(module, result, "python=%s is not an executable file. Fix: create the vLLM virtual environment "
                             "(python_venv role) or point python at an interpreter that has huggingface_hub." % python)
    env = {
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_HUB_ETAG_TIMEOUT": str(p["timeout"]),
        "HF_HUB_DOWNLOAD_TIMEOUT": str(p["timeout"]),
        "LC_ALL": "C",
    }
    if p["endpoint"]:
        env["HF_ENDPOINT"] = p["endpoint"]
    if p["token"]:
        env["HF_TOKEN"] = p["token"]
    request = {
        "action": action,
        "repo_id": p["repo_id"],
        "revision": p["revision"],
        "endpoint": p["endpoint"],
        "local_dir": p["local_dir"],
        "cache_dir": p["cache_dir"],
        "allow_patterns": p["allow_patterns"],
        "ignore_patterns": p["ignore_patterns"],
        "expected_file": expected_file,
    }
    rc, out, err = module.run_command([python, "-c", HELPER], data=json.dumps(request),
                                      environ_update=env, binary_data=True)
    try:
        answer = json.loads(out)
    except ValueError:
        fail(module, result, "The download helper in %s failed (rc=%s): %s" % (python, rc, (err or out).strip()[-2000:]))
    if not answer.get("ok"):
        fail(module, result, hub_error_message(answer["error"], p["endpoint"], p["repo_id"], p["revision"]), hub_error=answer["error"])
    return answer


def run_source_dir(module, result):
    source = os.path.abspath(module.params["source_dir"])
    if not os.path.isdir(source):
        fail(module, result, "source_dir %s is not a directory. Fix: stage the model there first, or set repo_id "
                             "and local_dir to download it." % source)
    sizes = list_local_files(source)
    result.update(path=source, files=file_list(sizes), total_bytes=sum(sizes.values()))
    read_config(module, source, result)
    module.exit_json(**result)


def run_module(module):
    p = module.params
    result = dict(changed=False, path=None, repo_id=p["repo_id"], revision=p["revision"], commit_sha=None,
                  files=[], total_bytes=0, downloaded=False, hub_requests=[], seconds=0.0)
    if p["source_dir"]:
        result.update(repo_id=None, revision=None)
        run_source_dir(module, result)

    local_dir = os.path.abspath(p["local_dir"])
    p["local_dir"] = local_dir
    result["path"] = local_dir
    marker_path = os.path.join(local_dir, MARKER_RELPATH)
    marker = parse_marker(read_text(marker_path))
    local_sizes = list_local_files(local_dir) if os.path.isdir(local_dir) else {}
    complete, reason = snapshot_state(marker, local_sizes, p["repo_id"], p["allow_patterns"], p["ignore_patterns"])

    if complete:
        if is_commit_sha(p["revision"]):
            wanted = p["revision"]
        else:
            wanted = call_hub(module, "resolve", result)["commit_sha"]
        if marker["commit_sha"] == wanted:
            result.update(commit_sha=wanted, files=file_list(marker["files"]),
                          total_bytes=sum(marker["files"].values()), msg=reason)
            read_config(module, local_dir, result)
            module.exit_json(**result)
        reason = "local_dir holds commit %s, revision %s is %s" % (marker["commit_sha"], p["revision"], wanted)

    result["changed"] = True
    if p["probe"]:
        result["msg"] = "would download: %s" % reason
        module.exit_json(**result)
    if module.check_mode and not _executable(p["python"]):
        # A first check-mode run: the venv that would hold huggingface_hub is not built yet, so the hub
        # cannot be asked what would be downloaded.
        result["msg"] = "would download %s at %s (%s); python=%s does not exist yet, so the files are not listed" % (
            p["repo_id"], p["revision"], reason, p["python"])
        module.exit_json(**result)
    if module.check_mode:
        plan = call_hub(module, "plan", result)
        result.update(commit_sha=plan["commit_sha"], files=file_list(plan["files"]),
                      total_bytes=sum(plan["files"].values()), msg="would download: %s" % reason,
                      would_download=[f for f in file_list(plan["files"]) if local_sizes.get(f["path"]) != f["size"]])
        if "config.json" in local_sizes:
            read_config(module, local_dir, result)
        module.exit_json(**result)

    try:
        os.makedirs(local_dir, exist_ok=True)
    except OSError as exc:
        fail(module, result, "Cannot create local_dir %s: %s" % (local_dir, exc))
    # An old marker must not vouch for a half-replaced snapshot if this download fails.
    if marker is not None:
        os.unlink(marker_path)
    began, watcher = time.time(), None
    if p["progress_file"]:
        os.makedirs(os.path.dirname(marker_path), exist_ok=True)
        watcher = ProgressWriter(local_dir, p["progress_file"], began)
        watcher.start()
    try:
        answer = call_hub(module, "download", result, watcher and watcher.expected_path)
    finally:
        if watcher:
            watcher.stop()
    files = answer["files"]
    result.update(commit_sha=answer["commit_sha"], files=file_list(files), total_bytes=sum(files.values()),
                  downloaded=True, seconds=answer.get("seconds", 0.0), msg="downloaded: %s" % reason)
    read_config(module, local_dir, result)
    on_disk = list_local_files(local_dir)
    bad = sorted(f for f, size in files.items() if on_disk.get(f) != size)
    if bad:
        fail(module, result, "After the download these files are missing or have another size: %s" % ", ".join(bad[:10]))
    remove_partial_files(local_dir, began)
    new_marker = build_marker(p["repo_id"], p["revision"], answer["commit_sha"], files,
                              p["allow_patterns"], p["ignore_patterns"])
    os.makedirs(os.path.dirname(marker_path), exist_ok=True)
    write_json(marker_path, new_marker, indent=2)
    module.exit_json(**result)


def build_module():
    return AnsibleModule(
        argument_spec=dict(
            repo_id=dict(type="str"),
            revision=dict(type="str", default="main"),
            allow_patterns=dict(type="list", elements="str"),
            ignore_patterns=dict(type="list", elements="str"),
            token=dict(type="str", no_log=True),
            endpoint=dict(type="str"),
            local_dir=dict(type="path"),
            cache_dir=dict(type="path"),
            source_dir=dict(type="path"),
            python=dict(type="path", default="/opt/vllm_env/bin/python"),
            timeout=dict(type="int", default=30),
            probe=dict(type="bool", default=False),
            progress_file=dict(type="path"),
            progress_interval=dict(type="int", default=PROGRESS_INTERVAL),
        ),
        mutually_exclusive=[("source_dir", "local_dir"), ("source_dir", "repo_id")],
        required_one_of=[("repo_id", "source_dir")],
        required_by={"repo_id": "local_dir"},
        supports_check_mode=True,
    )


def main():
    run_module(build_module())


if __name__ == "__main__":
    main()
