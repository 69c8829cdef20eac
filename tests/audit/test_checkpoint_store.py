"""Scheduled checkpoints (issue 11, item 8): the worker's hourly task signs a checkpoint into the checkpoint
folder; ``audit verify --checkpoint FOLDER`` accepts it and then finds a later truncation; the task never signs
over a cut tail; nothing is written while the chain has not grown; the oldest are removed beyond the retention."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from holdtrack.audit.checkpoint import load
from holdtrack.audit.checkpoint_store import LATEST, PATTERN, checkpoint_scheduled
from holdtrack.audit.services import audit_record, audit_verify
from holdtrack.audit.tasks import audit_checkpoint_periodic
from tests.audit.conftest import owner, raw

pytest.importorskip("cryptography")
pytestmark = pytest.mark.django_db


@pytest.fixture
def folder(settings, tmp_path) -> Path:
    settings.HOLDTRACK_AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    settings.HOLDTRACK_AUDIT_CHECKPOINT_KEEP = 3
    return tmp_path / "checkpoints"


def _verify(path: Path) -> str:
    out = io.StringIO()
    call_command("audit", "verify", "--checkpoint", str(path), stdout=out)
    return out.getvalue()


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(PATTERN))


def test_the_periodic_task_writes_a_checkpoint_that_verify_accepts_and_that_finds_a_truncation(folder, history):
    done = audit_checkpoint_periodic.call_local()
    assert done["ok"] and done["seq"] == 18 and _files(folder) == [done["written"]]
    assert (folder / LATEST).read_text() == (folder / done["written"]).read_text()
    assert load((folder / LATEST).read_text()).head == audit_verify().head
    assert "reaches checkpoint position 18" in _verify(folder)

    with owner() as cur:
        for table, row_id in history[-2:]:
            raw(cur, "DELETE FROM {t} WHERE id = %s", table, [row_id])
    with pytest.raises(CommandError) as broken:
        _verify(folder)
    assert "chain ends at position 16 but the checkpoint saw 18 (tail removed)" in str(broken.value)
    # The next scheduled run does not sign the shorter chain, which would hide the cut from later checks.
    refused = audit_checkpoint_periodic.call_local()
    assert not refused["ok"] and "tail removed" in refused["skipped"] and not refused["written"]
    assert _files(folder) == [done["written"]]


def test_nothing_is_written_while_the_chain_has_not_grown_and_the_oldest_go(folder, history):
    first = checkpoint_scheduled()
    assert first.written and checkpoint_scheduled().skipped == "chain unchanged since the newest checkpoint"
    written = [first.written]
    for n in range(4):
        audit_record(actor=None, action="detainer.view", entity_type="detainer", entity_id=n)
        done = checkpoint_scheduled()
        assert done.seq == 19 + n
        written.append(done.written)
    assert _files(folder) == written[-3:]  # HOLDTRACK_AUDIT_CHECKPOINT_KEEP = 3
    assert load((folder / LATEST).read_text()).seq == 22
    assert "reaches checkpoint position 22" in _verify(folder)


def test_the_command_writes_into_the_folder_as_the_task_does(folder, history, tmp_path):
    out = io.StringIO()
    call_command("audit", "checkpoint", "--dir", stdout=out)
    assert "written; 0 old checkpoints removed" in out.getvalue() and len(_files(folder)) == 1
    elsewhere = tmp_path / "offsite"
    call_command("audit", "checkpoint", "--dir", str(elsewhere), stdout=io.StringIO())
    assert len(_files(elsewhere)) == 1
    with pytest.raises(CommandError, match="no checkpoint in"):
        _verify(tmp_path)
