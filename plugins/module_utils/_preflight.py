# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers for the read-only preflight: listening sockets and who holds the wanted ports.

* :func:`parse_ss_listeners` reads ``ss -ltnp`` (or ``ss -Hltnp``) output of iproute2: one
  listener per line with local address, port, scope interface and the holding processes
  (``users:(("name",pid=N,fd=M),...)``; empty when ss may not see them).
* :func:`check_ports` says, for each wanted port, whether it is free, held by the expected
  program (its command line matches a regular expression: Ray or vLLM already running), or
  taken by something else, and returns one problem line per taken port.

Nothing here runs a process: the caller runs ``ss`` and reads ``/proc/PID/cmdline``, so the
parsers are unit-tested on real captured output (tests/unit/fixtures/ss/).
"""

from __future__ import annotations

import re

_USER_RE = re.compile(r'\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=(\d+)\)')


def split_address(local):
    """Split ss's ``Local Address:Port`` column into ``(address, interface, port)``.

    Forms: ``0.0.0.0:22``, ``*:6379``, ``[::]:22``, ``[::ffff:127.0.0.1]:10001``,
    ``127.0.0.53%lo:53``, ``[fe80::1]%eth0:22``.  The port is an int, or None for ``*``.
    """
    address, sep, port = local.rpartition(":")
    if not sep:
        raise ValueError("no port in ss address %r" % local)
    interface = ""
    if "%" in address:
        address, interface = address.split("%", 1)
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    if address.startswith("::ffff:") and "." in address:
        address = address[len("::ffff:"):]
    return address, interface, (None if port == "*" else int(port))


def parse_ss_listeners(text):
    """Parse ``ss -ltnp`` output into a list of listener dicts.

    Each dict: ``address`` (``0.0.0.0``, ``::``, ``*`` or an IP; IPv4-mapped IPv6 addresses are
    returned as IPv4), ``interface`` (``%dev`` scope, or ``""``), ``port`` (int), and
    ``processes`` (list of ``{"name", "pid", "fd"}``, empty when ss could not see the owner).
    The header line is skipped when present.
    """
    listeners = []
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0] == "State" or fields[0] == "Netid":
            continue
        if fields[0] in ("tcp", "udp"):  # ss -a style output with a Netid column
            fields = fields[1:]
        if len(fields) < 5:
            raise ValueError("unexpected ss line %r" % line)
        address, interface, port = split_address(fields[3])
        processes = [
            {"name": m.group(1), "pid": int(m.group(2)), "fd": int(m.group(3))}
            for m in _USER_RE.finditer(" ".join(fields[5:]))
        ]
        listeners.append({"address": address, "interface": interface, "port": port, "processes": processes})
    return listeners


def holders(listeners, port):
    """The listeners on ``port`` (any address)."""
    return [entry for entry in listeners if entry["port"] == port]


def check_ports(listeners, wanted, cmdlines):
    """Classify each wanted port.

    ``wanted``: list of dicts with ``port`` (int), ``name`` (what needs it, e.g. "Ray GCS") and
    ``expected`` (regular expression searched in the holder's command line; empty: any holder
    is a problem).  ``cmdlines``: ``{pid: "command line"}`` of the holding processes (missing
    pids fall back to ss's process name).

    Returns ``(ports, problems)``: ``ports`` maps each port to ``{"name", "state", "holders"}``
    where state is ``free``, ``expected`` or ``taken``; ``problems`` has one line per taken port
    naming the holders so the operator can find and stop them.
    """
    ports = {}
    problems = []
    for spec in wanted:
        port = int(spec["port"])
        found = holders(listeners, port)
        seen = []
        for entry in found:
            where = entry["address"] + ("%" + entry["interface"] if entry["interface"] else "")
            if not entry["processes"]:
                seen.append({"address": where, "pid": None, "name": "", "cmdline": ""})
            for proc in entry["processes"]:
                seen.append({"address": where, "pid": proc["pid"], "name": proc["name"],
                             "cmdline": cmdlines.get(proc["pid"], "") or proc["name"]})
        expected = spec.get("expected") or ""
        if not seen:
            state = "free"
        elif expected and all(h["cmdline"] and re.search(expected, h["cmdline"]) for h in seen):
            state = "expected"
        else:
            state = "taken"
            unique = []
            for h in seen:
                label = "%s (pid %s) on %s" % (h["name"] or "unknown process", h["pid"] or "?", h["address"])
                if label not in unique:
                    unique.append(label)
            problems.append("port %d (%s) is taken by %s" % (port, spec.get("name", ""), ", ".join(unique)))
        ports[port] = {"name": spec.get("name", ""), "state": state, "holders": seen}
    return ports, problems


# errno of a TCP connect -> what it says about the path to the peer.
_CONNECT_STATES = {
    "ECONNREFUSED": "refused",  # the peer answered with a reset: reachable, nothing listens yet
    "ETIMEDOUT": "timeout",
    "EHOSTUNREACH": "unreachable",
    "ENETUNREACH": "unreachable",
    "EACCES": "blocked",
    "EPERM": "blocked",
}


def connect_state(errname):
    """Name the outcome of a TCP connect: ``open`` (None: no error), ``refused``, ``timeout``,
    ``unreachable``, ``blocked`` or ``error``.

    ``open`` and ``refused`` mean the peer's address and port are reachable through every firewall
    on the way (a port nobody listens on yet answers with a reset); the others mean it is not.
    """
    if errname is None:
        return "open"
    return _CONNECT_STATES.get(errname, "error")


def reachable(state):
    """True when a :func:`connect_state` result proves the peer's port can be reached."""
    return state in ("open", "refused")
