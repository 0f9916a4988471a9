"""A lab's recorded state: its directory, lab.json, the hosts it was asked for, its index."""

import json
import os

from .util import STATE, LabError, read_json, write

MAX_INDEX = 100


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


def parse_hosts(count, hosts, labname):
    """Return [(host, [groups])] from 'up N' (count) or '--hosts a=g1+g2,b' (hosts). Pure."""
    if hosts:
        out = []
        for item in hosts.split(","):
            host, _sep, groups = item.strip().partition("=")
            if not host.replace("-", "").isalnum() or host[0].isdigit():
                raise LabError("bad host name %r: use letters, digits and '-', starting with a letter" % host)
            out.append((host, [g for g in groups.split("+") if g]))
        if len({host for host, _groups in out}) != len(out):
            raise LabError("--hosts lists a host twice")
        return out
    if not count or count < 1:
        raise LabError("say how many hosts: 'lab up N' (N >= 1) or 'lab up --hosts a,b,c'")
    prefix = "lab" if labname == "lab" else labname + "-"
    return [("%s%d" % (prefix, i), ["ray_head", "nfs_server"] if i == 1 else ["ray_workers"])
            for i in range(1, count + 1)]


def host_paths(lab, h):
    d = os.path.join(lab_dir(lab["name"]), "hosts", h["name"])
    return {"dir": d, "upper": os.path.join(d, "upper"), "work": os.path.join(d, "work"),
            "root": os.path.join(d, "root"), "log": os.path.join(d, "nspawn.log")}


def find_host(lab, host):
    for h in lab["hosts"]:
        if h["name"] == host or h["ip"] == host:
            return h
    raise LabError("no host %r in lab %r (hosts: %s)" % (host, lab["name"], ", ".join(h["name"] for h in lab["hosts"])))
