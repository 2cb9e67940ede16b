"""Judging, in the grader's own process: read a kernel's exported answers safely and compare with references."""
from __future__ import annotations

import io
import warnings
from typing import Any

from course.grade.discover import Lesson, lesson_exercise
from helpers.references import unpack

QUIZ_NOT_ATTEMPTED = "replace the `...` with your answer, then run the cell again"
NOT_ATTEMPTED_MSG = "replace the `raise NotImplementedError` line with your code, then run the cell again"


def check_plain(value: Any, depth: int = 0) -> None:
    """Raise TypeError unless value is plain data: exact tensors, numbers, str, None, and lists/tuples/dicts."""
    import torch

    if depth > 40:
        raise TypeError("nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return
    if kind is torch.Tensor:
        if value.layout != torch.strided or value.device.type != "cpu":
            raise TypeError("a tensor that is not a dense CPU tensor")
        return
    if kind in (list, tuple, dict):
        for key, item in (value.items() if kind is dict else enumerate(value)):
            if kind is dict and key is not None and type(key) not in (str, int, bool, float):
                raise TypeError(f"a dict key of type {type(key).__name__}")
            check_plain(item, depth + 1)
        return
    raise TypeError(f"a value of type {kind.__name__} is not plain data")


def read_export(blob: bytes | str) -> tuple[Any, str]:
    """Load exported answers safely (weights_only, never plain pickle) and check they are plain data."""
    import torch

    if isinstance(blob, str):
        return None, blob
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
        check_plain(data)
    except Exception as err:  # a forged or corrupt file: never unpickled beyond plain data
        return None, f"the exported answers could not be read safely ({type(err).__name__}: {str(err)[:150]})"
    if not (type(data) is dict and type(data.get("records")) is list
            and all(type(r) is dict and type(r.get("status")) is str for r in data["records"])):
        return None, "the exported answers do not have the expected structure"
    return data, ""


def stop_status(stop: dict) -> tuple[str, str]:
    """Map why a kernel stopped to the status and message of the exercises it never reached."""
    where = f"cell {stop['cell']}" if stop["cell"] >= 0 else "the start"
    if stop["status"] in ("timeout", "deadline"):
        return "timeout", f"not graded: at {where}, {stop['message']}"
    if stop["status"] == "flood":
        return "error", f"not graded: at {where}, {stop['message']}"
    if stop["status"] == "died":
        return "error", f"not graded: the kernel died while running {where} (os._exit, a crash, or the memory cap)"
    return "error", f"not graded: {stop['message']}"


def _records(export: dict | None, raw: dict) -> tuple[list[dict] | None, tuple[str, str] | None]:
    """The exported records of one exercise, or the verdict when there are none to judge."""
    if export is None:
        return None, stop_status(raw["stop"]) if raw.get("stop") else ("error", "no answers were exported")
    if export.get("error"):
        return None, ("error", export["error"])
    data, err = read_export(export["file"])
    if err:
        return None, ("error", err)
    return unpack(data)["records"], None


def _first_record(name: str, record: dict, raw: dict, cell: int | None) -> tuple[str, str] | None:
    """The verdict when the exercise's function is missing or not callable."""
    if record["status"] == "missing":
        err = raw["cell_errors"].get(str(cell)) if cell is not None else None
        if err:
            return "error", f"the cell that defines {name} (cell {cell}) failed: {err}"
        return "not_attempted", f"nothing called {name} was defined"
    if record["status"] == "not_callable":
        return "incorrect", f"expected a function, got a {record.get('message', '?')}"
    return None


def _case(ex: Any, rec: dict, want: Any, inputs: str) -> tuple[str, str] | None:
    """The verdict of one test case, or None when it passed."""
    from helpers.compare import difference

    status = rec["status"]
    if status == "not_attempted":
        return "not_attempted", QUIZ_NOT_ATTEMPTED if ex.is_quiz else NOT_ATTEMPTED_MSG
    if status == "timeout":
        return "timeout", f"your function ran longer than the time limit {inputs}"
    if status == "exception":
        return "incorrect", f"your function raised {rec.get('message', '?')} {inputs}"
    if status == "bad_answer":
        return "incorrect", rec.get("message", "not a possible answer")
    if status == "not_plain":
        return "error", f"your function returned {rec.get('message', '?')}, which is not plain data {inputs}"
    if status != "value" or "value" not in rec:
        return "error", "the exported answers are malformed"
    if ex.is_quiz:
        return None if rec["value"] == want else ("incorrect", "not this one")
    try:
        msg = difference(rec["value"], want, rtol=ex.rtol, atol=ex.atol, check_dtype=ex.check_dtype)
    except Exception as err:  # comparing odd but plain values must not crash the batch
        msg = f"could not compare your answer ({type(err).__name__})"
    return ("incorrect", f"{msg} {inputs}") if msg else None


def judge(ex: Any, export: dict | None, refs: dict, seeds: list[int], raw: dict, cell: int | None
          ) -> tuple[str, str]:
    """Judge one exercise from its exported answers against the references (grader side)."""
    records, verdict = _records(export, raw)
    if verdict:
        return verdict
    if records and (verdict := _first_record(ex.name, records[0], raw, cell)):
        return verdict
    for i, seed in enumerate(seeds):
        if i >= len(records) or records[i].get("seed") != seed:
            return "error", "the exported answers do not match the requested inputs"
        if verdict := _case(ex, records[i], refs[ex.name][seed], f"(inputs: {ex.describe_inputs(seed)})"):
            return verdict
    return "correct", f"passed {len(seeds)} test cases"


def build_refs(lesson: Lesson, raw: dict, seeds: list[int]) -> tuple[dict, dict[str, str]]:
    """References from the solution notebook's own run: ({name: {seed: value}}, {name: why there is none})."""
    refs: dict[str, dict] = {}
    missing: dict[str, str] = {}
    for spec in lesson.specs:
        export = raw["exports"].get(spec.name)
        data, err = read_export(export["file"]) if export and "file" in export else (None, "")
        records = {r.get("seed"): r for r in unpack(data)["records"]} if data else {}
        values = {s: records[s]["value"] for s in seeds if records.get(s, {}).get("status") == "value"
                  and "value" in records[s]}
        if len(values) == len(seeds):
            refs[spec.name] = values
            continue
        why = err or (export or {}).get("error") or _why_no_value(records, seeds, raw)
        missing[spec.name] = (f"the course's solution notebook solutions/{lesson.stem}.ipynb exported no answer "
                              f"for {spec.name} ({why}); this is a problem of the course, not of the submission")
    return refs, missing


def _why_no_value(records: dict, seeds: list[int], raw: dict) -> str:
    """Why the solution's run produced no value for some seed."""
    for seed in seeds:
        rec = records.get(seed)
        if rec and rec.get("status") != "value":
            return f"{rec.get('status')}: {rec.get('message', '')}".strip(": ")
    if records.get(-1):
        return records[-1].get("status", "?")
    stop = raw.get("stop")
    return stop_status(stop)[1] if stop else "nothing was exported"


def _row(lesson: Lesson, spec: Any, status: str, msg: str) -> dict:
    """One grades.csv row."""
    hint = "" if lesson.problem else lesson_exercise(lesson.stem, spec.name).hint
    return {"exercise": spec.name, "points": spec.points if status == "correct" else 0, "max_points": spec.points,
            "status": status, "message": " ".join(msg.split())[:500], "hint": hint}


def result_for(student: str, notebook: str, lesson: Lesson | None, raw: dict | None, refs: dict | None,
               seeds: list[int], key: str, problem: str = "", missing: dict | None = None) -> dict:
    """Build the stored result (rows per exercise) of one submission."""
    rows = []
    if lesson is None or not lesson.specs:
        problem = problem or (lesson.problem if lesson else "")
        rows.append({"exercise": "-", "points": 0, "max_points": 0, "status": "error", "message": problem, "hint": ""})
    for spec in lesson.specs if lesson else ():
        if problem or spec.name in (missing or {}):
            status, msg = "error", problem or missing[spec.name]
        else:
            export = raw["exports"].get(spec.name)
            status, msg = judge(lesson_exercise(lesson.stem, spec.name), export, refs, seeds, raw,
                                export["cell"] if export else None)
        rows.append(_row(lesson, spec, status, msg))
    note = f"processes left after the kill: {raw['leftover']}" if raw and raw.get("leftover") else ""
    return {"student": student, "notebook": notebook, "hash": key, "seeds": seeds,
            "isolation": raw["isolation"] if raw else "none (not run)", "note": note,
            "seconds": round(raw["seconds"], 2) if raw else 0.0, "rows": rows}
