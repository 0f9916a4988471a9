# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""make venv-image: the OS packages and the venv site.yml installs on the lab inventory (its system_deps and
python_venv roles), built once per machine and input, as the lab image 'lab-venv' (tests/lab/labtool/rootfs.py: an
overlay layer above the base of the hosts of a lab booted with `lab up --image lab-venv`).

Scenarios whose subject is not the install boot their hosts with it (the scenario's platforms name
`image: lab-venv`), so `make test` installs those packages and that venv once instead of once per host of each of
them: the install itself is tested where it is the subject (molecule/system_deps, molecule/python_venv with uv and
pip, molecule/debian13's fresh site.yml on Python 3.13, make demo).

The image is made by those roles (tests/tools/venv_image.yml) on one fresh lab host, then what they changed on it
is saved (`lab image-save --changes`: the host's overlay but its identity, logs and run-time state). It is keyed by
a digest of what decides its content (INPUTS): a change to any of them builds a new image (about 4 minutes on this
machine) and the older one is removed once no lab runs on it.
"""

import hashlib
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))

from labtool.rootfs import image_ready, link_image  # noqa: E402  (tests/lab is not a package on sys.path)
from labtool.wheelhouse import source_digest  # noqa: E402

LINK = "lab-venv"
LAB = "venv-image"
# What decides the image's content: the packages, pins and index (the lab inventory), the roles and the pin logic
# that install them, the wheelhouse requests and the lab's platform plugin the index serves, the playbook that runs
# the roles, and this script (what it saves).
INPUTS = ("inventories/lab/group_vars/all.yml", "roles/python_venv", "roles/system_deps", "plugins/module_utils/_pins.py",
          "tests/lab/wheelhouse", "tests/lab/vllm_platform", "tests/tools/venv_image.yml", "tests/ci/venv_image.py")


def inputs_key(inputs=INPUTS):
    """A short sha256 of the inputs' source digests (labtool.wheelhouse.source_digest: paths and contents, build
    output left out)."""
    digest = hashlib.sha256()
    for top in inputs:
        digest.update(("%s\0%s\0" % (top, source_digest(os.path.join(ROOT, top)))).encode())
    return digest.hexdigest()[:16]


def lab(*args):
    subprocess.run([sys.executable, os.path.join(ROOT, "tests", "lab", "lab"), "--name", LAB] + list(args), check=True)


def main():
    name = "venv-" + inputs_key()
    if image_ready(name):
        link_image(LINK, name)
        print("venv image %s: up to date (%s)" % (LINK, name))
        return 0
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="venv-image-") as tmp:
        inventory = os.path.join(tmp, "hosts.yml")
        os.symlink(os.path.join(ROOT, "inventories", "lab", "group_vars"), os.path.join(tmp, "group_vars"))
        lab("down")  # a build cut off earlier leaves its lab
        try:
            lab("up", "--hosts", "head=ray_head", "--inventory", inventory)
            env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
                       ANSIBLE_PIPELINING="true")
            subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory,
                            os.path.join(ROOT, "tests", "tools", "venv_image.yml")], env=env, check=True)
            lab("image-save", "head", "--changes", "--as", name, "--link", LINK)
        finally:
            lab("down")
    print("venv image %s: built %s in %.0fs" % (LINK, name, time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
