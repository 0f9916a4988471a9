# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether every pinned package has a distribution for each host's venv Python (pure; unit-tested).

Role validate asks the package index the site configured, before anything changes, with
``pip index versions --python-version X.Y --implementation cp --platform ...`` on the controller: pip lists
only the versions that have a file for that Python (its ``Requires-Python``, its wheel tags) and platform,
so a pin that is not among them would fail pip's resolver minutes into the install (vLLM 0.33 has no
distribution for Ubuntu 22.04's Python 3.10, Ray 2.60 none for EL9's 3.9). One pip call per package and
(Python, platform) of the hosts whose venv does not hold the pins yet; nothing is downloaded.
"""

from __future__ import annotations

import re

from ansible_collections.llmops.ray_vllm.plugins.module_utils._pins import parse_pin, versions_equal

# manylinux2014 is manylinux_2_17; pip expands it to the older manylinux2010/manylinux1 itself, but not
# manylinux_2_X to the lower X, so every one from 17 to the host's glibc is named.
_MANYLINUX_FIRST_MINOR = 17
# pip's own words when it never got an answer from the index.
_UNREACHABLE_MARKS = ("NewConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "Could not fetch URL",
                      "connection broken by", "Max retries exceeded", "SSLError", "ProxyError")


def major_minor(version):
    """``"3.11"`` of ``"3.11.2"`` (or of ``"3.11"``); ``""`` for an empty or unparsable version."""
    parts = str(version or "").strip().split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 and all(p.isdigit() for p in parts[:2]) else ""


def pip_platforms(glibc, arch):
    """The platform tags of a glibc ``X.Y`` Linux host on ``arch`` (``x86_64``, ``aarch64``), newest last."""
    minor = int(str(glibc).split(".")[1])
    return (["manylinux2014_%s" % arch]
            + ["manylinux_2_%d_%s" % (m, arch) for m in range(_MANYLINUX_FIRST_MINOR, minor + 1)])


def source_args(index, installer="pip"):
    """The command-line arguments that point ``installer`` (``pip``: pip install/download/index, ``uv``: uv pip
    install) at the package sources ``index``: ``{index_url, extra_index_urls, trusted_hosts, find_links,
    no_index}`` (python_venv's variables). uv trusts a host with ``--allow-insecure-host``; with extra index
    URLs it is told to pick the best version across all indexes (``--index-strategy unsafe-best-match``), which
    is what pip does (uv's own default takes a package from the first index that has it at all)."""
    if installer not in ("pip", "uv"):
        raise ValueError("installer %r: use pip or uv" % (installer,))
    args = []
    if index.get("index_url"):
        args += ["--index-url", index["index_url"]]
    for url in index.get("extra_index_urls") or []:
        args += ["--extra-index-url", url]
    if installer == "uv" and index.get("extra_index_urls"):
        args += ["--index-strategy", "unsafe-best-match"]
    for host in index.get("trusted_hosts") or []:
        args += ["--trusted-host" if installer == "pip" else "--allow-insecure-host", host]
    for link in index.get("find_links") or []:
        args += ["--find-links", link]
    if index.get("no_index"):
        args.append("--no-index")
    return args


def index_label(index):
    """How the report names the package source: the index URL (or PyPI) and any find-links."""
    if index.get("no_index"):
        where = "the wheelhouse %s" % ", ".join(index.get("find_links") or [])
    else:
        where = "the package index %s" % (index.get("index_url") or "PyPI")
        if index.get("extra_index_urls"):
            where += " (+ %s)" % ", ".join(index["extra_index_urls"])
    return where


def checkable(index):
    """Whether the controller can ask the sources the hosts install from: a wheelhouse given as a local
    directory (not a URL) of python_venv_find_links is on the hosts, and with no index it is all there is."""
    return not (index.get("no_index") and any("://" not in str(link) for link in index.get("find_links") or []))


def install_checks(hosts, pins, index, timeout=10):
    """One check per distinct (Python, architecture, glibc) of ``hosts`` and pinned package:
    ``{target, pin, name, version, args}``, ``args`` being what follows ``<python> -m pip`` (pip of the
    controller; ``--isolated``: only the configured sources count). None when the controller cannot ask
    the hosts' sources (see checkable).

    ``hosts``: ``[{host, python, arch, glibc, os, current}]``: ``python`` the venv Python's version (full or
    major.minor; empty when not known, which validate reports by itself), ``current`` true when the host's
    venv already holds exactly these pins (python_venv's stamp), so there is nothing to install there.
    ``target``: ``{python (major.minor), arch, glibc, hosts, os}``. Raises ValueError on a pin that is not
    exact (validate reports those by themselves first).
    """
    if not checkable(index):
        return []
    targets = {}
    for h in hosts:
        python = major_minor(h.get("python"))
        if h.get("current") or not python or not h.get("glibc") or not h.get("arch"):
            continue
        key = (python, h["arch"], str(h["glibc"]))
        t = targets.setdefault(key, {"python": python, "arch": h["arch"], "glibc": str(h["glibc"]), "hosts": [], "os": []})
        t["hosts"].append(h["host"])
        if h.get("os") and h["os"] not in t["os"]:
            t["os"].append(h["os"])
    checks = []
    for target in targets.values():
        platform_args = []
        for tag in pip_platforms(target["glibc"], target["arch"]):
            platform_args += ["--platform", tag]
        for pin in pins:
            name, version = parse_pin(pin)
            checks.append({
                "target": target, "pin": str(pin), "name": name, "version": version,
                "args": (["--isolated", "index", "versions", "--disable-pip-version-check", "--timeout", str(timeout),
                          "--retries", "1", "--python-version", target["python"], "--implementation", "cp"]
                         + platform_args + source_args(index) + [name]),
            })
    return checks


def parse_index_versions(rc, stdout, stderr):
    """``pip index versions`` output -> ``{versions, unreachable, error}``: the versions it lists (newest first),
    whether it never reached the index, and pip's last error line."""
    versions = []
    for line in str(stdout or "").splitlines():
        if line.startswith("Available versions:"):
            versions = [v.strip() for v in line.split(":", 1)[1].split(",") if v.strip()]
    errors = [line.strip() for line in str(stderr or "").splitlines() if line.strip()]
    marked = [line for line in errors if any(mark in line for mark in _UNREACHABLE_MARKS)]
    unreachable = rc != 0 and bool(marked)
    if unreachable:  # why it never got an answer, e.g. "[Errno 111] Connection refused"
        reason = re.search(r"(\[Errno [^\]]+\][^\"')]*|timed out|SSLError[^\"')]*|ProxyError[^\"')]*)", marked[-1])
        error = reason.group(1).strip() if reason else marked[-1]
    else:
        error = ([line for line in errors if line.startswith("ERROR")] or errors or [""])[-1]
    return {"versions": versions, "unreachable": unreachable, "error": "" if rc == 0 else error}


def _has(versions, want):
    for v in versions:
        try:
            if versions_equal(v, want):
                return True
        except ValueError:
            continue
    return False


def installability_problems(results, index):
    """Problems and notes of the checks' results (a ``command`` loop over install_checks with ``item`` each).

    ``{"problems": [...], "notes": [...]}``: a problem per pin without a distribution for a target (naming
    hosts, OS, Python, package, what the index has for that Python, and the fix); a note per target whose
    index the controller could not reach (nothing is known then: the install will tell).
    """
    problems = []
    notes = [] if checkable(index) else [
        "the pins' distributions were not checked: python_venv_no_index with python_venv_find_links directories "
        "(on the hosts, not on the controller)"]
    where = index_label(index)
    for r in results:
        c = r["item"]
        t = c["target"]
        who = "%s (%s, Python %s, %s, glibc %s)" % (
            ", ".join(t["hosts"]), " + ".join(t["os"]) or "?", t["python"], t["arch"], t["glibc"])
        if r.get("skipped"):
            continue
        if r.get("rc") is None:
            notes.append("%s: could not ask %s for %s (%s)" % (who, where, c["pin"], r.get("msg", "pip did not run")))
            continue
        got = parse_index_versions(r["rc"], r.get("stdout", ""), r.get("stderr", ""))
        if got["unreachable"]:
            line = "%s: the controller could not reach %s (%s), so the pins were not checked" % (who, where, got["error"])
            if line not in notes:
                notes.append(line)
            continue
        if _has(got["versions"], c["version"]):
            continue
        newest = ("the newest there for Python %s is %s" % (t["python"], got["versions"][0])) if got["versions"] else (
            "it has no version of %s for Python %s at all" % (c["name"], t["python"]))
        problems.append(
            "%s: %s has no distribution for this Python and platform on %s (%s). Fix: give these hosts a Python the "
            "pins support (python_venv_python; left empty, role system_deps installs the OS's Python for the pins), "
            "or pin a version that has one (python_venv_packages / python_venv_vllm_package)"
            % (who, c["pin"], where, newest))
    return {"problems": problems, "notes": notes}
