# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/ci/check_build.py: the pure tarball check, and the script on tarballs made here."""

from __future__ import annotations

import importlib.util
import io
import os
import tarfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
_SPEC = importlib.util.spec_from_file_location("check_build", os.path.join(ROOT, "tests", "ci", "check_build.py"))
cb = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(cb)

EE = {"version": 1, "dependencies": {"python": "meta/requirements.txt", "system": "meta/bindep.txt"}}
GOOD = list(cb.REQUIRED) + ["meta/requirements.txt", "meta/bindep.txt", "roles/r1/meta/argument_specs.yml",
                            "roles/r1/tasks/main.yml", "plugins/modules/m.py"]


def test_good_tarball():
    assert cb.problems(GOOD, {".venv/", "inventories/lab/hosts.yml"}, 250000, ["r1"], EE) == []


def test_ignored_and_never_shipped_paths():
    members = GOOD + ["inventories/lab/hosts.yml", ".venv/bin/python", ".cache/x", "plugins/__pycache__/m.pyc",
                      "molecule/s/.molecule/state.yml", "llmops-ray_vllm-0.0.1.tar.gz"]
    found = cb.problems(members, {".venv/", "inventories/lab/hosts.yml", "molecule/s/.molecule/"}, 1, ["r1"], EE)
    assert found == [
        ".cache/x must not ship: add it to galaxy.yml build_ignore",
        ".venv/bin/python is ignored by git (a generated or local file): add it to galaxy.yml build_ignore",
        "inventories/lab/hosts.yml is ignored by git (a generated or local file): add it to galaxy.yml build_ignore",
        "llmops-ray_vllm-0.0.1.tar.gz must not ship: add it to galaxy.yml build_ignore",
        "molecule/s/.molecule/state.yml is ignored by git (a generated or local file): "
        "add it to galaxy.yml build_ignore",
        "plugins/__pycache__/m.pyc must not ship: add it to galaxy.yml build_ignore",
    ]


def test_missing_metadata_and_size():
    members = [m for m in GOOD if m not in ("meta/bindep.txt", "roles/r1/meta/argument_specs.yml")]
    found = cb.problems(members, set(), cb.MAX_BYTES + 1, ["r1"], EE)
    assert found == [
        "roles/r1/meta/argument_specs.yml is missing from the tarball (in build_ignore?): "
        "Galaxy and ansible-builder read it",
        "meta/bindep.txt is missing from the tarball (in build_ignore?): Galaxy and ansible-builder read it",
        "the tarball is %d bytes, more than %d: look for data that does not belong in it"
        % (cb.MAX_BYTES + 1, cb.MAX_BYTES),
    ]


def _tarball(path, names):
    with tarfile.open(path, "w:gz") as tar:
        for name in names:
            data = b"x\n"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_script_on_tarballs(tmp_path, capsys):
    roles = sorted(os.listdir(os.path.join(ROOT, "roles")))
    good = list(cb.REQUIRED) + ["meta/requirements.txt", "meta/bindep.txt"] + [
        "roles/%s/meta/argument_specs.yml" % r for r in roles]
    _tarball(tmp_path / "good.tar.gz", good)
    assert cb.main([str(tmp_path / "good.tar.gz")]) == 0
    _tarball(tmp_path / "bad.tar.gz", good + [".venv/pyvenv.cfg"])
    assert cb.main([str(tmp_path / "bad.tar.gz")]) == 1
    out = capsys.readouterr().out.splitlines()
    # "is ignored by git" where the checkout has a .venv, else "must not ship"
    assert [line for line in out if line.startswith(".venv/pyvenv.cfg ")][0].endswith(
        ": add it to galaxy.yml build_ignore")
    assert out[-1].startswith("check_build: bad.tar.gz: ") and out[-1].endswith(" files, 1 problem(s)")
