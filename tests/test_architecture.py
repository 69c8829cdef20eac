"""The house's rules that a tool can check (ADR 0001): the layers, private names, and function-local imports."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "holdtrack"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _modules() -> list[Path]:
    return [p for p in sorted(SRC.rglob("*.py")) if "migrations" not in p.parts]


def _app(path: Path) -> str:
    parts = path.relative_to(SRC).parts
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def test_no_app_imports_a_higher_layer():
    """import-linter's layers contract (pyproject.toml), as `make lint` runs it."""
    command = [str(LINT_IMPORTS), "--no-cache"]  # the venv's own tool, fixed arguments
    done = subprocess.run(command, capture_output=True, text=True, cwd=SRC.parents[1])  # noqa: S603
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_no_private_name_is_imported_from_another_app():
    found = []
    for path in _modules():
        app = _app(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("holdtrack."):
                parts = node.module.split(".")
                if parts[1] == app:
                    continue
                found += [
                    f"{path.relative_to(SRC)}:{node.lineno} {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_")
                ]
                found += [
                    f"{path.relative_to(SRC)}:{node.lineno} {node.module}"
                    for p in parts[2:]
                    if p.startswith("_") and p != "__init__"
                ]
    assert not found, found


def test_every_function_local_import_says_why():
    """ruff's PLC0415 flags them in `make lint`; here the same rule in `make test`: an import inside a function
    carries `# noqa: PLC0415 - <why>` (a heavy library, an import cycle, the app registry in `ready`)."""
    bare = []
    for path in _modules():
        text = path.read_text()
        lines = text.splitlines()
        for function in ast.walk(ast.parse(text)):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    why = re.search(r"noqa: [A-Z0-9, ]*PLC0415 - (.{10,})$", lines[node.lineno - 1])
                    if why is None:
                        bare.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not bare, bare
