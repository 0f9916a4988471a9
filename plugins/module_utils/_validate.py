# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Problems role validate reports before any host changes (pure; unit-tested).

Each function turns what validate read on a host (command results, probe results, the
argument-spec check) into problem lines that name the host and the fix; an empty list means
no problem. The API key rule lives here too: validate and vllm_server apply the same one.
"""

from __future__ import annotations

import re

from ansible_collections.llmops.ray_vllm.plugins.module_utils._hosts import hosts_by_value, play_groups
from ansible_collections.llmops.ray_vllm.plugins.module_utils._installability import major_minor

# What vLLM's --api-key may hold here: no spaces or quotes (it travels in an env file and a header).
API_KEY_RE = re.compile(r"^[A-Za-z0-9._~+/=-]{16,}$")
API_KEY_RULE = "16+ characters of A-Z a-z 0-9 . _ ~ + / = -"


def api_key_ok(key):
    """Whether ``key`` is a usable API key (see API_KEY_RE)."""
    return isinstance(key, str) and API_KEY_RE.match(key) is not None


def _detail(result):
    """`rc N: stderr`, or `rc 2, not found`, from a command result dict."""
    stderr = str(result.get("stderr") or "").strip()
    rc = result.get("rc")
    return "rc %s%s" % (rc, (": " + stderr) if stderr else (", not found" if rc == 2 else ""))


def venv_python_problems(host, python, python_result, venv, venv_result, planned=""):
    """The venv's interpreter against python_venv_python on ``host``.

    ``python_result``/``venv_result``: results of running ``python`` / ``venv``/bin/python to print
    platform.python_version() (dicts with rc, stdout, stderr). python_venv does not rebuild an
    existing venv, so a venv of another Python version must be named before anything changes.
    ``planned``: the major.minor version of the OS's Python for the pins when ``python`` is that one
    (python_venv_python left empty): role system_deps installs it, so it need not run yet.
    """
    if python_result.get("rc") != 0 and not planned:
        return ["%s: python_venv_python '%s' does not run (%s): install it or set python_venv_python to an "
                "installed Python 3" % (host, python, _detail(python_result))]
    want = str(python_result.get("stdout") or "").strip() if python_result.get("rc") == 0 else planned
    have = str(venv_result.get("stdout") or "").strip()
    if venv_result.get("rc") == 0 and have != want and major_minor(have) != want:
        return ["%s: the venv %s runs Python %s but python_venv_python (%s) is Python %s, and python_venv does not "
                "rebuild an existing venv: point python_venv_python at a Python %s, or remove %s to rebuild it"
                % (host, venv, have, python, want, have, venv)]
    return []


def python_version_problems(by_host):
    """One problem when the hosts' venv Pythons differ (Ray refuses a node whose Python differs, down to the patch
    level). ``by_host``: ``{host: {"python": full or major.minor ("" unknown), "os": label}}``, in host order;
    where a version is only planned (major.minor), all compare at that level. A cluster of several OS releases
    is named as such (each release ships its own Python)."""
    known = dict((h, v) for h, v in by_host.items() if v.get("python"))
    partial = any(major_minor(v["python"]) == str(v["python"]).strip() for v in known.values())
    versions = dict((h, major_minor(v["python"]) if partial else str(v["python"]).strip()) for h, v in known.items())
    groups = hosts_by_value(versions, "Python {value} on {hosts}")
    if len(groups) < 2:
        return []
    releases = hosts_by_value(dict((h, v.get("os") or "?") for h, v in known.items()), "{value} ({hosts})")
    mixed = (" The hosts run %s: each release ships another Python, so give them one Python of the same version "
             "(python_venv_python), or run one OS release on every node." % " and ".join(releases)) if len(releases) > 1 else ""
    return ["python_venv_python runs %s: Ray and vLLM need the same Python version on every node. Fix: point "
            "python_venv_python at the same Python version on every host.%s" % (" but ".join(groups), mixed)]


def nfs_unreachable_problems(host, connect, server, path):
    """One line per NFS server connection of ``connect`` (preflight_probe's ``connect`` results) that is
    not open: ``host``'s fstab mounts ``path`` from ``server`` (a name, or '' to name it by address)."""
    out = []
    for c in connect:
        if c.get("state") == "open":
            continue
        name = server or c["host"]
        error = c.get("error") or ""
        out.append("%s: cannot reach the NFS server %s (%s) on TCP port %s (%s%s); its fstab mounts %s from there. "
                   "Fix: start the NFS server (nfs-server or nfs-ganesha on %s) and allow TCP %s from the cluster hosts"
                   % (host, name, c["host"], c["port"], c.get("state"),
                      (", " + error) if error and error != "ETIMEDOUT" else "", path, name, c["port"]))
    return out


def argspec_problems(results):
    """One line per role whose variables failed its argument spec, from the results of a
    ``validate_argument_spec`` loop over role names (``item``, ``argument_errors``)."""
    return ["role %s: %s. Fix: give these variables the type and choices roles/%s/README.md lists"
            % (r["item"], "; ".join(r["argument_errors"]), r["item"])
            for r in results if r.get("argument_errors")]


# site.yml's phases: the tag of each of its plays after validate (playbooks/site.yml).
SITE_PHASES = ("preflight", "deps", "venv", "firewall", "storage", "ray", "vllm", "monitoring")
# Tags that select no phase of their own: validate alone (``--tags validate`` checks everything).
_NO_PHASE_TAGS = ("always", "validate")


def _phase_tags_only(run_tags):
    """``--tags`` (``ansible_run_tags``, empty: all) as strings, and whether every one is a phase tag of site.yml or
    validate's (not ``all``, ``tagged``, ``untagged`` or a role's own task tag, whose reach is not known here)."""
    run_tags = [str(tag) for tag in (run_tags or ["all"])]
    return run_tags, all(tag in SITE_PHASES + _NO_PHASE_TAGS for tag in run_tags)


def run_phases(run_tags, skip_tags=()):
    """The phases of site.yml that a run with ``--tags run_tags`` / ``--skip-tags skip_tags`` executes
    (``ansible_run_tags``, ``ansible_skip_tags``), in site.yml's order; validate checks the inputs of those.

    Every phase when the run selects all (``all``), none beyond validate (``--tags validate``), or a tag that
    is not a phase's (a role's own task tag, ``tagged``: what it runs is not known here, so every check stays).
    """
    run_tags, phase_tags_only = _phase_tags_only(run_tags)
    skip = set(str(tag) for tag in (skip_tags or []))
    if not phase_tags_only or all(tag in _NO_PHASE_TAGS for tag in run_tags):
        selected = SITE_PHASES
    else:
        selected = [phase for phase in SITE_PHASES if phase in run_tags]
    return [phase for phase in selected if phase not in skip]


def site_play_groups(groups, required, optional=(), phases=None, run_tags=None):
    """The groups a play of site.yml runs on (``play_groups``), or none when the run's ``--tags``
    (``ansible_run_tags``) select nothing of the play but its ``always``-tagged argument-spec checks.

    phases: the site phase tags under which the play's tasks run (its own, and ``preflight`` where its role tags
      some tasks so). None: the play always has its groups.
    A run selects a play when a tag is one of ``phases``, or is not a phase tag at all (``all``, ``tagged``,
    ``untagged``, a role's own task tag: what it runs is not known here). ``--tags ray`` thus skips the other
    plays instead of running each role's argument-spec check (role validate checks every role's variables), and
    ``--tags validate`` runs the facts and validate only.
    """
    if phases is not None:
        run_tags, phase_tags_only = _phase_tags_only(run_tags)
        if phase_tags_only and not set(phases) & set(run_tags):
            return []
    return play_groups(groups, required, optional)
