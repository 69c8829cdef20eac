"""Document storage: every document is immutable, versioned per case and kind, and hashed with SHA-256."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max

from holdtrack.accounts.models import User
from holdtrack.audit.services import audit_record
from holdtrack.core.errors import ValidationFailed
from holdtrack.core.timeutil import now
from holdtrack.documents.models import Document, DocumentKind

MAX_BYTES = 25 * 1024 * 1024


def document_store(
    *, actor: User, case_type: str, case_id: int, kind: str, title: str, content: bytes, content_type: str,
    language: str = "en", transition_id: int | None = None, at: datetime | None = None,
) -> Document:
    """Store a new version; an identical upload of the latest version returns it instead of duplicating."""
    if kind not in DocumentKind.values:
        raise ValidationFailed(f"Unknown document kind {kind!r}.")
    if not content:
        raise ValidationFailed("The document is empty.")
    if len(content) > MAX_BYTES:
        raise ValidationFailed(f"The document is {len(content):,} bytes; the limit is {MAX_BYTES:,}.")
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        latest = (Document.objects.select_for_update().filter(case_type=case_type, case_id=case_id, kind=kind)
                  .order_by("-version").first())
        if latest is not None and latest.sha256 == digest:
            return latest
        version = (Document.objects.filter(case_type=case_type, case_id=case_id, kind=kind)
                   .aggregate(v=Max("version"))["v"] or 0) + 1
        # Content-addressed name: the stored bytes can be checked against the hash at any time.
        name = default_storage.save(f"{case_type}/{case_id}/{digest}", ContentFile(content))
        doc = Document.objects.create(
            kind=kind, title=title, case_type=case_type, case_id=case_id, transition_id=transition_id,
            version=version, content_type=content_type, size=len(content), sha256=digest, storage_name=name,
            language=language, uploaded_by=actor, uploaded_at=at or now())
        audit_record(actor=actor, action="document.store", entity_type="document", entity_id=doc.pk,
                     data={"case_type": case_type, "case_id": case_id, "sha256": digest, "version": version})
        return doc


def document_verify(doc: Document) -> bool:
    """True when the stored bytes still hash to the recorded SHA-256."""
    with default_storage.open(doc.storage_name, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest() == doc.sha256
