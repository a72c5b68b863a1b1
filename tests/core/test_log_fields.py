"""A log call's ``extra`` may not name an attribute of the LogRecord itself ("args", "filename", "message" …):
logging raises KeyError at the call, so the line meant to explain a bad input or a skipped file becomes a crash of
the handler around it (a bad ``/digest`` schedule answered "failed on my side" instead of saying what was wrong)."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESERVED = set(vars(logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None))) | {"message", "asctime"}


def test_no_log_call_names_a_log_record_attribute_in_extra() -> None:
    found = []
    for path in sorted([*ROOT.glob("agent/**/*.py"), *ROOT.glob("bot/**/*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg == "extra" and isinstance(keyword.value, ast.Dict):
                    names = {k.value for k in keyword.value.keys if isinstance(k, ast.Constant)}
                    found += [f"{path.relative_to(ROOT)}:{node.lineno}: {n}" for n in sorted(names & RESERVED)]
    assert not found, found
