"""Signed checkpoints (ADR 0015): what the keyed chain alone cannot catch — a cut tail, a chain rebuilt by
someone holding the HMAC key — and forged checkpoints. Checked with the public key only."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from holdtrack.audit.chain import audit_chain
from holdtrack.audit.checkpoint import CheckpointError, load, sign
from holdtrack.audit.keys import keyring, public_key_pem
from holdtrack.audit.services import audit_record, audit_verify
from tests.audit.conftest import TABLE, owner, raw

pytest.importorskip("cryptography")
pytestmark = pytest.mark.django_db


@pytest.fixture
def files(history, tmp_path) -> tuple[Path, Path]:
    """A checkpoint of the 18-link history and our public key, as an auditor would hold them."""
    cp, pub = tmp_path / "checkpoint.json", tmp_path / "audit.pub"
    call_command("audit", "checkpoint", "--out", str(cp), stdout=io.StringIO())
    call_command("audit", "public-key", "--out", str(pub), stdout=io.StringIO())
    return cp, pub


def _verify(cp: Path, pub: Path) -> str:
    out = io.StringIO()
    call_command("audit", "verify", "--checkpoint", str(cp), "--public-key", str(pub), stdout=out)
    return out.getvalue()


def _broken(cp: Path, pub: Path) -> str:
    with pytest.raises(CommandError) as exc:
        _verify(cp, pub)
    assert exc.value.returncode == 1
    return str(exc.value)


@pytest.mark.smoke
def test_checkpoint_holds_position_head_key_and_time(files):
    cp, pub = files
    doc = json.loads(cp.read_text())
    report = audit_verify()
    assert (doc["seq"], doc["count"], doc["events"], doc["transitions"]) == (18, 18, 12, 6)
    assert doc["head"] == report.head and doc["key_id"] == keyring().current_id and doc["at"].endswith("Z")
    assert pub.read_text() == public_key_pem() and "PRIVATE" not in pub.read_text()
    assert "reaches checkpoint position 18" in _verify(cp, pub)


def test_later_events_still_verify_against_an_older_checkpoint(files):
    audit_record(actor=None, action="detainer.view", entity_type="detainer", entity_id=1)
    assert "Audit chain OK: 19 links" in _verify(*files)


def test_tail_truncation_is_found_only_with_the_checkpoint(files, history):
    with owner() as cur:
        for table, row_id in history[-3:]:
            raw(cur, "DELETE FROM {t} WHERE id = %s", table, [row_id])
    assert audit_verify().ok  # a shorter chain is still a valid chain: this is what checkpoints are for
    assert "chain ends at position 15 but the checkpoint saw 18 (tail removed)" in _broken(*files)


def test_a_replaced_head_is_found(files, history):
    """Cut the last link and let new events take its position: the chain is long enough but no longer the one
    the checkpoint saw."""
    table, row_id = history[-1]
    with owner() as cur:
        raw(cur, "DELETE FROM {t} WHERE id = %s", table, [row_id])
    audit_record(actor=None, action="detainer.view", entity_type="detainer", entity_id=1)
    audit_record(actor=None, action="detainer.view", entity_type="detainer", entity_id=2)
    assert audit_chain() == 2 and audit_verify().ok
    assert "link at position 18 is not the checkpoint's head" in _broken(*files)


def test_a_chain_rebuilt_with_the_key_is_found(files, history):
    """Someone holding the database and the HMAC key deletes a row and re-links everything after it: the keyed
    chain verifies, the checkpoint does not."""
    from holdtrack.audit.models import AuditEvent, Transition

    table, row_id = history[4]
    with owner() as cur:
        raw(cur, "DELETE FROM {t} WHERE id = %s", table, [row_id])
        for t in TABLE:
            raw(cur, "UPDATE {t} SET chain_seq = NULL, chain_link = '', chain_key = ''", t)
        cur.execute("DELETE FROM audit_chainhead")
    assert (
        AuditEvent.objects.filter(chain_seq__isnull=False).count()
        == 0
        == Transition.objects.filter(chain_seq__isnull=False).count()
    )
    assert audit_chain() == 17 and audit_verify().ok
    assert "chain ends at position 17 but the checkpoint saw 18" in _broken(*files)


def test_a_full_rehash_with_another_key_is_found(files, history):
    from tests.audit.test_chain import _rehash

    _rehash(b"another-key", keyring().current_id)
    assert "keyed link" in _broken(*files)


@pytest.mark.parametrize("field", ["seq", "head", "at"])
def test_an_edited_checkpoint_is_refused(files, field):
    cp, pub = files
    doc = json.loads(cp.read_text())
    doc[field] = 17 if field == "seq" else ("0" * 64 if field == "head" else "2030-01-01T00:00:00Z")
    cp.write_text(json.dumps(doc))
    assert "Checkpoint REFUSED: checkpoint signature does not verify" in _broken(cp, pub)


def test_a_checkpoint_signed_by_another_key_is_refused(files, history):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    cp, pub = files
    report = audit_verify()
    forged = sign(report.checked - 3, "f" * 64, report.head_key, 10, 5, private=Ed25519PrivateKey.generate())
    cp.write_text(forged)
    assert "signature does not verify" in _broken(cp, pub)
    with pytest.raises(CheckpointError):
        load(forged)  # and against our own key, without --public-key


def test_garbage_is_not_a_checkpoint(files):
    cp, pub = files
    cp.write_text("{}")
    assert "not a checkpoint file" in _broken(cp, pub)


def test_a_broken_chain_is_never_signed(history, tmp_path):
    table, row_id = history[2]
    with owner() as cur:
        raw(cur, "UPDATE {t} SET data = %s WHERE id = %s", table, ['{"n": 1000}', row_id])
    with pytest.raises(CommandError, match="Refusing to sign a broken chain"):
        call_command("audit", "checkpoint", "--out", str(tmp_path / "cp.json"), stdout=io.StringIO())
