"""Source-level guarantees of the reference core: no floats, and it never imports the books connector."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest

import core

MODULES = sorted(Path(core.__file__).parent.glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_float_and_no_books_import(path: Path) -> None:
    source = path.read_text()
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    assert not [t for t in tokens if t.type == tokenize.NAME and t.string == "float"]
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"books", "gateway", "chaincode"}
