# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab tool's pure parts (tests/lab/labtool): addresses and names, host lists, lab indexes, /etc/hosts,
known_hosts, the inventory, wheelhouse stamps, process trees and the command line. Nothing here needs root."""

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


def make_lab(name="h3", index=4, wanted=(("h3-1", ["ray_head", "nfs_server"]), ("h3-2", ["ray_workers"]))):
    return {"name": name, "index": index, "wan_ip": net.wan_ip(index), "gateway": net.gateway(index),
            "hosts": [net.host_record(name, index, pos, host, groups) for pos, (host, groups) in enumerate(wanted, start=1)]}


# ---------------------------------------------------------------- addresses and names

def test_addresses_of_a_lab():
    assert str(net.subnet(4)) == "10.213.4.0/24"
    assert net.gateway(4) == "10.213.4.1"
    assert net.wan_ip(4) == "10.213.132.2"  # the stand-in outside world: index + 128
    assert net.names("h3", 4) == {"bridge": "llb4", "wan": "llw4", "wan_bridge": "llo4", "wan_ns": "llmops-h3-wan"}


def test_host_records_number_from_eleven():
    first, second = make_lab()["hosts"]
    assert first == {"name": "h3-1", "groups": ["ray_head", "nfs_server"], "ip": "10.213.4.11", "netns": "llmops-h3-h3-1",
                     "veth": "llv4h1", "machine": "llmops-h3-h3-1", "pid": None}
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
    ("lab", 3, [("lab1", ["ray_head", "nfs_server"]), ("lab2", ["ray_workers"]), ("lab3", ["ray_workers"])]),
    ("h3", 2, [("h3-1", ["ray_head", "nfs_server"]), ("h3-2", ["ray_workers"])]),
    ("h3", 1, [("h3-1", ["ray_head", "nfs_server"])]),
])
def test_up_n_names_hosts_after_the_lab(labname, count, expected):
    assert labs.parse_hosts(count, None, labname) == expected


def test_hosts_with_groups():
    assert labs.parse_hosts(None, "head=ray_head+nfs_server, worker1=ray_workers,spare", "e2e") == [
        ("head", ["ray_head", "nfs_server"]), ("worker1", ["ray_workers"]), ("spare", [])]


@pytest.mark.parametrize("count, spec, message", [
    (None, None, "say how many hosts"),
    (0, None, "say how many hosts"),
    (-1, None, "say how many hosts"),
    (None, "a,b,a", "lists a host twice"),
    (None, "1a", "bad host name '1a'"),
    (None, "a_b", "bad host name 'a_b'"),
    (None, "a.b", "bad host name 'a.b'"),
])
def test_bad_host_lists(count, spec, message):
    with pytest.raises(LabError, match=message):
        labs.parse_hosts(count, spec, "h3")


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
    assert inv["hosts"] == {"h3-1": {"ansible_host": "10.213.4.11"}, "h3-2": {"ansible_host": "10.213.4.12"}}
    assert inv["children"] == {"ray_head": {"hosts": {"h3-1": None}}, "nfs_server": {"hosts": {"h3-1": None}},
                               "ray_workers": {"hosts": {"h3-2": None}}}


def test_inventory_of_hosts_without_groups_has_no_children(state):
    inv = yaml.safe_load(hosts.inventory_yaml(make_lab(wanted=[("head", []), ("worker1", [])])))["all"]
    assert "children" not in inv and list(inv["hosts"]) == ["head", "worker1"]


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
    (["up", "3"], {"name": "lab", "cmd": "up", "count": 3, "hosts": None, "inventory": None, "install": False}),
    (["--name", "e2e", "up", "--hosts", "head=ray_head,w1", "--inventory", "x.yml"],
     {"name": "e2e", "count": None, "hosts": "head=ray_head,w1", "inventory": "x.yml"}),
    (["down", "--all"], {"cmd": "down", "all": True}),
    (["status", "--check"], {"cmd": "status", "all": False, "check": True}),
    (["ssh", "lab1", "systemctl", "is-active", "-q", "ssh"], {"host": "lab1", "command": ["systemctl", "is-active", "-q", "ssh"]}),
    (["ssh", "lab1"], {"host": "lab1", "command": []}),
    (["reboot", "lab2", "lab3"], {"hosts": ["lab2", "lab3"]}),
    (["wheelhouse", "-r", "a.txt", "-r", "b.txt", "pip==24"], {"requirement": ["a.txt", "b.txt"], "requirements": ["pip==24"], "force": False}),
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


@pytest.mark.parametrize("argv", [[], ["services", "restart"], ["up", "two"], ["reboot"], ["ssh"]])
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
    assert "{up,down,status,ssh,reboot,inventory,wheelhouse,services,prereqs}" in res.stdout
