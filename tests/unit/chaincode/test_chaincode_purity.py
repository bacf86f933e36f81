"""Source-level guarantees: no floats, no clock or randomness in the contract, no Fabric in the domain."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest

import chaincode

PACKAGE = Path(chaincode.__file__).parent
CONTRACT_MODULES = ("domain", "errors", "protocol", "state", "access", "contract", "memory_stub")


def source(module: str) -> str:
    """A module's source; a package's is every one of its modules' (domain and contract are packages)."""
    folder = PACKAGE / module
    files = sorted(folder.glob("*.py")) if folder.is_dir() else [PACKAGE / f"{module}.py"]
    return "\n".join(f.read_text() for f in files)


def imports(module: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source(module))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", CONTRACT_MODULES)
def test_no_float_anywhere(module: str) -> None:
    tokens = tokenize.generate_tokens(io.StringIO(source(module)).readline)
    assert not [t for t in tokens if t.type == tokenize.NAME and t.string == "float"]


@pytest.mark.parametrize("module", CONTRACT_MODULES)
def test_no_clock_or_randomness(module: str) -> None:
    assert not imports(module) & {"random", "secrets", "time", "uuid", "os"}
    text = source(module)
    for call in (".now(", ".utcnow(", ".today(", "time.time"):
        assert call not in text


def test_domain_is_pure() -> None:
    allowed = {"__future__", "re", "math", "dataclasses", "enum", "typing", "chaincode.errors"}
    assert {name for name in imports("domain") if not name.startswith("chaincode.domain")} <= allowed


def test_only_the_adapter_touches_the_shim() -> None:
    for module in CONTRACT_MODULES:
        if module != "contract":
            assert not any(name.startswith(("chaincode.shim", "grpc", "fabric_protos")) for name in imports(module))
