# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exact pip pins (``name[extras]==version``) and how an installed venv differs from them (pure; unit-tested).

Names compare PEP 503-normalised (``Ray_Default`` is ``ray-default``), versions PEP 440-equal
(``2.60`` is ``2.60.0``) through ``packaging``, as Ansible's ``version(..., version_type='pep440')``
test does; ``packaging`` is a requirement of ansible-core, so the controller always has it.
Also the progress line of an install into a venv (what is in it so far).
"""

from __future__ import annotations

import re
import shlex

from ansible_collections.llmops.ray_vllm.plugins.module_utils._report import duration

try:
    from packaging.version import InvalidVersion, Version
    HAS_PACKAGING = True
except ImportError:  # only the controller-side filters compare versions
    HAS_PACKAGING = False

# name[extras]==version, PEP 508 name; group 1 is the name, group 3 the version.
PIN_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[A-Za-z0-9._,\s-]*\])?\s*==\s*([A-Za-z0-9.+!_-]+)\s*$")


def normalize_name(name):
    """The PEP 503 normalised form of a distribution name."""
    return re.sub(r"[-_.]+", "-", str(name)).lower()


def inexact_pins(pins):
    """The entries of ``pins`` that are not exact pins (see PIN_RE), in order."""
    return [pin for pin in pins if not PIN_RE.search(str(pin))]


def parse_pin(pin):
    """``(normalised name, version)`` of an exact pin. Raises ValueError on a pin that is not exact."""
    match = PIN_RE.search(str(pin))
    if not match:
        raise ValueError("%r is not an exact pin like 'ray[default]==2.60.0'" % (pin,))
    return normalize_name(match.group(1)), match.group(3)


def pin_map(pins):
    """``{normalised name: version}`` of exact ``pins`` (a later pin of the same name wins).

    Raises ValueError on a pin that is not exact.
    """
    return dict(parse_pin(pin) for pin in pins)


def versions_equal(have, want):
    """Whether two version strings are PEP 440-equal. Raises ValueError on an invalid version."""
    if not HAS_PACKAGING:
        raise ValueError("comparing PEP 440 versions needs the Python 'packaging' library")
    try:
        return Version(str(have)) == Version(str(want))
    except InvalidVersion as exc:
        raise ValueError("cannot compare versions %r and %r: %s" % (have, want, exc))


def pin_drift(wanted, installed, fmt=None, missing="missing"):
    """Where ``installed`` ({name: version or None}) differs from ``wanted`` ({name: version}, see pin_map).

    A list of ``(name, have, want)`` in the order of ``wanted``: ``have`` is None for a package that is not
    installed. With ``fmt``, a list of ``fmt.format(name=..., have=..., want=...)`` lines instead, ``have``
    being ``missing`` for a package that is not installed.
    """
    drift = []
    for name, want in wanted.items():
        have = installed.get(name) or None
        if have is None or not versions_equal(have, want):
            drift.append((name, have, want))
    if fmt is None:
        return drift
    return [fmt.format(name=name, have=missing if have is None else have, want=want) for name, have, want in drift]


def venv_count_command(venv):
    """Shell command that prints 'PACKAGES COMPILED' of a venv: its *.dist-info directories, its *.pyc files."""
    q = shlex.quote(venv)
    return ("printf '%%s %%s\\n' \"$(ls -d %s/lib/python3*/site-packages/*.dist-info 2>/dev/null | wc -l)\" "
            "\"$(find %s/lib -name '*.pyc' 2>/dev/null | wc -l)\"" % (q, q))


def venv_line(label, seconds, counts):
    """The progress line of an install: 'LABEL: 2 min 5 s, 143 packages and 8120 compiled files in the venv'.
    counts: venv_count_command()'s output (None or anything else: the time alone)."""
    line = "%s: %s" % (label, duration(seconds))
    parts = (counts or "").split()
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        line += ", %s packages and %s compiled files in the venv" % tuple(parts)
    return line
