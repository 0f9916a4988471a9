# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What role ray_cluster's node preparation would change on a host, read from one probe (pure; unit-tested).

The role's service account (ansible.builtin.group, ansible.builtin.user, the home with ansible.builtin.file) and its
/etc/hosts edits (ansible.builtin.lineinfile, ansible.builtin.blockinfile) cost five SSH round trips per host on
every run. One read of /etc/passwd, /etc/group, /etc/hosts and the home's metadata (module preflight_probe) tells
whether any of them would change something; a host where nothing would is not asked again. Each function returns
what differs, in words (empty: those tasks would report ok); anything it cannot tell from the files (a user from
LDAP, an unreadable file) counts as a difference, so the tasks themselves run and decide.

The same read-before-write for other roles: a path's metadata and checksum (path_drift; files_drift for the entries of
one host_files call), an NFS mount's fstab line
and mount (mount_drift, role model_storage) and systemd units' state (``systemctl show``: parse_systemctl_show,
unit_states, running_units), also read by the modules ray_node and vllm_endpoint.
"""

from __future__ import annotations

import hashlib
import re


def _entries(text):
    """``{name: fields}`` of a colon-separated database (/etc/passwd, /etc/group); the first entry of a name wins,
    as getpwnam() reads it."""
    entries = {}
    for line in (text or "").splitlines():
        if not line or line.startswith(("#", "+", "-")):
            continue
        fields = line.split(":")
        entries.setdefault(fields[0], fields)
    return entries


def account_drift(passwd, group, home, user, group_name, home_path, shell, comment, mode):
    """What the service account tasks would change: ``passwd`` and ``group`` are the texts of /etc/passwd and
    /etc/group (None when unreadable), ``home`` preflight_probe's stat entry of ``home_path`` (exists, isdir, owner,
    group, mode). The user module compares the primary group, home, shell and comment of an existing user; the
    file task the home's type, owner, group and mode (an octal string such as "0750")."""
    if passwd is None or group is None:
        return ["/etc/passwd or /etc/group could not be read"]
    drift = []
    group_fields = _entries(group).get(group_name, [])
    wanted_gid = group_fields[2] if len(group_fields) >= 3 else None
    user_fields = _entries(passwd).get(user, [])
    if wanted_gid is None:
        drift.append("group %s is missing" % group_name)
    if len(user_fields) < 7:
        drift.append("user %s is missing" % user)
    else:
        gid, gecos, user_home, user_shell = user_fields[3:7]
        for what, have, want in (("primary group id", gid, wanted_gid), ("home", user_home, home_path),
                                 ("shell", user_shell, shell), ("comment", gecos, comment)):
            if have != want:
                drift.append("user %s: %s is %r, not %r" % (user, what, have, want))
    return drift + path_drift(home, "home " + home_path, owner=user, group=group_name, mode=mode, isdir=True)


def path_drift(entry, label, owner=None, group=None, mode=None, isdir=False, checksum=None):
    """What a file task would change on a path, from preflight_probe's stat ``entry`` of it (exists, isdir, owner,
    group, mode, checksum): the type, then each of owner, group, mode (an octal string such as "0400") and checksum
    (SHA-1 of the content) that is given and differs. ``label`` names the path in the words."""
    entry = entry or {}
    if not entry.get("exists") or bool(entry.get("isdir")) != isdir:
        return ["%s is not a %s" % (label, "directory" if isdir else "file")]
    drift = []
    for what, want in (("owner", owner), ("group", group), ("mode", mode)):
        if want is not None and entry.get(what) != want:
            drift.append("%s: %s is %r, not %r" % (label, what, entry.get(what), want))
    if checksum is not None and entry.get("checksum") != checksum:
        drift.append("%s: the content differs" % label)
    return drift


def files_drift(entries, files):
    """What one module host_files call with ``files`` (its entries: path, state "file" or "directory", content, owner
    and group, root when not given, mode) would change, from preflight_probe's stat ``entries`` of their paths (matched
    by path; a path without one reads as missing): path_drift of each, the content compared by its SHA-1 as host_files
    writes it (UTF-8). Empty: the call would report ok, so a role can skip it."""
    by_path = dict((entry.get("path"), entry) for entry in entries or [] if entry)
    drift = []
    for wanted in files:
        isdir = wanted.get("state") == "directory"
        content = wanted.get("content")
        checksum = None if isdir or content is None else hashlib.sha1(
            content.encode("utf-8", "surrogateescape")).hexdigest()
        drift += path_drift(by_path.get(wanted["path"]), wanted["path"], owner=wanted.get("owner") or "root",
                            group=wanted.get("group") or "root", mode="%04o" % int(str(wanted["mode"]), 8),
                            isdir=isdir, checksum=checksum)
    return drift


def stat_lines(lines, paths):
    """preflight_probe-style stat entries (exists, isdir, owner, group, mode as "0644", checksum) of ``paths`` from
    one line each, in order, as a shell prints them without Python on the host (role host_firewall's detection
    command): "missing", "dir MODE OWNER GROUP" or "file MODE OWNER GROUP SHA1" (``stat -c '%a %U %G'``,
    ``sha1sum``). A line that is missing or not understood reads as a missing path (path_drift then finds drift, so
    the write task runs and decides)."""
    entries = []
    for i, path in enumerate(paths):
        fields = lines[i].split() if i < len(lines) else []
        kind = fields[0] if fields else ""
        wanted = {"dir": 4, "file": 5}.get(kind)
        if wanted is None or len(fields) != wanted or not re.match(r"^[0-7]{1,4}$", fields[1]):
            entries.append({"path": path, "exists": False, "isdir": False, "owner": None, "group": None, "mode": None,
                            "checksum": None})
            continue
        entries.append({"path": path, "exists": True, "isdir": kind == "dir", "owner": fields[2], "group": fields[3],
                        "mode": "%04o" % int(fields[1], 8), "checksum": fields[4] if kind == "file" else None})
    return entries


def etc_hosts_drift(text, block, marker, drop):
    """What the /etc/hosts tasks would change in ``text`` (None when unreadable): a line matching ``drop`` to remove,
    and ``block`` between blockinfile's lines ``marker`` with {mark} BEGIN and END, once, each line ending in a
    newline (blockinfile rewrites a block that differs, is missing, or is there twice)."""
    if text is None:
        return ["/etc/hosts could not be read"]
    drift = []
    lines = text.splitlines(True)
    if any(re.match(drop, line) for line in lines):
        drift.append("a line matches %s" % drop)
    begin, end = marker.replace("{mark}", "BEGIN"), marker.replace("{mark}", "END")
    starts = [i for i, line in enumerate(lines) if line.rstrip("\n") == begin]
    ends = [i for i, line in enumerate(lines) if line.rstrip("\n") == end]
    wanted = [line + "\n" for line in block.splitlines()]
    if len(starts) != 1 or len(ends) != 1 or lines[starts[0] + 1:ends[0]] != wanted or not lines[ends[0]].endswith("\n"):
        drift.append("the block %r is missing or differs" % begin)
    return drift


def _fstab_fields(text):
    """The fields of each entry of an fstab-format text (/etc/fstab, /proc/mounts), comments and blank lines left out."""
    return [line.split() for line in (text or "").splitlines() if line.strip() and not line.lstrip().startswith("#")]


def mount_drift(fstab, mounts, path, src, fstype, opts, state):
    """What ansible.posix.mount with ``state`` present or mounted would change for ``path``, from the text of
    /etc/fstab and /proc/mounts (None when unreadable). Converged (``[]``): exactly one fstab entry for the path, with
    the six fields the module writes (``src path fstype opts 0 0``, spaces escaped as \\040, as the module compares
    them), and for mounted also a mount on the path. A malformed line for the path (not six fields: the module keeps it
    and adds its own), any other state, or an unreadable file is drift: the module runs and decides."""
    if state not in ("present", "mounted"):
        return ["state %s is left to the mount module" % state]
    if fstab is None:
        return ["/etc/fstab could not be read"]
    want = [field.replace(" ", "\\040") for field in (src, path, fstype, opts)] + ["0", "0"]
    entries = [fields for fields in _fstab_fields(fstab) if len(fields) > 1 and fields[1] == want[1]]
    drift = []
    if len(entries) != 1:
        drift.append("/etc/fstab has %d entries for %s, not 1" % (len(entries), path))
    elif entries[0] != want:
        drift.append("the /etc/fstab entry for %s is %r, not %r" % (path, " ".join(entries[0]), " ".join(want)))
    if state == "mounted":
        if mounts is None:
            drift.append("/proc/mounts could not be read")
        elif not [fields for fields in _fstab_fields(mounts) if len(fields) > 1 and fields[1] == want[1]]:
            drift.append("%s is not mounted" % path)
    return drift


def parse_systemctl_show(text):
    """``systemctl show -p A,B`` output (``Key=value`` lines) -> dict."""
    props = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            props[key.strip()] = value.strip()
    return props


# What preflight_probe asks systemd of each unit of its ``units`` option (one ``systemctl show`` for all).
UNIT_PROPERTIES = ("Id", "LoadState", "ActiveState", "SubState", "UnitFileState")


def unit_states(text, names):
    """``systemctl show --property=<UNIT_PROPERTIES> -- NAME...`` output -> one ``{name, load, active, sub,
    enabled}`` per name, in order (systemctl prints a block per unit, in the order asked, blank-line separated).

    A unit systemd does not know has load V(not-found) and an empty ``enabled``; a block that is missing (systemctl
    failed, no systemd) leaves every field empty. Roles skip a start task only where a unit is ``enabled`` and
    ``active``, so an empty field makes the real task run and decide."""
    blocks = [block for block in (text or "").split("\n\n") if block.strip()]
    states = []
    for index, name in enumerate(names):
        props = parse_systemctl_show(blocks[index] if index < len(blocks) else "")
        states.append({"name": name, "load": props.get("LoadState", ""), "active": props.get("ActiveState", ""),
                       "sub": props.get("SubState", ""), "enabled": props.get("UnitFileState", "")})
    return states


def running_units(states):
    """The names of unit_states' units that are enabled and active: a role skips their start tasks."""
    return [s["name"] for s in states or [] if s.get("enabled") == "enabled" and s.get("active") == "active"]
