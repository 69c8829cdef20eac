"""``core`` is the floor: it imports no app above it (function-local imports included), and no app imports the
``console``, which sits above every other (ADR 0033)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import holdtrack

SRC = Path(holdtrack.__file__).parent
ABOVE_CORE = (
    "custody",
    "cases",
    "screening",
    "documents",
    "reports",
    "intake",
    "api",
    "desks",
    "simulation",
    "console",
)


def _imports(folder: Path) -> Iterator[tuple[str, str]]:
    """(file, imported module) for every import statement under folder, at any depth of the code."""
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                yield from ((str(path.relative_to(SRC)), alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                yield str(path.relative_to(SRC)), node.module


def _app(module: str) -> str:
    parts = module.split(".")
    return parts[1] if parts[0] == "holdtrack" and len(parts) > 1 else ""


def test_core_imports_no_higher_app():
    upward = [(path, module) for path, module in _imports(SRC / "core") if _app(module) in ABOVE_CORE]
    assert not upward, upward


def test_no_app_imports_the_console():
    outside = [p for p in SRC.iterdir() if p.is_dir() and p.name != "console"]
    found = [(path, module) for folder in outside for path, module in _imports(folder) if _app(module) == "console"]
    assert not found, found
