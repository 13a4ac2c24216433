"""The README's size table, made from `dockfix verify BEFORE AFTER --build --format json` runs.

Each run is the JSON the command printed (``{"static": …, "build": …, "holds": …}``) and a
column label. The first run's BEFORE is the table's first column; every run adds its AFTER.
`replace_between_markers` swaps the table into a Markdown file between
``<!-- size-table:begin -->`` and ``<!-- size-table:end -->``, so `tools/size_table.py`
regenerates it instead of anyone typing numbers.
"""

from __future__ import annotations

BEGIN, END = "<!-- size-table:begin -->", "<!-- size-table:end -->"


def _mb(n: int | None) -> str:
    return "not measured" if n is None else f"{n / 1e6:,.1f} MB"


def _seconds(s: float | None) -> str:
    if s is None:
        return "not measured"
    return f"{s:.0f} s" if s < 120 else f"{int(s // 60)} min {s % 60:02.0f} s"


def _cell(side: dict | None) -> str:
    if side is None:
        return "absent"
    if side["status"] == "skipped":
        return f"skipped ({side.get('skip_reason') or 'not built'})"
    if side["status"] == "failed":
        step = side.get("failed_step") or {}
        where = f" at `{step['instruction']}` (line {step['line']})" if step.get("line") else ""
        return f"fails{where}"
    layers = side.get("layers", 0)
    return f"{_mb(side.get('size'))}, {layers} layer{'s' if layers != 1 else ''}"


def _image_rows(runs: list[tuple[str, dict]]) -> list[list[str]]:
    keys: list[str] = []
    for _label, data in runs:
        keys += [i["image"] for i in data["build"]["images"] if i["image"] not in keys]
    rows = []
    for key in keys:
        cells = [_side(runs[0][1], key, "before")] + [_side(data, key, "after") for _label, data in runs]
        rows.append([key.replace("<", "`").replace(">", "`")] + [_cell(c) for c in cells])
    return rows


def _side(data: dict, key: str, side: str) -> dict | None:
    image = next((i for i in data["build"]["images"] if i["image"] == key), None)
    return None if image is None else image.get(side)


def _built(data: dict, side: str) -> str:
    n = sum(1 for i in data["build"]["images"] if (i.get(side) or {}).get("status") == "ok")
    return f"{n} image{'s' if n != 1 else ''}"


def _total_rows(runs: list[tuple[str, dict]]) -> list[list[str]]:
    first = runs[0][1]["build"]
    distinct = ["distinct layer bytes, all images",
                f"{_mb(first['distinct_layer_bytes']['all']['before'])} ({_built(runs[0][1], 'before')})"]
    both = ["… of the images built on both sides", _mb(first["distinct_layer_bytes"]["built_on_both_sides"]["before"])]
    cold = ["build time of the set, cold (empty layer cache)", _seconds(first["build_time_s"]["before"]["cold"])]
    warm = ["… warm, after an edit of " + (first["build_time_s"]["before"]["edited"] or "an app file"),
            _seconds(first["build_time_s"]["before"]["warm"])]
    for _label, data in runs:
        build = data["build"]
        distinct.append(f"{_mb(build['distinct_layer_bytes']['all']['after'])} ({_built(data, 'after')})")
        both.append(_mb(build["distinct_layer_bytes"]["built_on_both_sides"]["after"]))
        cold.append(_seconds(build["build_time_s"]["after"]["cold"]))
        warm.append(_seconds(build["build_time_s"]["after"]["warm"]))
    return [distinct, both, cold, warm]


def _verdict_row(runs: list[tuple[str, dict]]) -> list[str]:
    def verdict(data: dict) -> str:
        static = "holds" if data["static"]["holds"] else "does not hold"
        real = "holds" if data["build"]["holds"] else "does not hold"
        unexplained = sum(len((i.get("files") or {}).get("unexplained") or []) for i in data["build"]["images"])
        return f"static {static}, real builds {real}; {unexplained} unexplained file differences"

    return ["verdicts", "-"] + [verdict(data) for _label, data in runs]


def size_table(runs: list[tuple[str, dict]]) -> str:
    """The Markdown table of one or more runs that share BEFORE (labels name the AFTER trees)."""
    header = ["image", "before"] + [label for label, _data in runs]
    rows = _image_rows(runs) + _total_rows(runs) + [_verdict_row(runs)]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    before_times = [f"cold {_seconds(d['build']['build_time_s']['before']['cold'])}, warm "
                    f"{_seconds(d['build']['build_time_s']['before']['warm'])} (run with {label})"
                    for label, d in runs]
    lines += ["", "BEFORE is built in every run: " + "; ".join(before_times) + "."]
    return "\n".join(lines) + "\n"


def replace_between_markers(text: str, table: str) -> str:
    """`text` with what lies between the size-table markers replaced by `table`."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"no {BEGIN} … {END} markers")
    return text[:start + len(BEGIN)] + "\n" + table + text[end:]
