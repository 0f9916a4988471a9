# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of module and action preflight_probe: apart from module_utils/_probe.py, so that the action, which
validates them on the controller, does not compile the probe (it sends its source to the host)."""

from __future__ import annotations

ARGUMENT_SPEC = dict(
    ports=dict(type="list", elements="dict", default=[], options=dict(
        port=dict(type="int", required=True),
        name=dict(type="str", default=""),
        expected=dict(type="str", default=""),
    )),
    paths=dict(type="list", elements="path", default=[]),
    connect=dict(type="list", elements="dict", default=[], options=dict(
        host=dict(type="str", required=True),
        port=dict(type="int", required=True),
        timeout=dict(type="float", default=3.0),
    )),
    resolve=dict(type="list", elements="str", default=[]),
    stat=dict(type="list", elements="path", default=[]),
    read=dict(type="list", elements="path", default=[]),
    python_versions=dict(type="list", elements="str", default=[]),
    units=dict(type="list", elements="str", default=[]),
    unreadable=dict(type="list", elements="dict", default=[], options=dict(
        path=dict(type="path", required=True),
        user=dict(type="str", required=True),
        maxdepth=dict(type="int", default=2),
    )),
    gpu_facts=dict(type="bool", default=False),
)
