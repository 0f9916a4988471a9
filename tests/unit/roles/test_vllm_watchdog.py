# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vllm_server's watchdog (files/vllm_watchdog.py): its decisions, its reading of `systemctl show` (output captured on
a lab host, fixtures/systemd), and whole runs against a real HTTP server on 127.0.0.1 that answers, refuses or hangs
like vLLM's API server. systemd itself is a test double here (this machine has no systemd; the unit's state is
scripted and the restart recorded); the real restart of a frozen engine runs in molecule/vllm_server's verify."""

from __future__ import annotations

import importlib.util
import io
import os
import time

import pytest

HERE = os.path.dirname(__file__)
FIX = os.path.join(HERE, "..", "fixtures", "systemd")
SCRIPT = os.path.join(HERE, "..", "..", "..", "roles", "vllm_server", "files", "vllm_watchdog.py")
spec = importlib.util.spec_from_file_location("vllm_watchdog", SCRIPT)
wd = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wd)

KEY = "wd-test-key-5b1f"


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return f.read()


def run_steps(outcomes, needed=3):
    """Events of a sequence of (active, invocation, ok) probe outcomes."""
    state, events = wd.new_state(), []
    for active, invocation, ok in outcomes:
        state, event = wd.step(state, active, invocation, ok, needed)
        events.append(event)
    return events


def test_a_loading_server_is_never_counted_then_failures_count_after_the_first_answer():
    loading = [(True, "a", False)] * 20
    events = run_steps(loading + [(True, "a", True), (True, "a", False), (True, "a", False), (True, "a", False)])
    assert events == ["loading"] * 20 + ["first_answer", "failure", "failure", "restart"]


def test_an_answer_resets_the_count():
    events = run_steps([(True, "a", True), (True, "a", False), (True, "a", False), (True, "a", True),
                        (True, "a", False), (True, "a", True)])
    assert events == ["first_answer", "failure", "failure", "recovered", "failure", "recovered"]


def test_a_new_start_forgets_the_failures_and_waits_for_its_first_answer():
    # systemd restarted the unit (Restart=always) between two failures: the new start is loading.
    events = run_steps([(True, "a", True), (True, "a", False), (True, "a", False), (True, "b", False),
                        (True, "b", False), (True, "b", False), (True, "b", False)])
    assert events == ["first_answer", "failure", "failure", "loading", "loading", "loading", "loading"]


def test_an_inactive_unit_is_not_asked_nor_counted():
    events = run_steps([(True, "a", True), (True, "a", False), (False, "", False), (True, "a", False)], needed=2)
    # Back active with the same id (cannot happen with systemd, but nothing carries over an inactive spell).
    assert events == ["first_answer", "failure", "inactive", "loading"]


def test_after_a_restart_the_state_waits_again():
    state, event = wd.step(dict(wd.new_state("a"), answered=True, failures=1), True, "a", False, 2)
    assert event == "restart" and state == wd.new_state("a")


def test_parse_show_on_captured_output():
    active = wd.parse_show(fixture("show_active.txt"))
    assert active["ActiveState"] == "active" and len(active["InvocationID"]) == 32
    missing = wd.parse_show(fixture("show_not_found.txt"))
    assert missing == {"ActiveState": "inactive", "InvocationID": ""}


@pytest.fixture
def api(http_double):
    """vLLM's API server as the watchdog meets it: answers in turn from ``modes`` (ok, 503, hang; the last
    repeats)."""
    def reply(state):
        mode = state["modes"].pop(0) if len(state["modes"]) > 1 else state["modes"][0]
        if mode == "hang":
            time.sleep(2.5)
            return None
        return (503, {"error": "loading"}) if mode == "503" else (200, {"choices": [{"text": "!"}]})
    return http_double(reply, modes=["ok"])


def watch(api, modes, units, monkeypatch, failures=2):
    """A whole run: one probe per entry of ``units`` ((active, invocation) as systemd would say)."""
    api["modes"] = modes
    monkeypatch.setenv("VLLM_API_KEY", KEY)
    units, restarts, out = list(units), [], io.StringIO()
    rc = wd.main(["--unit", "vllm.service", "--url", api["url"], "--model", "tiny", "--interval", "0",
                  "--timeout", "1", "--failures", str(failures), "--probes", str(len(units))],
                 sleep=lambda s: None, out=out, read_unit=lambda unit: units.pop(0),
                 run=lambda argv, check: restarts.append(argv))
    return rc, out.getvalue(), restarts


def test_a_hung_server_is_restarted_after_the_failures_in_a_row(api, monkeypatch):
    rc, out, restarts = watch(api, ["ok", "hang"], [(True, "a")] * 3, monkeypatch)
    assert rc == 0
    assert restarts == [["systemctl", "restart", "--no-block", "vllm.service"]]
    lines = out.splitlines()
    assert lines[0] == ("watching vllm.service: a 1-token completion every 0 s, deadline 1 s, restart after 2 "
                        "failures in a row")
    assert lines[1].startswith("vllm.service answered its first completion since it started (")
    assert lines[2:] == ["completion failed (1/2): no answer in 1 s",
                         "restarting vllm.service: 2 completions in a row failed (last: no answer in 1 s)"]
    assert set(api["auth"]) == {"Bearer " + KEY} and KEY not in out
    assert api["bodies"][0] == {"model": "tiny", "prompt": "ping", "max_tokens": 1}


def test_a_loading_server_is_left_alone_and_mentioned_now_and_then(api, monkeypatch):
    rc, out, restarts = watch(api, ["503"] * 12 + ["ok"], [(True, "a")] * 13, monkeypatch)
    assert restarts == []
    lines = out.splitlines()[1:]
    # the 1st and the 11th probe of the load (LOADING_EVERY), then the first answer
    assert lines[:2] == ["vllm.service has not answered since it started (HTTP 503); still loading? not counted"] * 2
    assert lines[2].startswith("vllm.service answered its first completion since it started")


def test_a_stopped_server_is_not_asked(api, monkeypatch):
    rc, out, restarts = watch(api, ["ok"], [(False, "")] * 4, monkeypatch)
    assert restarts == [] and api["auth"] == [] and len(out.splitlines()) == 1


def test_a_refused_connection_counts_as_a_failure_after_the_first_answer(monkeypatch):
    monkeypatch.setenv("VLLM_API_KEY", "")
    answered, reason, _seconds = wd.ask("http://127.0.0.1:9", "tiny", "", 1)
    assert not answered and "refused" in reason.lower()
