#!/usr/bin/env python3
"""A small caching HTTP proxy for Debian packages, for the lab's air-gapped hosts.

Lab hosts have no route out; their apt talks to this proxy (``Acquire::http::Proxy``), as hosts of
an air-gapped GPU cluster talk to a site mirror or apt-cacher-ng.  Why not apt-cacher-ng itself:
on this machine its resolver (c-ares) answers "503 Host not found" for every mirror although the
system resolver works, so the lab ships this stand-in instead (stdlib only).

* Only archive hosts in ``--allow`` are proxied (not an open proxy); everything else gets 403.
* Immutable files (``/pool/``, ``/by-hash/``, ``*.deb``) are cached on disk forever: a package is
  downloaded at most once per machine.  Index files (InRelease, Packages...) are fetched fresh and
  kept as a fallback when the archive cannot be reached.
* ``GET /_stats`` returns request counters as JSON.
"""

import argparse
import hashlib
import json
import os
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IMMUTABLE_MARKERS = ("/pool/", "/by-hash/")
STATS = {"hits": 0, "misses": 0, "index": 0, "denied": 0, "errors": 0}
LOCK = threading.Lock()


def count(key):
    with LOCK:
        STATS[key] += 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "llmops-lab-aptproxy/1"

    def log_message(self, fmt, *args):  # quiet; counters are in /_stats
        return

    def _send_file(self, path, head):
        size = os.path.getsize(path)
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        if not head:
            with open(path, "rb") as f:
                shutil.copyfileobj(f, self.wfile)

    def _fail(self, code, msg):
        body = (msg + "\n").encode()
        self.send_response(code, msg)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_GET(self, head=False):
        if self.path == "/_stats":
            body = json.dumps(STATS).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)
            return
        url = urllib.parse.urlsplit(self.path)
        if url.scheme != "http" or url.hostname not in self.server.allow:
            count("denied")
            self._fail(403, "host not allowed by the lab apt proxy: %s" % (url.hostname or self.path))
            return
        key = hashlib.sha256(self.path.encode()).hexdigest()
        immutable = any(m in url.path for m in IMMUTABLE_MARKERS) or url.path.endswith(".deb")
        cached = os.path.join(self.server.cache, "pool" if immutable else "index", key[:2], key)
        if immutable and os.path.exists(cached):
            count("hits")
            self._send_file(cached, head)
            return
        count("misses" if immutable else "index")
        try:
            self._fetch(cached)
        except urllib.error.HTTPError as exc:
            self._fail(exc.code, "upstream: %s" % exc.reason)
            return
        except (urllib.error.URLError, OSError) as exc:
            if not os.path.exists(cached):
                count("errors")
                self._fail(502, "upstream unreachable: %s" % exc)
                return
        self._send_file(cached, head)

    def _fetch(self, dest):
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        tmp = "%s.%d.part" % (dest, threading.get_ident())
        req = urllib.request.Request(self.path, headers={"User-Agent": "llmops-lab-aptproxy"})
        with urllib.request.urlopen(req, timeout=60) as resp, open(tmp, "wb") as out:
            shutil.copyfileobj(resp, out)
        os.replace(tmp, dest)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--bind", required=True)
    parser.add_argument("--port", type=int, default=3142)
    parser.add_argument("--cache", required=True)
    parser.add_argument("--allow", default="deb.debian.org,security.debian.org,archive.ubuntu.com,"
                                           "security.ubuntu.com")
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.bind, args.port), Handler)
    server.cache = args.cache
    server.allow = set(args.allow.split(","))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
