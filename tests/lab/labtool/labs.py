"""A lab's recorded state: its directory, lab.json, the hosts it was asked for, its index."""

import json
import os

from .util import STATE, LabError, read_json, write

MAX_INDEX = 100
# The Debian releases a lab host can run (debootstrap suites) and the Python 3 each one ships: the lab's package
# index holds wheels for each of these Pythons (wheelhouse.py). A host's release is part of the lab's state.
RELEASES = {"bookworm": "3.11", "trixie": "3.13"}
DEFAULT_RELEASE = "bookworm"


def lab_dir(name):
    return os.path.join(STATE, "labs", name)


def lab_lock(name):
    """The name of the lock of one lab's hosts (the machine-wide lock guards what labs share). Pure."""
    return "lab-" + name


def load_lab(name):
    return read_json(os.path.join(lab_dir(name), "lab.json"))


def all_labs():
    root = os.path.join(STATE, "labs")
    if not os.path.isdir(root):
        return []
    return [lab for lab in (load_lab(n) for n in sorted(os.listdir(root))) if lab]


def save_lab(lab):
    write(os.path.join(lab_dir(lab["name"]), "lab.json"), json.dumps(lab, indent=2))


def require_lab(name):
    lab = load_lab(name)
    if not lab:
        raise LabError("lab %r is not up: run 'lab up N' first" % name)
    return lab


def free_index(name, used):
    """The lowest index no other lab uses (the lab named 'lab' may take 0). Pure."""
    start = 0 if name == "lab" else 1
    for idx in range(start, MAX_INDEX):
        if idx not in used:
            return idx
    raise LabError("no free lab index (%d labs exist): 'lab down --all' first" % len(used))


def pick_index(name):
    return free_index(name, {lab["index"] for lab in all_labs() if lab["name"] != name})


def check_release(release):
    """release if the lab can build it, else a LabError naming those it can. Pure."""
    if release not in RELEASES:
        raise LabError("unknown release %r: the lab builds %s" % (release, ", ".join(sorted(RELEASES))))
    return release


def host_release(h):
    """The Debian release of host record h (records written before releases existed are bookworm). Pure."""
    return h.get("release") or DEFAULT_RELEASE


def parse_hosts(count, hosts, labname, release=DEFAULT_RELEASE):
    """[(host, [groups], release)] from 'up N' (count) or '--hosts a@trixie=g1+g2,b' (hosts). Pure.

    release is every host's release unless its spec names its own (NAME@RELEASE).
    """
    check_release(release)
    if hosts:
        out = []
        for item in hosts.split(","):
            spec, _sep, groups = item.strip().partition("=")
            host, at, own = spec.partition("@")
            if not host.replace("-", "").isalnum() or host[0].isdigit():
                raise LabError("bad host name %r: use letters, digits and '-', starting with a letter" % host)
            out.append((host, [g for g in groups.split("+") if g], check_release(own) if at else release))
        if len({host for host, _groups, _release in out}) != len(out):
            raise LabError("--hosts lists a host twice")
        return out
    if not count or count < 1:
        raise LabError("say how many hosts: 'lab up N' (N >= 1) or 'lab up --hosts a,b,c'")
    prefix = "lab" if labname == "lab" else labname + "-"
    return [("%s%d" % (prefix, i), ["ray_head", "nfs_server"] if i == 1 else ["ray_workers"], release)
            for i in range(1, count + 1)]


def host_specs(hosts):
    """[(host, [groups], release)] of a lab's host records, as parse_hosts gives for the same lab. Pure."""
    return [(h["name"], h["groups"], host_release(h)) for h in hosts]


def host_paths(lab, h):
    d = os.path.join(lab_dir(lab["name"]), "hosts", h["name"])
    return {"dir": d, "upper": os.path.join(d, "upper"), "work": os.path.join(d, "work"),
            "root": os.path.join(d, "root"), "log": os.path.join(d, "nspawn.log")}


def find_host(lab, host):
    for h in lab["hosts"]:
        if h["name"] == host or h["ip"] == host:
            return h
    raise LabError("no host %r in lab %r (hosts: %s)" % (host, lab["name"], ", ".join(h["name"] for h in lab["hosts"])))
