"""``holdtrack rules``: prints the party table, writes it between the markers of a file and checks it there."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from holdtrack.kernel.parties import rules_markdown

BEGIN, END = "<!-- party-table:begin -->", "<!-- party-table:end -->"


def test_prints_one_row_per_rule() -> None:
    out = StringIO()
    call_command("rules", stdout=out)
    assert out.getvalue() == rules_markdown()
    assert "| `detainer_decide` | LEA counsel — addressed LEA |" in out.getvalue()


def test_writes_then_checks_the_table_between_the_markers(tmp_path: Path) -> None:
    doc = tmp_path / "security.md"
    doc.write_text(f"# Before\n\n{BEGIN}\n| stale |\n{END}\n\nAfter.\n", encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        call_command("rules", "--check", str(doc), stdout=StringIO())
    call_command("rules", "--write", str(doc), stdout=StringIO())
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Before\n") and text.endswith("\n\nAfter.\n") and "| stale |" not in text
    out = StringIO()
    call_command("rules", "--check", str(doc), stdout=out)
    assert "matches" in out.getvalue()


def test_a_file_without_markers_is_a_clear_error(tmp_path: Path) -> None:
    doc = tmp_path / "plain.md"
    doc.write_text("no table here\n", encoding="utf-8")
    with pytest.raises(CommandError, match="markers"):
        call_command("rules", "--check", str(doc), stdout=StringIO())
