import pytest
from django.core.files.storage import default_storage

from holdtrack.core.errors import ValidationFailed
from holdtrack.documents.services import document_store, document_verify
from tests.factories import prepared

pytestmark = pytest.mark.django_db


def _store(world, d, content: bytes):
    return document_store(
        actor=world.officer,
        case_type="detainer",
        case_id=d.pk,
        kind="DETAINER_FORM",
        title="I-247A",
        content=content,
        content_type="application/pdf",
    )


@pytest.mark.smoke
def test_documents_are_hashed_versioned_and_immutable(world):
    d = prepared(world)
    first = _store(world, d, b"%PDF-1.7 first")
    assert first.version == 1 and len(first.sha256) == 64
    assert _store(world, d, b"%PDF-1.7 first").pk == first.pk  # re-upload: no duplicate
    second = _store(world, d, b"%PDF-1.7 second")
    assert second.version == 2 and second.sha256 != first.sha256
    assert document_verify(first) and document_verify(second)
    first.title = "changed"
    with pytest.raises(ValueError, match="immutable"):
        first.save()


def test_tampered_bytes_fail_verification(world):
    d = prepared(world)
    doc = _store(world, d, b"%PDF-1.7 original")
    default_storage.delete(doc.storage_name)
    default_storage.save(doc.storage_name, __import__("io").BytesIO(b"%PDF-1.7 altered"))
    assert not document_verify(doc)


def test_empty_and_unknown_kinds_are_refused(world):
    d = prepared(world)
    with pytest.raises(ValidationFailed, match="empty"):
        _store(world, d, b"")
    with pytest.raises(ValidationFailed, match="Unknown document kind"):
        document_store(
            actor=world.officer,
            case_type="detainer",
            case_id=d.pk,
            kind="NOPE",
            title="x",
            content=b"x",
            content_type="text/plain",
        )
