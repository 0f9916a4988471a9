# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEST DOUBLE for the Hugging Face Hub: serves local model directories over HTTP.

There is no model hub reachable from this project's machines, so tests point
``HF_ENDPOINT`` (or the ``endpoint`` option of ``llmops.ray_vllm.hf_model``) at this
server. It speaks only the part of the hub API that ``huggingface_hub.snapshot_download``
uses (read from huggingface_hub 2.4.0's ``_snapshot_download.py``, ``hf_api.py``,
``file_download.py`` and ``utils/_http.py``):

  GET  /api/models/{repo_id}[/revision/{rev}]   model info: ``id``, ``sha``, ``siblings`` (with ``?blobs=true``,
                                                as ``files_metadata=True`` asks: ``size``, ``blobId``, ``lfs``)
  GET  /api/models/{repo_id}/tree/{rev}[/{dir}]?recursive=true|false
                                                tree listing: ``type``, ``path``, ``size``,
                                                ``oid`` (+ ``lfs`` for *.safetensors/*.bin)
  HEAD /{repo_id}/resolve/{rev}/{file}          ``ETag`` (git blob sha1, sha256 for LFS),
  GET  /{repo_id}/resolve/{rev}/{file}          ``X-Repo-Commit``, ``Content-Length``,
                                                ``Range: bytes=N-`` for resumed downloads

Errors carry the hub's ``X-Error-Code`` / ``X-Error-Message`` headers and a JSON
``{"error": ...}`` body, which huggingface_hub maps to its exceptions:
unknown repo -> 404 ``RepoNotFound`` (RepositoryNotFoundError), unknown revision -> 404
``RevisionNotFound`` (RevisionNotFoundError), unknown file -> 404 ``EntryNotFound``.
With ``--token`` every request needs ``Authorization: Bearer TOKEN``: none -> 401
``RepoNotFound`` (what the hub answers for private repos), a wrong one -> 401
"Invalid credentials in Authorization header".

Revisions: ``main`` and the repo's commit sha (given as ``@SHA`` or derived from the
file contents, so it is stable for the same files).

``GET /api/agent-harnesses`` (fetched by huggingface_hub unless ``HF_HUB_DISABLE_TELEMETRY=1``)
returns an empty registry.

Not part of the hub: ``GET /_stats`` returns request counts per "METHOD path" and per
kind (``info``, ``tree``, ``resolve_head``, ``resolve_get``, ``telemetry``, ``other``) plus bytes sent, so tests
can assert "downloaded once" (``ranged``: file requests that resumed with ``Range``); ``POST /_stats/reset``
clears them. ``--throttle BYTES`` sends file contents at most that fast per request (a download that lasts
long enough to watch its progress or interrupt it).

Usage:
  fake_hf_hub.py --bind 127.0.0.1 --port 0 --model llmops/tiny-llama=/tmp/tiny[@SHA] \
      [--model ...] [--token SECRET] [--port-file FILE] [--throttle BYTES_PER_SECOND]

``--bind`` takes any local address (e.g. a lab bridge IP such as 10.213.0.1);
``--port 0`` picks a free port. The chosen URL is printed as the first stdout line
(``listening on http://HOST:PORT``) and written to ``--port-file`` if given.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".h5", ".msgpack", ".onnx")
SHA_RE = re.compile(r"^[0-9a-f]{40}$")
CHUNK = 1 << 16


class Repo:
    """One served model repository: a directory snapshot at one commit."""

    def __init__(self, repo_id: str, directory: str, commit: str | None = None):
        self.repo_id = repo_id
        self.directory = os.path.abspath(directory)
        self.files = {}  # path -> dict(size, blob, sha256)
        for root, dirs, names in os.walk(self.directory):
            dirs[:] = sorted(d for d in dirs if d != ".cache")
            for name in sorted(names):
                full = os.path.join(root, name)
                rel = os.path.relpath(full, self.directory).replace(os.sep, "/")
                self.files[rel] = _file_entry(full)
        if not self.files:
            raise ValueError("model directory %s has no files" % directory)
        if commit is None:
            digest = hashlib.sha1()
            for rel in sorted(self.files):
                digest.update(("%s\0%s\n" % (rel, self.files[rel]["sha256"])).encode())
            commit = digest.hexdigest()
        if not SHA_RE.match(commit):
            raise ValueError("commit for %s must be 40 lowercase hex characters, got %r" % (repo_id, commit))
        self.commit = commit

    def resolve(self, revision: str) -> str | None:
        return self.commit if revision in ("main", self.commit) else None

    def is_lfs(self, path: str) -> bool:
        return path.endswith(LFS_SUFFIXES)

    def etag(self, path: str) -> str:
        entry = self.files[path]
        return entry["sha256"] if self.is_lfs(path) else entry["blob"]

    def tree(self, prefix: str, recursive: bool) -> list:
        """Tree entries under prefix ('' = root), directories before their files like the hub."""
        base = prefix.strip("/") + "/" if prefix.strip("/") else ""
        out, seen_dirs = [], set()
        for path in sorted(self.files):
            if not path.startswith(base):
                continue
            rest = path[len(base):]
            parts = rest.split("/")
            for depth in range(1, len(parts)):
                if depth > 1 and not recursive:
                    break
                d = base + "/".join(parts[:depth])
                if d not in seen_dirs:
                    seen_dirs.add(d)
                    out.append({"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(), "size": 0, "path": d})
            if len(parts) > 1 and not recursive:
                continue
            entry = self.files[path]
            item = {"type": "file", "oid": entry["blob"], "size": entry["size"], "path": path}
            if self.is_lfs(path):
                item["lfs"] = {"oid": entry["sha256"], "size": entry["size"], "pointerSize": 134}
            out.append(item)
        return out

    def info(self, blobs: bool = False) -> dict:
        siblings = [{"rfilename": p} for p in sorted(self.files)]
        if blobs:
            for sib in siblings:
                entry = self.files[sib["rfilename"]]
                sib.update(size=entry["size"], blobId=entry["blob"])
                if self.is_lfs(sib["rfilename"]):
                    sib["lfs"] = {"sha256": entry["sha256"], "size": entry["size"], "pointerSize": 134}
        return {
            "_id": hashlib.sha1(self.repo_id.encode()).hexdigest()[:24],
            "id": self.repo_id,
            "modelId": self.repo_id,
            "author": self.repo_id.split("/")[0] if "/" in self.repo_id else None,
            "sha": self.commit,
            "private": False,
            "gated": False,
            "disabled": False,
            "tags": ["test-double"],
            "library_name": "transformers",
            "siblings": siblings,
        }


def _file_entry(path: str) -> dict:
    size = os.path.getsize(path)
    blob = hashlib.sha1(b"blob %d\0" % size)
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            blob.update(chunk)
            sha.update(chunk)
    return {"size": size, "blob": blob.hexdigest(), "sha256": sha.hexdigest()}


class Stats:
    """Thread-safe request counters."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.requests = {}
        self.kinds = {}
        self.bytes_sent = 0
        self.ranged = 0

    def count(self, key: str, kind: str, nbytes: int = 0, ranged: bool = False):
        with self.lock:
            self.requests[key] = self.requests.get(key, 0) + 1
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            self.bytes_sent += nbytes
            self.ranged += int(ranged)

    def snapshot(self) -> dict:
        with self.lock:
            return {"requests": dict(self.requests), "kinds": dict(self.kinds), "bytes_sent": self.bytes_sent,
                    "ranged": self.ranged}


class HubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects; every reply sets Content-Length
    server_version = "fake-hf-hub/1"

    # --- plumbing ---------------------------------------------------------
    def log_message(self, fmt, *args):  # quiet unless --verbose
        if self.server.verbose:
            sys.stderr.write("fake_hf_hub: %s\n" % (fmt % args))

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None, head_only: bool = False):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and not head_only:
            self.wfile.write(body)

    def _json(self, status: int, data, headers: dict | None = None, head_only: bool = False):
        hdrs = {"Content-Type": "application/json; charset=utf-8"}
        hdrs.update(headers or {})
        self._send(status, json.dumps(data).encode(), hdrs, head_only)

    def _error(self, status: int, code: str | None, message: str, head_only: bool = False, extra: dict | None = None):
        hdrs = {"X-Error-Message": message}
        if code:
            hdrs["X-Error-Code"] = code
        hdrs.update(extra or {})
        self._json(status, {"error": message}, hdrs, head_only)

    def _authorized(self, head_only: bool) -> bool:
        token = self.server.token
        if token is None:
            return True
        auth = self.headers.get("Authorization", "")
        if not auth:
            self._error(401, "RepoNotFound", "Invalid username or password.", head_only)
            return False
        if auth != "Bearer " + token:
            self._error(401, None, "Invalid credentials in Authorization header", head_only)
            return False
        return True

    def _find_repo(self, segments: list) -> tuple:
        """Split path segments into (repo, repo_id, rest): repo ids have 2 segments, legacy ones 1."""
        for n in (2, 1):
            rid = "/".join(segments[:n])
            if rid in self.server.repos:
                return self.server.repos[rid], rid, segments[n:]
        return None, "/".join(segments[:2]), segments[2:]

    # --- routes -----------------------------------------------------------
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if urlsplit(self.path).path == "/_stats/reset":
            self.server.stats.reset()
            return self._json(200, {"reset": True})
        return self._error(404, None, "Not found")

    def do_HEAD(self):
        self._route(head_only=True)

    def do_GET(self):
        self._route(head_only=False)

    def _route(self, head_only: bool):
        url = urlsplit(self.path)
        path = url.path
        if path == "/_stats":
            return self._json(200, self.server.stats.snapshot(), head_only=head_only)
        segments = [unquote(s) for s in path.strip("/").split("/")] if path.strip("/") else []
        if path == "/api/agent-harnesses":  # huggingface_hub's telemetry (off with HF_HUB_DISABLE_TELEMETRY=1)
            self.server.stats.count("%s %s" % (self.command, path), "telemetry")
            return self._json(200, {"standardEnvVars": [], "harnesses": {}}, head_only=head_only)
        if len(segments) >= 2 and segments[0] == "api" and segments[1] == "models":
            kind = "tree" if "tree" in segments[2:5] else "info"
            self.server.stats.count("%s %s" % (self.command, path), kind)
            if not self._authorized(head_only):
                return None
            return self._api_models(segments[2:], parse_qs(url.query), head_only)
        if "resolve" in segments:
            kind = "resolve_head" if head_only else "resolve_get"
            key = "%s %s" % (self.command, path)
            if not self._authorized(head_only):
                self.server.stats.count(key, kind)
                return None
            return self._resolve(segments, head_only, key, kind)
        self.server.stats.count("%s %s" % (self.command, path), "other")
        return self._error(404, None, "Not found", head_only)

    def _api_models(self, segments: list, query: dict, head_only: bool):
        repo, rid, rest = self._find_repo(segments)
        if repo is None:
            return self._error(404, "RepoNotFound", "Repository not found", head_only)
        blobs = query.get("blobs", ["false"])[0].lower() in ("true", "1")
        if not rest:
            return self._json(200, repo.info(blobs), head_only=head_only)
        if rest[0] == "revision" and len(rest) >= 2:
            rev = "/".join(rest[1:])
            if repo.resolve(rev) is None:
                return self._error(404, "RevisionNotFound", "Invalid rev id: %s" % rev, head_only)
            return self._json(200, repo.info(blobs), head_only=head_only)
        if rest[0] == "tree" and len(rest) >= 2:
            rev, prefix = rest[1], "/".join(rest[2:])
            if repo.resolve(rev) is None:
                return self._error(404, "RevisionNotFound", "Invalid rev id: %s" % rev, head_only)
            recursive = query.get("recursive", ["false"])[0].lower() in ("true", "1")
            items = repo.tree(prefix, recursive)
            if prefix and not items:
                return self._error(404, "EntryNotFound", "%s does not exist on \"%s\"" % (prefix, rev), head_only)
            return self._json(200, items, head_only=head_only)
        return self._error(404, None, "Not found", head_only)

    def _resolve(self, segments: list, head_only: bool, key: str, kind: str):
        idx = segments.index("resolve")
        repo = self.server.repos.get("/".join(segments[:idx]))
        if repo is None:
            self.server.stats.count(key, kind)
            return self._error(404, "RepoNotFound", "Repository not found", head_only)
        if len(segments) < idx + 3:
            self.server.stats.count(key, kind)
            return self._error(404, "EntryNotFound", "Entry not found", head_only)
        rev, fname = segments[idx + 1], "/".join(segments[idx + 2:])
        commit = repo.resolve(rev)
        if commit is None:
            self.server.stats.count(key, kind)
            return self._error(404, "RevisionNotFound", "Invalid rev id: %s" % rev, head_only)
        if fname not in repo.files:
            self.server.stats.count(key, kind)
            return self._error(404, "EntryNotFound", "Entry not found", head_only, {"X-Repo-Commit": commit})
        size = repo.files[fname]["size"]
        start = 0
        rng = re.match(r"^bytes=(\d+)-$", self.headers.get("Range", ""))
        if rng and not head_only:
            start = min(int(rng.group(1)), size)
        length = size - start
        hdrs = {
            "ETag": '"%s"' % repo.etag(fname),
            "X-Repo-Commit": commit,
            "Content-Type": "application/octet-stream",
            "Accept-Ranges": "bytes",
            "Content-Disposition": 'inline; filename="%s"' % fname.rsplit("/", 1)[-1],
            "Content-Length": str(length),
        }
        if start:
            hdrs["Content-Range"] = "bytes %d-%d/%d" % (start, size - 1, size)
        self.server.stats.count(key, kind, 0 if head_only else length, ranged=bool(start))
        self.send_response(206 if start else 200)
        for k, v in hdrs.items():
            self.send_header(k, v)
        self.end_headers()
        if head_only:
            return None
        with open(os.path.join(repo.directory, *fname.split("/")), "rb") as f:
            f.seek(start)
            began, sent = time.monotonic(), 0
            for chunk in iter(lambda: f.read(CHUNK), b""):
                self.wfile.write(chunk)
                sent += len(chunk)
                if self.server.throttle:
                    time.sleep(max(0.0, began + sent / self.server.throttle - time.monotonic()))
        return None


class FakeHub(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, bind: str, port: int, repos: dict, token: str | None = None, verbose: bool = False,
                 throttle: int = 0):
        super().__init__((bind, port), HubHandler)
        self.repos = repos
        self.throttle = throttle
        self.token = token
        self.verbose = verbose
        self.stats = Stats()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return "http://%s:%d" % (host, port)


def parse_model_arg(value: str) -> Repo:
    """REPO_ID=DIR[@COMMITSHA] -> Repo."""
    if "=" not in value:
        raise argparse.ArgumentTypeError("--model wants REPO_ID=DIR[@COMMITSHA], got %r" % value)
    rid, rest = value.split("=", 1)
    commit = None
    if "@" in rest:
        rest, commit = rest.rsplit("@", 1)
    if not os.path.isdir(rest):
        raise argparse.ArgumentTypeError("model directory %s does not exist" % rest)
    try:
        return Repo(rid.strip("/"), rest, commit)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Test double for the Hugging Face Hub file API.")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port, 0 = pick a free one (default)")
    parser.add_argument("--model", action="append", type=parse_model_arg, required=True,
                        metavar="REPO_ID=DIR[@COMMITSHA]", help="serve DIR as REPO_ID (repeatable)")
    parser.add_argument("--token", default=os.environ.get("FAKE_HF_HUB_TOKEN"),
                        help="require 'Authorization: Bearer TOKEN' (default: $FAKE_HF_HUB_TOKEN, else none)")
    parser.add_argument("--port-file", help="write the chosen port to this file once listening")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--throttle", type=int, default=0, metavar="BYTES_PER_SECOND",
                        help="send each file at most this fast (default 0: unlimited)")
    args = parser.parse_args(argv)

    repos = {r.repo_id: r for r in args.model}
    server = FakeHub(args.bind, args.port, repos, args.token, args.verbose, args.throttle)
    sys.stdout.write("listening on %s\n" % server.url)
    for r in repos.values():
        sys.stdout.write("  %s @ %s (%d files) from %s\n" % (r.repo_id, r.commit, len(r.files), r.directory))
    sys.stdout.flush()
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.replace(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
