# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which OS packages a host still lacks (pure; unit-tested on captured dpkg-query output).

The package modules cost a second or more per call even when everything is installed (apt opens its
whole cache, in Python, on the host). The os_packages action (plugins/action/os_packages.py) asks
dpkg-query first, one command and no Python on the host, and calls apt only with what is missing.
"""

from __future__ import annotations

import re
import shlex

# A plain Debian package name, optionally with an architecture (python3-dev, libc6:amd64). Anything else
# (a version pin name=1.2, a glob, a .deb path) is never read as installed: the package module decides it.
_PLAIN = re.compile(r"^([a-z0-9][a-z0-9+.-]+)(?::[a-z0-9-]+)?$")

# Count of downloaded package lists (0 on images that ship without them but with a fresh update stamp).
APT_LISTS_COUNT = "ls /var/lib/apt/lists 2>/dev/null | grep -c _Packages"


def installed_query(os_family, names):
    """The shell command that lists which of ``names`` are installed, or None where this family has none
    (the package module is then called with every name, as before)."""
    if os_family != "Debian":
        return None
    return "dpkg-query -W -f='${Package}\\t${db:Status-Abbrev}\\n' -- %s 2>/dev/null" % " ".join(
        shlex.quote(n) for n in names)


def missing_packages(names, stdout):
    """The names of ``names`` (in their order, without duplicates) that dpkg-query's ``stdout`` (the format
    of installed_query) does not report as installed. Status-Abbrev's second letter is the current state:
    ``i`` installed; ``n`` (not installed, known from the lists), ``c`` (only config files left), half-installed
    and the rest need apt; a package dpkg never heard of is not listed at all."""
    installed = set()
    for line in stdout.splitlines():
        package, status = (line.split("\t", 1) + [""])[:2]
        if status[1:2] == "i" and status[2:3] != "R":
            installed.add(package.strip())
    missing = []
    for name in names:
        plain = _PLAIN.match(name)
        if (not plain or plain.group(1) not in installed) and name not in missing:
            missing.append(name)
    return missing
