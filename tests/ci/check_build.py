# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the collection tarball `ansible-galaxy collection build` wrote (make build).

- nothing git ignores is inside (venvs, caches, the lab's generated inventory, test output, ...),
  nor anything under a path that must never ship (.git, .venv, .cache, ansible-builder's context);
- the files Galaxy and ansible-builder read are inside: MANIFEST.json, FILES.json, README.md,
  meta/runtime.yml, meta/execution-environment.yml and the files it names, every role's
  meta/argument_specs.yml;
- it is a sensible size (under MAX_BYTES).

Prints the size and the file count; one line per problem; exit 1 when any.
Usage: python tests/ci/check_build.py TARBALL
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_BYTES = 2 * 1024 * 1024
NEVER = (".git/", ".venv/", ".cache/", ".ci/", ".ansible/", "ansible_collections/", "tests/output/",
         "context/")
REQUIRED = ("MANIFEST.json", "FILES.json", "README.md", "meta/runtime.yml", "meta/execution-environment.yml")


def problems(members, ignored, size, roles, ee_meta):
    """Problems of a tarball. Pure.

    ``members``: its file paths; ``ignored``: the paths git ignores (files, and directories ending in
    ``/`` as ``git ls-files --directory`` gives them); ``size``: its bytes; ``roles``: the role names of
    the checkout; ``ee_meta``: the parsed meta/execution-environment.yml (or None).
    """
    found = []
    names = set(members)
    ignored_dirs = tuple(p for p in ignored if p.endswith("/"))
    for path in sorted(names):
        if path in ignored or (ignored_dirs and path.startswith(ignored_dirs)):
            found.append("%s is ignored by git (a generated or local file): add it to galaxy.yml build_ignore" % path)
        elif path.startswith(NEVER) or "/__pycache__/" in "/" + path or path.endswith((".pyc", ".tar.gz")):
            found.append("%s must not ship: add it to galaxy.yml build_ignore" % path)
    required = list(REQUIRED) + ["roles/%s/meta/argument_specs.yml" % r for r in roles]
    for entry in ("python", "system"):
        ref = ((ee_meta or {}).get("dependencies") or {}).get(entry)
        if isinstance(ref, str):
            required.append(ref)
    for path in required:
        if path not in names:
            found.append("%s is missing from the tarball (in build_ignore?): Galaxy and ansible-builder read it" % path)
    if size > MAX_BYTES:
        found.append("the tarball is %d bytes, more than %d: look for data that does not belong in it" % (size, MAX_BYTES))
    return found


def git_ignored():
    out = subprocess.run(["git", "ls-files", "--others", "--ignored", "--exclude-standard", "--directory", "-z"],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return {p for p in out.split("\0") if p}


def main(argv):
    if len(argv) != 1:
        print("usage: check_build.py TARBALL")
        return 2
    tarball = argv[0]
    with tarfile.open(tarball) as tar:
        members = [m.name.removeprefix("./") for m in tar.getmembers() if m.isfile()]
    roles = sorted(d for d in os.listdir(os.path.join(ROOT, "roles"))
                   if os.path.isdir(os.path.join(ROOT, "roles", d)))
    ee_path = os.path.join(ROOT, "meta", "execution-environment.yml")
    ee_meta = None
    if os.path.isfile(ee_path):
        with open(ee_path, encoding="utf-8") as handle:
            ee_meta = yaml.safe_load(handle)
    size = os.path.getsize(tarball)
    found = problems(members, git_ignored(), size, roles, ee_meta)
    for line in found:
        print(line)
    print("check_build: %s: %d bytes (%.1f KiB), %d files, %d problem(s)"
          % (os.path.basename(tarball), size, size / 1024, len(members), len(found)))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
