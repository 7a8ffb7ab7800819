"""docs/RELIABILITY.md stays true: every promise is one sentence and names tests that exist.

A promise is a ``### P<n>. <title>`` section: its first paragraph is the promise (one
sentence), and the test ids in backticks anywhere in the section prove it. An id is
``path::name`` or ``path::Class::name``, optionally with ``[params]``; it exists when the
file defines that test function, test class or (for Hypothesis state machines) the
module-level name — checked on the source with ``ast``, so nothing is imported or run.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "RELIABILITY.md"
PROMISE = re.compile(r"^### (P\d+)\. (.+)$", re.MULTILINE)
TEST_ID = re.compile(r"`(tests/[\w/]+\.py(?:::\w+)+)(?:\[[^\]`]*\])?`")


def promises() -> dict[str, str]:
    """Promise number → its section text (up to the next heading)."""
    text = DOC.read_text()
    found: dict[str, str] = {}
    for match in PROMISE.finditer(text):
        end = text.find("\n#", match.end())
        found[match[1]] = text[match.end() : end if end != -1 else len(text)]
    return found


@cache
def defined(path: str) -> dict[str, set[str]]:
    """Top-level names a test file defines → the method names of each (empty if not a class)."""
    tree = ast.parse((ROOT / path).read_text())
    names: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names[node.name] = set()
        elif isinstance(node, ast.ClassDef):
            names[node.name] = {
                item.name
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            }
        elif isinstance(node, ast.Assign):
            names.update({t.id: set() for t in node.targets if isinstance(t, ast.Name)})
    return names


def exists(test_id: str) -> bool:
    path, name, *method = test_id.split("::")
    if not (ROOT / path).is_file() or not name.lower().startswith("test"):
        return False
    names = defined(path)
    return name in names and (not method or method[0] in names[name])


def test_the_promises_of_reliability_md_section_7_are_all_there() -> None:
    numbers = [int(number[1:]) for number in promises()]
    assert numbers == list(range(1, len(numbers) + 1))  # P1, P2, … in order, none missing
    assert len(numbers) >= 10


@pytest.mark.parametrize("number", list(promises()))
def test_each_promise_is_one_sentence_and_names_existing_tests(number: str) -> None:
    section = promises()[number]
    sentence = " ".join(section.strip().split("\n\n")[0].split())
    assert sentence.endswith(".") and ". " not in sentence, f"{number}: {sentence}"
    ids = TEST_ID.findall(section)
    assert ids, f"{number} names no test"
    missing = [test_id for test_id in ids if not exists(test_id)]
    assert not missing, f"{number} names tests that do not exist: {missing}"


def test_the_checker_knows_a_missing_test_when_it_sees_one() -> None:
    assert exists("tests/storage/test_jobs.py::test_concurrent_settles_settle_once")
    assert exists("tests/storage/test_stateful.py::TestLedgerMachine")
    assert not exists("tests/storage/test_jobs.py::test_no_such_test")
    assert not exists("tests/storage/no_such_file.py::test_concurrent_settles_settle_once")
    assert not exists("tests/storage/test_jobs.py::JobStore")  # defined there, but no test
