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
"""

from __future__ import annotations

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
    home = home or {}
    if not (home.get("exists") and home.get("isdir")):
        drift.append("home %s is not a directory" % home_path)
    else:
        for what, want in (("owner", user), ("group", group_name), ("mode", mode)):
            if home.get(what) != want:
                drift.append("home %s: %s is %r, not %r" % (home_path, what, home.get(what), want))
    return drift


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
