"""PDF inspection helpers shared by the document tests."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from pypdf import PdfReader

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "documents"


def pdf_pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def squash(text: str) -> str:
    """Text without any whitespace: table cells and line wrapping split values at arbitrary spaces."""
    return re.sub(r"\s+", "", text)


def contains(pdf_text: str, value: str) -> bool:
    return squash(value) in squash(pdf_text)


def catalog(pdf: bytes) -> dict[str, Any]:
    reader = PdfReader(io.BytesIO(pdf))
    root: Any = reader.trailer["/Root"]
    return dict(root.get_object())


def struct_elements(pdf: bytes) -> set[str]:
    """Structure types (/S) found in the tag tree."""
    reader = PdfReader(io.BytesIO(pdf))
    root: Any = reader.trailer["/Root"]
    root = root["/StructTreeRoot"].get_object()
    seen: set[str] = set()
    stack: list[Any] = [root]
    visited = 0
    while stack and visited < 20000:
        node = stack.pop().get_object()
        visited += 1
        if hasattr(node, "get") and node.get("/S") is not None:
            seen.add(str(node["/S"]))
        kids = node.get("/K") if hasattr(node, "get") else None
        if kids is None:
            continue
        if not isinstance(kids, list):
            kids = [kids]
        for k in kids:
            obj = k.get_object() if hasattr(k, "get_object") else k
            if hasattr(obj, "get"):
                stack.append(obj)
    return seen


def png_artifact(pdf: bytes, name: str, *, dpi: int = 72) -> list[Path] | None:
    """Render every page to PNG under test-artifacts/documents/ with pdftoppm; None when it is absent."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        return None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    src = ARTIFACTS / f"{name}.pdf"
    src.write_bytes(pdf)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run([exe, "-r", str(dpi), "-png", str(src), str(ARTIFACTS / name)], check=True, timeout=120)  # noqa: S603
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))
