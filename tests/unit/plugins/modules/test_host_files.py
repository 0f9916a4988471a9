# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_files on a real temporary directory: writes, hand edits written back, attributes, validation, check mode."""

from __future__ import annotations

import grp
import os
import pwd

from ansible_collections.llmops.ray_vllm.plugins.module_utils._node_state import files_drift
from ansible_collections.llmops.ray_vllm.plugins.modules import host_files
from ansible_collections.llmops.ray_vllm.plugins.module_utils._probe import stat_path
from harness import run_module

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def entries(tmp_path, content="a = 1\n", validate=None):
    unit = dict(path=str(tmp_path / "etc" / "app.conf"), content=content, mode="0640", owner=USER, group=GROUP)
    if validate:
        unit["validate"] = validate
    return [dict(path=str(tmp_path / "etc"), state="directory", mode="0755", owner=USER, group=GROUP), unit]


def test_first_run_writes_then_nothing_changes(tmp_path):
    first = run_module(host_files, dict(files=entries(tmp_path)))
    assert not first.failed, first.result
    assert first.result["changed_paths"] == [str(tmp_path / "etc"), str(tmp_path / "etc" / "app.conf")]
    assert (tmp_path / "etc" / "app.conf").read_text() == "a = 1\n"
    assert oct(os.stat(tmp_path / "etc" / "app.conf").st_mode & 0o7777) == "0o640"
    again = run_module(host_files, dict(files=entries(tmp_path)))
    assert again.result == dict(changed=False, changed_paths=[])


def test_a_hand_edit_and_a_mode_change_are_put_back(tmp_path):
    run_module(host_files, dict(files=entries(tmp_path)))
    conf = tmp_path / "etc" / "app.conf"
    conf.write_text("a = 2\n")
    os.chmod(tmp_path / "etc", 0o700)
    result = run_module(host_files, dict(files=entries(tmp_path), _ansible_diff=True))
    assert result.result["changed_paths"] == [str(tmp_path / "etc"), str(conf)]
    assert result.result["diff"] == [dict(before_header=str(conf), after_header=str(conf), before="a = 2\n",
                                          after="a = 1\n")]
    assert conf.read_text() == "a = 1\n"
    assert os.stat(tmp_path / "etc").st_mode & 0o7777 == 0o755


def test_check_mode_reports_and_writes_nothing(tmp_path):
    fresh = run_module(host_files, dict(files=entries(tmp_path)), check_mode=True)
    assert fresh.result["changed_paths"] == [str(tmp_path / "etc"), str(tmp_path / "etc" / "app.conf")]
    assert not (tmp_path / "etc").exists()
    run_module(host_files, dict(files=entries(tmp_path)))
    os.chmod(tmp_path / "etc" / "app.conf", 0o600)
    drift = run_module(host_files, dict(files=entries(tmp_path, content="a = 3\n")), check_mode=True)
    assert drift.result["changed_paths"] == [str(tmp_path / "etc" / "app.conf")]
    assert (tmp_path / "etc" / "app.conf").read_text() == "a = 1\n"
    assert os.stat(tmp_path / "etc" / "app.conf").st_mode & 0o7777 == 0o600


def test_content_that_fails_validation_leaves_the_file_alone(tmp_path):
    run_module(host_files, dict(files=entries(tmp_path)))
    bad = run_module(host_files, dict(files=entries(tmp_path, content="broken\n", validate="grep -q = %s")))
    assert bad.failed
    assert "failed the check" in bad.result["msg"] and "the file is left as it was" in bad.result["msg"]
    assert (tmp_path / "etc" / "app.conf").read_text() == "a = 1\n"
    assert sorted(os.listdir(tmp_path / "etc")) == ["app.conf"]  # no temporary file left behind
    good = run_module(host_files, dict(files=entries(tmp_path, content="b = 1\n", validate="grep -q = %s")))
    assert good.result["changed_paths"] == [str(tmp_path / "etc" / "app.conf")]


def test_bad_entries_are_named(tmp_path):
    relative = run_module(host_files, dict(files=[dict(path="etc/x", content="", mode="0644")]))
    assert relative.failed and "must be absolute" in relative.result["msg"]
    mode = run_module(host_files, dict(files=[dict(path=str(tmp_path / "x"), content="", mode="rw-r--r--")]))
    assert mode.failed and "octal string" in mode.result["msg"]
    (tmp_path / "d").mkdir()
    not_file = run_module(host_files, dict(files=[dict(path=str(tmp_path / "d"), content="", mode="0644")]))
    assert not_file.failed and "is a directory" in not_file.result["msg"]
    no_percent = run_module(host_files, dict(files=[dict(path=str(tmp_path / "y"), content="", mode="0644",
                                                         validate="true")]))
    assert no_percent.failed and "must contain %s" in no_percent.result["msg"]


def test_files_drift_reads_what_a_second_call_would_change(tmp_path):
    """files_drift on preflight_probe's real stat of what host_files wrote: nothing (the call would report ok), then
    each hand change the call puts back: content, mode, a removed directory."""
    files = entries(tmp_path, content="a = 1\nkey = \u00e9\n")
    assert not run_module(host_files, dict(files=files)).failed
    paths = [f["path"] for f in files]
    assert files_drift([stat_path(p) for p in paths], files) == []
    assert files_drift([stat_path(p) for p in reversed(paths)], files) == []  # matched by path
    conf = tmp_path / "etc" / "app.conf"
    conf.write_text("a = 2\n")
    os.chmod(conf, 0o644)
    assert files_drift([stat_path(p) for p in paths], files) == [
        "%s: mode is '0644', not '0640'" % conf, "%s: the content differs" % conf]
    assert files_drift([stat_path(paths[0])], files) == ["%s is not a file" % conf]  # not read: drift
    assert run_module(host_files, dict(files=files)).result["changed_paths"] == [str(conf)]
    assert files_drift([stat_path(p) for p in paths], files) == []
    conf.unlink()
    (tmp_path / "etc").rmdir()
    assert files_drift([stat_path(p) for p in paths], files) == [
        "%s is not a directory" % paths[0], "%s is not a file" % conf]
