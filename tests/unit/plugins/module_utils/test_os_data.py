# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every OS package name the collection installs exists in that OS release, checked against real package
lists of each release (tests/unit/fixtures/os_packages/README.md says where each list comes from).

Names checked per release: OS_DATA's ``packages``, ``python<python_version>`` (the release's interpreter
package of that version), the per-OS-family names of roles/model_storage/vars/main.yml, the literal names of
the roles' ``llmops.ray_vllm.os_packages`` tasks (nftables, prometheus) and the lab inventory's
``system_deps_extra_packages`` (Debian family: the lab runs Debian).

A release whose source is a package index excerpt ("complete") fails on a missing name. A release whose only
sources are partial (packages installed on real hosts or images, security notices) skips the names they do not
list: such a list proves what it holds, not what it lacks. A release with no source skips, naming the gap.
"""

import os
import re

import pytest
import yaml

from ansible_collections.llmops.ray_vllm.plugins.module_utils._platform import OS_DATA

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "os_packages")

# The names the Debian index excerpts keep (README.md: the command that made them uses the same regex).
EXCERPT_RE = re.compile(
    r"^(python3(\.[0-9]+)?(-(dev|venv|pip|minimal|full|devel))?|gcc(-[0-9]+)?|g\+\+(-[0-9]+)?|make|nfs-.*|curl"
    r"|ca-certificates|tar|pciutils|libnuma.*|nftables|firewalld|ufw|prometheus|rpcbind)$")

NO_EL9_SOURCE = ("no package index excerpt of BaseOS/AppStream and no package list of a real host of this "
                 "release with provenance was found (tests/unit/fixtures/os_packages/README.md)")

# release -> complete (index excerpt) or not, and its fixture files with their format.
SOURCES = {
    "Debian 12": {"complete": True, "files": [("debian-12-bookworm-main-amd64.txt", "names")]},
    "Debian 13": {"complete": True, "files": [("debian-13-trixie-main-amd64.txt", "names")]},
    "Ubuntu 22.04": {"complete": False, "files": [("ubuntu-22.04-runner-images-readme.md", "table"),
                                                  ("ubuntu-22.04-cybozu-ubuntu-dev.md", "table"),
                                                  ("ubuntu-22.04-usn-6891-1.json.txt", "usn")]},
    "Ubuntu 24.04": {"complete": False, "files": [("ubuntu-24.04-runner-images-readme.md", "table"),
                                                  ("ubuntu-24.04-cybozu-ubuntu-dev.md", "table"),
                                                  ("ubuntu-24.04-h200-host-dpkg-query.txt", "dpkg")]},
    "Rocky 9": {"missing": NO_EL9_SOURCE},
    "RedHat 9": {"missing": NO_EL9_SOURCE},
}

FAMILY = {"Debian": "Debian", "Ubuntu": "Debian", "Rocky": "RedHat", "RedHat": "RedHat"}


def parse(path, kind):
    """The package names one fixture file lists."""
    with open(path) as f:
        lines = f.read().splitlines()
    if kind == "names":  # one name a line
        return {line.strip() for line in lines if line.strip()}
    if kind == "table":  # markdown table `| name | version | ... |`, dpkg's `name:arch` cut to the name
        names = set()
        for line in lines:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if line.startswith("|") and cells[0] and cells[0] != "Name" and not set(cells[0]) <= set("-"):
                names.add(cells[0].split(":")[0])
        return names
    if kind == "dpkg":  # dpkg-query -W -f='${Package}\t${Version}\t${db:Status-Status}\n' of a real host
        return {line.split("\t")[0] for line in lines if line.endswith("\tinstalled")}
    if kind == "usn":  # OSV JSON of a Ubuntu Security Notice: the binary packages it names
        return set(re.findall(r'"binary_name": "([^"]+)"', "\n".join(lines)))
    raise ValueError(kind)


def listed(release):
    return {name for file, kind in SOURCES[release]["files"] for name in parse(os.path.join(FIXTURES, file), kind)}


def _yaml(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return yaml.safe_load(f)


def role_names():
    """{os_family: [(name, where)]} of the OS package names the roles and the lab inventory name literally."""
    names = {"Debian": [], "RedHat": []}
    storage = _yaml("roles", "model_storage", "vars", "main.yml")["__model_storage_packages"]
    for family, groups in storage.items():
        for group, pkgs in sorted(groups.items()):
            names[family] += [(p, "model_storage %s" % group) for p in pkgs]
    tasks_root = os.path.join(ROOT, "roles")
    for role in sorted(os.listdir(tasks_root)):
        tasks_dir = os.path.join(tasks_root, role, "tasks")
        for file in sorted(os.listdir(tasks_dir)) if os.path.isdir(tasks_dir) else []:
            for task in _yaml("roles", role, "tasks", file) or []:
                name = (task.get("llmops.ray_vllm.os_packages") or {}).get("name")
                for pkg in [name] if isinstance(name, str) else name or []:
                    if "{{" not in pkg:
                        for family in names:
                            names[family].append((pkg, "%s tasks/%s" % (role, file)))
    lab = _yaml("inventories", "lab", "group_vars", "all.yml").get("system_deps_extra_packages") or []
    names["Debian"] += [(p, "lab inventory system_deps_extra_packages") for p in lab]
    return names


def cases():
    roles = role_names()
    out = []
    for release, row in OS_DATA.items():
        names = [(p, "OS_DATA packages") for p in row["packages"]]
        names.append(("python" + row["python_version"], "OS_DATA python_version"))
        names += roles[FAMILY[release.split()[0]]]
        seen = set()
        for name, origin in names:
            if name not in seen:
                seen.add(name)
                out.append(pytest.param(release, name, origin, id="%s:%s" % (release, name)))
    return out


def test_every_release_has_a_source_entry():
    assert sorted(SOURCES) == sorted(OS_DATA), "give each OS_DATA release its package lists in SOURCES"


@pytest.mark.parametrize("release", [r for r in SOURCES if "files" in SOURCES[r]])
def test_fixtures_parse(release):
    for file, kind in SOURCES[release]["files"]:
        names = parse(os.path.join(FIXTURES, file), kind)
        assert names, "%s lists no package" % file
        if SOURCES[release]["complete"]:  # made with EXCERPT_RE: every name matches it
            assert all(EXCERPT_RE.match(n) for n in names), file


@pytest.mark.parametrize("release,name,origin", cases())
def test_package_exists_in_release(release, name, origin):
    source = SOURCES[release]
    if "missing" in source:
        pytest.skip("%s: %s" % (release, source["missing"]))
    files = ", ".join(file for file, _kind in source["files"])
    if source["complete"]:
        assert EXCERPT_RE.match(name), (
            "%s: package %r (%s) is outside the index excerpt's regex: add it to EXCERPT_RE and re-create %s "
            "(fixtures/os_packages/README.md)" % (release, name, origin, files))
        assert name in listed(release), (
            "%s: package %r (%s) does not exist in the release's package index (%s)" % (release, name, origin, files))
    elif name not in listed(release):
        pytest.skip("%s: package %r (%s) is not proven: the partial lists %s do not name it"
                    % (release, name, origin, files))
