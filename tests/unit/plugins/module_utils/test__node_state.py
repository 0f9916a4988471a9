# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""account_drift and etc_hosts_drift on the files of a converged lab host (tests/unit/fixtures/node_state: worker1's
/etc/passwd, /etc/group and /etc/hosts after site.yml; its home /var/lib/vllm was vllm:vllm 0750), then each
difference the role's tasks would write back."""

import os

import grp
import hashlib
import pwd
import subprocess

import pytest
import yaml

from ansible_collections.llmops.ray_vllm.plugins.module_utils._node_state import (
    account_drift,
    etc_hosts_drift,
    mount_drift,
    path_drift,
    running_units,
    stat_lines,
    unit_states,
)
from ansible_collections.llmops.ray_vllm.plugins.module_utils._probe import stat_path

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "node_state")
SYSTEMD = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "systemd")
MARKER = "# {mark} llmops.ray_vllm: Ray hosts (role ray_cluster)"
DROP = r"^127\.0\.1\.1\s"  # roles/ray_cluster/vars/main.yml: __ray_cluster_hosts_drop
BLOCK = "10.213.1.11 head\n10.213.1.12 worker1\n10.213.1.13 worker2"
HOME = {"exists": True, "isdir": True, "owner": "vllm", "group": "vllm", "mode": "0750"}
ACCOUNT = ("vllm", "vllm", "/var/lib/vllm", "/usr/sbin/nologin", "llmops.ray_vllm services (Ray, vLLM)", "0750")


def fixture(name):
    return fixture_file("worker1-etc-" + name)


def fixture_file(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def test_converged_host_has_no_drift():
    assert account_drift(fixture("passwd"), fixture("group"), HOME, *ACCOUNT) == []
    assert etc_hosts_drift(fixture("hosts"), BLOCK, MARKER, DROP) == []


def test_account_differences():
    passwd, group = fixture("passwd"), fixture("group")
    assert account_drift(passwd, group, HOME, "ray", "ray", "/var/lib/ray", *ACCOUNT[3:]) == [
        "group ray is missing", "user ray is missing", "home /var/lib/ray: owner is 'vllm', not 'ray'",
        "home /var/lib/ray: group is 'vllm', not 'ray'"]
    edited = passwd.replace("/var/lib/vllm:/usr/sbin/nologin", "/var/lib/vllm:/bin/bash")
    assert account_drift(edited, group, HOME, *ACCOUNT) == ["user vllm: shell is '/bin/bash', not '/usr/sbin/nologin'"]
    other_gid = group.replace("vllm:x:997:", "vllm:x:996:")
    assert account_drift(passwd, other_gid, HOME, *ACCOUNT) == ["user vllm: primary group id is '997', not '996'"]
    assert account_drift(passwd, group, dict(HOME, mode="0755"), *ACCOUNT) == [
        "home /var/lib/vllm: mode is '0755', not '0750'"]
    assert account_drift(passwd, group, {"exists": False, "isdir": False}, *ACCOUNT) == [
        "home /var/lib/vllm is not a directory"]
    assert account_drift(None, group, HOME, *ACCOUNT) == ["/etc/passwd or /etc/group could not be read"]


def test_etc_hosts_differences():
    hosts = fixture("hosts")
    assert etc_hosts_drift(hosts + "127.0.1.1\tworker1\n", BLOCK, MARKER, DROP) == ["a line matches ^127\\.0\\.1\\.1\\s"]
    assert etc_hosts_drift(hosts, BLOCK.replace("worker2", "worker3"), MARKER, DROP) == [
        "the block '# BEGIN llmops.ray_vllm: Ray hosts (role ray_cluster)' is missing or differs"]
    begin = MARKER.replace("{mark}", "BEGIN")
    without_block = hosts[:hosts.index(begin)]
    assert etc_hosts_drift(without_block, BLOCK, MARKER, DROP) != []
    assert etc_hosts_drift(hosts + hosts[hosts.index(begin):], BLOCK, MARKER, DROP) != []  # twice
    assert etc_hosts_drift(hosts.rstrip("\n"), BLOCK, MARKER, DROP) != []  # no newline after the END line
    assert etc_hosts_drift(None, BLOCK, MARKER, DROP) == ["/etc/hosts could not be read"]


def test_path_drift_on_a_real_file(tmp_path):
    """preflight_probe's stat of a real file and directory, against what host_files would write."""
    token = tmp_path / "token"
    token.write_text("abc123")
    token.chmod(0o400)
    me, mine = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    sha = hashlib.sha1(b"abc123").hexdigest()
    entry = stat_path(str(token))
    assert path_drift(entry, "token", me, mine, "0400", checksum=sha) == []
    assert path_drift(entry, "token", "nobody", mine, "0600", checksum=hashlib.sha1(b"other").hexdigest()) == [
        "token: owner is %r, not 'nobody'" % me, "token: mode is '0400', not '0600'", "token: the content differs"]
    assert path_drift(stat_path(str(tmp_path)), "dir", mode="%04o" % (os.stat(tmp_path).st_mode & 0o7777), isdir=True) == []
    assert path_drift(stat_path(str(tmp_path)), "dir") == ["dir is not a file"]
    assert path_drift(stat_path(str(tmp_path / "missing")), "missing", isdir=True) == ["missing is not a directory"]
    assert path_drift(None, "unread") == ["unread is not a file"]


def test_unit_states_of_a_real_systemctl_show():
    """Captured on a lab head (fixtures/systemd/README.md): a running unit, a stopped and disabled one, one that
    does not exist."""
    names = ["vllm.service", "nftables.service", "no-such-unit.service"]
    with open(os.path.join(SYSTEMD, "show_units.txt")) as handle:
        states = unit_states(handle.read(), names)
    assert [(s["name"], s["load"], s["active"], s["enabled"]) for s in states] == [
        ("vllm.service", "loaded", "active", "enabled"),
        ("nftables.service", "loaded", "inactive", "disabled"),
        ("no-such-unit.service", "not-found", "inactive", "")]
    assert running_units(states) == ["vllm.service"]
    # No answer (no systemd): every field empty, nothing counts as running.
    assert unit_states("", names[:1]) == [{"name": "vllm.service", "load": "", "active": "", "sub": "", "enabled": ""}]
    assert running_units(unit_states("", names)) == [] and running_units(None) == []


NFS = ("/mnt/models", "10.213.1.11:/mnt/models", "nfs4", "nfsvers=4,hard,noatime,_netdev")


def test_mount_drift_on_a_converged_lab_worker():
    """worker1's /etc/fstab and /proc/mounts after site.yml (model_storage_mount_state present: the lab's kernel has no
    NFS client; /mnt/models is the lab's shared disk, a mount point, which is all the module's ismount() asks)."""
    fstab, mounts = fixture("fstab"), fixture_file("worker1-proc-mounts")
    assert mount_drift(fstab, mounts, *NFS, state="present") == []
    assert mount_drift(fstab, mounts, *NFS, state="mounted") == []
    unmounted = "".join(line for line in mounts.splitlines(True) if " /mnt/models " not in line)
    assert mount_drift(fstab, unmounted, *NFS, state="present") == []
    assert mount_drift(fstab, unmounted, *NFS, state="mounted") == ["/mnt/models is not mounted"]


@pytest.mark.parametrize("edit, words", [
    (lambda t: t.replace("hard,noatime", "soft,noatime"), "the /etc/fstab entry for /mnt/models is"),
    (lambda t: t.replace("10.213.1.11:", "10.213.1.99:"), "the /etc/fstab entry for /mnt/models is"),
    (lambda t: t.replace(" 0 0", " 0 2"), "the /etc/fstab entry for /mnt/models is"),
    (lambda t: t.replace(" 0 0", ""), "the /etc/fstab entry for /mnt/models is"),
    (lambda t: "\n".join(line for line in t.splitlines() if "nfs4" not in line), "has 0 entries"),
    (lambda t: t + "10.213.1.11:/mnt/models /mnt/models nfs4 nfsvers=4,hard,noatime,_netdev 0 0\n", "has 2 entries"),
    (lambda t: t.replace("10.213.1.11:", "#10.213.1.11:"), "has 0 entries"),
])
def test_mount_drift_names_each_fstab_difference(edit, words):
    fstab = edit(fixture("fstab"))
    drift = mount_drift(fstab, fixture_file("worker1-proc-mounts"), *NFS, state="present")
    assert len(drift) == 1 and words in drift[0], drift


def test_mount_drift_leaves_what_it_cannot_read_to_the_module():
    assert mount_drift(None, "", *NFS, state="present") == ["/etc/fstab could not be read"]
    assert mount_drift(fixture("fstab"), None, *NFS, state="mounted") == ["/proc/mounts could not be read"]
    assert mount_drift(fixture("fstab"), "", *NFS, state="absent") == ["state absent is left to the mount module"]
    spaced = "server:/a\\040b /mnt/my\\040models nfs4 hard 0 0\n"
    assert mount_drift(spaced, "", "/mnt/my models", "server:/a b", "nfs4", "hard", "present") == []


def test_stat_lines_read_what_host_firewalls_detection_prints(tmp_path):
    """The shell of role host_firewall's detection task (taken from its tasks/main.yml), run here with real sh, stat and
    sha1sum on a directory, a file and a missing path; its lines 4-6 are stat_lines' input, then path_drift's."""
    tasks = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "host_firewall", "tasks", "main.yml")
    with open(tasks) as f:
        task = [t for t in yaml.safe_load(f) if t["name"].startswith("Read which firewall tool")][0]
    argv = task["llmops.ray_vllm.host_read"]["argv"]
    assert argv[:2] == ["sh", "-c"]
    directory, table = tmp_path / "nftables.d", tmp_path / "nftables.d" / "llmops.nft"
    directory.mkdir(mode=0o755)
    table.write_text("table inet llmops {}\n")
    table.chmod(0o644)
    paths = [str(directory), str(table), str(tmp_path / "llmops-firewall.service")]
    out = subprocess.run(["sh", "-c", argv[2], "sh", "llmops-firewall.service"] + paths, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert len(out) == 6 and out[5] == "missing"
    me, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    entries = stat_lines(out[3:], paths)
    assert entries[0] == {"path": paths[0], "exists": True, "isdir": True, "owner": me, "group": group, "mode": "0755",
                          "checksum": None}
    sha1 = hashlib.sha1(b"table inet llmops {}\n").hexdigest()
    assert entries[1] == {"path": paths[1], "exists": True, "isdir": False, "owner": me, "group": group, "mode": "0644",
                          "checksum": sha1}
    assert entries[2]["exists"] is False
    assert path_drift(entries[1], "table", me, group, "0644", checksum=sha1) == []
    assert path_drift(entries[1], "table", me, group, "0600", checksum=sha1) == ["table: mode is '0644', not '0600'"]
    assert path_drift(entries[2], "unit", me, group, "0644", checksum=sha1) == ["unit is not a file"]


@pytest.mark.parametrize("lines", [[], ["file 644 root root"], ["dir 7x5 root root"], ["garbage"], ["missing"]])
def test_stat_lines_not_understood_read_as_missing(lines):
    entry = stat_lines(lines, ["/etc/x"])[0]
    assert entry["exists"] is False and path_drift(entry, "x", mode="0644") == ["x is not a file"]
