# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight role's per-host report lines from preflight_probe's results (pure; unit-tested).

``probe`` is what the module returns: ``disk`` (``path``, ``checked``, ``free_bytes`` per path),
``ports`` (port -> ``state``), ``connect`` (``host``, ``port``, ``state``, ``reachable``, ``error``)
and ``resolve`` (name -> IPv4 addresses in resolver order).
"""

from __future__ import annotations


def _gb(free_bytes):
    return "%.1f" % (free_bytes / 1e9)


def _float(value):
    """A number as Jinja's float filter reads it (0.0 when it is none)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def probe_summary(probe):
    """``free PATH N.N GB, ...; ports PORT STATE, ...; head HOST:PORT STATE`` (ports and head only when probed)."""
    text = "free " + ", ".join("%s %s GB" % (d["path"], _gb(d["free_bytes"])) for d in probe.get("disk") or [])
    ports = probe.get("ports") or {}
    if ports:
        text += "; ports " + ", ".join("%s %s" % (port, p["state"]) for port, p in ports.items())
    return text + "".join("; head %s:%s %s" % (c["host"], c["port"], c["state"]) for c in probe.get("connect") or [])


def low_disk(disk, minimums, fmt):
    """One ``fmt`` line per path of ``disk`` with less free space than its minimum.

    ``minimums``: one ``[variable name, GB]`` per entry of ``disk`` (0 or less: no minimum). ``fmt`` has
    ``{free}`` (GB, one decimal), ``{path}``, ``{checked}``, ``{need}`` (the GB as given) and ``{var}``.
    """
    out = []
    for d, (var, need) in zip(disk, minimums):
        if _float(need) > 0 and d["free_bytes"] < _float(need) * 1e9:
            out.append(fmt.format(free=_gb(d["free_bytes"]), path=d["path"], checked=d["checked"], need=need, var=var))
    return out


def unreachable_peers(connect, fmt, timeout=None):
    """One ``fmt`` line per connection of ``connect`` that could not reach its peer.

    ``fmt`` has ``{host}``, ``{port}`` and ``{why}``: the state, then the error unless it is ETIMEDOUT (which
    the state says), then ``after TIMEOUT s`` for a timeout.
    """
    out = []
    for c in connect:
        if c.get("reachable"):
            continue
        error = c.get("error") or ""
        why = "%s%s%s" % (c["state"], (", " + error) if error and error != "ETIMEDOUT" else "",
                          " after %s s" % timeout if c["state"] == "timeout" else "")
        out.append(fmt.format(host=c["host"], port=c["port"], why=why))
    return out


def misresolved_names(names, resolved, fmt):
    """One ``fmt`` line per ``[name, ip]`` of ``names`` whose first address in ``resolved`` (name -> list
    of IPs) is not ``ip``. ``fmt`` has ``{name}``, ``{ip}`` and ``{got}`` (the addresses, or ``nothing``)."""
    out = []
    for name, ip in names:
        got = resolved.get(name) or []
        if (got[:1] or [""])[0] != ip:
            out.append(fmt.format(name=name, ip=ip, got=", ".join(got) or "nothing"))
    return out
