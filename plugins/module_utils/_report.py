# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reports across the hosts of a play (pure; unit-tested): text tables, and the values that differ,
repeat or win between hosts. The roles' cross-host checks render their messages with these; durations and
byte counts for the progress lines of the long steps."""

from __future__ import annotations


def _cells(rows, columns, missing):
    """Rows as lists of cells: lists as given; a dict of row label -> {column: value} as
    ``[label] + values of columns[1:]`` (``missing`` for an absent, None or empty value)."""
    if not isinstance(rows, dict):
        return [list(row) for row in rows]
    if not columns:
        raise ValueError("a dict of rows needs the columns")
    out = []
    for label, values in rows.items():
        values = values or {}
        cells = [values.get(column) for column in columns[1:]]
        out.append([label] + [missing if cell is None or cell == "" else cell for cell in cells])
    return out


def text_table(rows, columns=None, missing="-"):
    """Lines of a plain text table: each column left-aligned to its widest cell, two spaces apart,
    trailing spaces trimmed.

    ``rows``: a list of lists of cells, or a dict of row label -> dict of column -> value (then
    ``columns`` names every column, the first one being the label's). ``columns``, when given, is
    the header line.
    """
    grid = ([list(columns)] if columns else []) + _cells(rows, columns, missing)
    widths = {}
    for row in grid:
        for i, cell in enumerate(row):
            widths[i] = max(widths.get(i, 0), len(str(cell)))
    return ["  ".join("%-*s" % (widths[i], cell) for i, cell in enumerate(row)).strip() for row in grid]


def differing_keys(rows, missing="-"):
    """The keys of a list of dicts (in order of first appearance) whose values are not the same in
    every dict; a dict without the key counts as ``missing``. Values compare as text."""
    keys = []
    for row in rows:
        keys.extend(key for key in row if key not in keys)
    return [key for key in keys if len(set(str(row[key]) if key in row else missing for row in rows)) > 1]


def duplicate_values(mapping):
    """The entries of ``mapping`` (e.g. host -> IP) whose value another key has too, in the given
    order; empty values (None, "") never count."""
    seen = {}
    for value in mapping.values():
        if value is not None and value != "":
            seen[value] = seen.get(value, 0) + 1
    return dict((key, value) for key, value in mapping.items() if value is not None and value != "" and seen[value] > 1)


def most_common(values):
    """The value seen most often; of values seen equally often, the first one. None when there is none."""
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return max(counts, key=counts.get) if counts else None  # max keeps the first of equals


def duration(seconds):
    """'45 s', '2 min 5 s', '1 h 3 min': how long a wait has lasted (or will last), for a progress line."""
    seconds = int(round(seconds))
    if seconds < 60:
        return "%d s" % seconds
    if seconds < 3600:
        return "%d min %d s" % divmod(seconds, 60)
    return "%d h %d min" % (seconds // 3600, seconds % 3600 // 60)


def human_bytes(count):
    """'950 B', '8.1 MB', '140.0 GB': decimal units, as the hub and download tools show sizes."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return "%.1f %s" % (count / size, unit)
    return "%d B" % count
