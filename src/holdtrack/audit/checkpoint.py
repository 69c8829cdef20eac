"""Signed checkpoints of the audit chain (ADR 0015).

A checkpoint states "the chain had ``count`` links and its head was ``head``", signed with Ed25519. Kept
outside the database (handed to an auditor, stored with backups), it catches what the keyed chain alone cannot:
the tail cut off, or the whole chain rebuilt by someone holding the database and the HMAC key. Anyone with the
public key checks the signature; only the holder of the private key can make one.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature

from holdtrack.audit.chain import canonical
from holdtrack.audit.keys import load_public_key, public_key_id, signing_key
from holdtrack.core.timeutil import iso, now

FORMAT = "holdtrack-audit-checkpoint/1"


class CheckpointError(ValueError):
    pass


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    head: str
    key_id: str
    events: int
    transitions: int
    at: str
    signer: str

    def body(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "seq": self.seq,
            "count": self.seq,
            "head": self.head,
            "key_id": self.key_id,
            "events": self.events,
            "transitions": self.transitions,
            "at": self.at,
            "signer": self.signer,
        }


def sign(seq: int, head: str, key_id: str, events: int, transitions: int, private: Any | None = None) -> str:
    """The checkpoint as a JSON document (the body and its signature over the body's canonical form)."""
    private = private or signing_key()
    cp = Checkpoint(seq, head, key_id, events, transitions, str(iso(now())), public_key_id(private.public_key()))
    body = cp.body()
    signature = private.sign(canonical(body).encode())
    return json.dumps({**body, "signature": base64.b64encode(signature).decode()}, indent=2) + "\n"


def load(text: str, public_pem: str | bytes | None = None) -> Checkpoint:
    """Parse and check the signature; raises CheckpointError for anything not signed by the key."""

    try:
        doc = json.loads(text)
        signature = base64.b64decode(doc.pop("signature"), validate=True)
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"not a checkpoint file ({exc})") from exc
    if doc.get("format") != FORMAT:
        raise CheckpointError(f"unknown checkpoint format {doc.get('format')!r}")
    public = load_public_key(public_pem) if public_pem is not None else signing_key().public_key()
    try:
        public.verify(signature, canonical(doc).encode())
    except InvalidSignature as exc:
        raise CheckpointError(
            "checkpoint signature does not verify (forged or altered checkpoint, or wrong key)"
        ) from exc
    try:
        return Checkpoint(
            int(doc["seq"]),
            str(doc["head"]),
            str(doc["key_id"]),
            int(doc["events"]),
            int(doc["transitions"]),
            str(doc["at"]),
            str(doc["signer"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint field missing or malformed ({exc})") from exc
