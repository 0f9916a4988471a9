# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/_packages.py on dpkg-query output captured on lab hosts (fixtures/dpkg/README.md)."""

import os
import shlex
import subprocess

from ansible_collections.llmops.ray_vllm.plugins.module_utils._packages import installed_query, missing_packages

NAMES = ["python3-dev", "nftables", "nfs-kernel-server", "no-such-package", "libc6:amd64", "rpcbind", "nfs-ganesha"]


FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "dpkg")


def capture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def test_the_query_is_the_captured_command_and_quotes_names():
    assert installed_query("Debian", NAMES) == (
        "dpkg-query -W -f='${Package}\\t${db:Status-Abbrev}\\n' -- python3-dev nftables nfs-kernel-server "
        "no-such-package libc6:amd64 rpcbind nfs-ganesha 2>/dev/null")
    assert shlex.split(installed_query("Debian", ["a b;rm -rf /"]))[-2] == "a b;rm -rf /"
    assert installed_query("RedHat", NAMES) is None
    assert installed_query(None, NAMES) is None


def test_installed_known_and_unknown_packages():
    # un = known from the lists, not installed; no line = dpkg never heard of it; libc6:amd64 prints as libc6
    assert missing_packages(NAMES, capture("installed_and_unknown.txt")) == ["nfs-kernel-server", "no-such-package"]


def test_config_files_left_is_not_installed():
    assert missing_packages(NAMES, capture("config_files_left.txt")) == [
        "nftables", "nfs-kernel-server", "no-such-package", "nfs-ganesha"]


def test_names_it_cannot_read_go_to_apt_and_duplicates_once():
    out = capture("installed_and_unknown.txt")
    assert missing_packages(["python3-dev=3.11.2-1", "python3-*", "./x.deb", "rpcbind", "rpcbind"], out) == [
        "python3-dev=3.11.2-1", "python3-*", "./x.deb"]
    assert missing_packages([], out) == []
    assert missing_packages(["rpcbind"], "") == ["rpcbind"]


def test_the_query_runs_on_this_debian_machine():
    """The same command through a real shell and dpkg here (the controller is Debian 12 too)."""
    out = subprocess.run(installed_query("Debian", ["dpkg", "no-such-package"]), shell=True, check=False,
                         capture_output=True, text=True).stdout
    assert missing_packages(["dpkg", "no-such-package"], out) == ["no-such-package"]
