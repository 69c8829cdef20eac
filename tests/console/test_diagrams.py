"""``holdtrack diagrams``: the Mermaid state diagrams are generated from the django-fsm transitions, and the
committed copies in docs/state-machines are kept in sync with the code (this test fails when they drift)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from holdtrack.console.management.commands.diagrams import MACHINES, generate

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "docs" / "state-machines"


def _transitions(model_label: str, field_name: str) -> list[tuple[str, str, str]]:
    model = apps.get_model(model_label)
    field = model._meta.get_field(field_name)
    return [(str(t.source), str(t.target), t.name) for t in field.get_all_transitions(model)]


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.slug)
def test_every_transition_edge_is_drawn(machine):
    text = generate()[f"{machine.slug}.md"]
    assert "```mermaid\nstateDiagram-v2\n" in text
    transitions = _transitions(machine.model, machine.field)
    assert transitions, f"{machine.model} declares no transitions"
    for source, target, name in transitions:
        assert f"    {source} --> {target}: {name}\n" in text
        assert f"| `{name}` |" in text
    model = apps.get_model(machine.model)
    field = model._meta.get_field(machine.field)
    for value, label in field.choices:
        assert f'    state "{label}" as {value}\n' in text  # states carry their display names
    assert f"    [*] --> {field.get_default()}\n" in text
    # Exactly the states without an outgoing transition end the diagram.
    sources = {s for s, _, _ in transitions}
    for value, _ in field.choices:
        assert (f"    {value} --> [*]\n" in text) is (value not in sources)


def test_known_shapes():
    files = generate()
    assert "    CLOSED --> [*]\n" in files["detainer.md"]
    assert "    HOLD_IN_EFFECT --> RELEASED_WINDOW_EXPIRED: expire_hold\n" in files["detainer.md"]
    assert "    [*] --> DRAFT\n" in files["subpoena.md"]
    assert "    CONTEMPT_FOUND --> PURGED: purge\n" in files["court-case.md"]
    for terminal in ("DECLINED_BY_USAO", "PETITION_FILED", "WITHDRAWN"):
        assert f"    {terminal} --> [*]\n" in files["enforcement-referral.md"]
    assert "    [*] --> PROPOSED\n" in files["identity-match.md"]
    assert "    [*] --> OPEN\n" in files["citizenship-claim.md"]
    index = files["index.md"]
    for m in MACHINES:
        assert f"]({m.slug}.md)" in index


def test_generation_is_deterministic():
    assert generate() == generate()


def test_committed_diagrams_match_the_code():
    """If this fails, run: holdtrack diagrams --out docs/state-machines (and commit the result)."""
    call_command("diagrams", "--out", str(COMMITTED), "--check")
    on_disk = {p.name for p in COMMITTED.glob("*.md")}
    assert on_disk == set(generate())


def test_check_fails_when_files_differ(tmp_path):
    out = tmp_path / "sm"
    with pytest.raises(CommandError) as info:
        call_command("diagrams", "--out", str(out), "--check")
    assert info.value.returncode == 1
    call_command("diagrams", "--out", str(out))
    call_command("diagrams", "--out", str(out), "--check")
    page = out / "court-case.md"
    page.write_text(page.read_text().replace(": purge", ": purged"))
    with pytest.raises(CommandError, match=r"court-case\.md") as info:
        call_command("diagrams", "--out", str(out), "--check")
    assert info.value.returncode == 1
    # Writing again repairs it, and a stale generated page of a removed machine is reported then removed.
    call_command("diagrams", "--out", str(out))
    (out / "old-machine.md").write_text((out / "index.md").read_text())
    (out / "notes.md").write_text("# hand-written notes are left alone\n")
    with pytest.raises(CommandError, match=r"old-machine\.md"):
        call_command("diagrams", "--out", str(out), "--check")
    call_command("diagrams", "--out", str(out))
    assert not (out / "old-machine.md").exists() and (out / "notes.md").exists()
    call_command("diagrams", "--out", str(out), "--check")


def test_console_script_exits_1_on_drift(tmp_path):
    run = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "holdtrack", "diagrams", "--check", "--out", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    assert "differ from the code" in run.stderr
