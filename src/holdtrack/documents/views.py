"""Document pages: download a stored document, the HTML equivalent of a generated one, and the
acknowledgement link of a delivery. Routed from ``holdtrack.desks.urls``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_safe

from holdtrack.audit.services import audit_record
from holdtrack.core.errors import DomainError
from holdtrack.documents import delivery
from holdtrack.documents import render as doc_render
from holdtrack.documents.models import DeliveryStatus, Document, DocumentKind
from holdtrack.documents.services import case_visible, document_read

ATTACHMENT_EXT = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/tiff": "tif",
    "application/zip": "zip",
}


@require_safe
@login_required
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    doc = Document.objects.filter(pk=pk).first()
    # Missing and forbidden answer alike, as for case pages.
    if doc is None or not case_visible(request.user, doc.case_type, doc.case_id):
        raise Http404("Document not found.")
    audit_record(actor=request.user, action="document.download", entity_type="document", entity_id=doc.pk)
    response = HttpResponse(document_read(doc), content_type=doc.content_type)
    name = (
        f"{doc.kind.lower()}-{doc.case_type}-{doc.case_id}-v{doc.version}.{ATTACHMENT_EXT.get(doc.content_type, 'bin')}"
    )
    # Always a download: uploaded files are not trusted content for the browser.
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
@login_required
def document_preview(request: HttpRequest, kind: str, case_type: str, case_id: int) -> HttpResponse:
    """The accessible HTML equivalent of a generated document, rendered from the current case record."""

    language = request.GET.get("lang", "en")
    if not case_visible(request.user, case_type, case_id) or kind not in DocumentKind.values:
        raise Http404("Document not found.")
    try:
        case = doc_render.load_case(case_type, case_id)
        rendered = doc_render.render_document(kind, case_type, case, language=language)
    except DomainError as exc:
        return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")
    audit_record(
        actor=request.user,
        action=f"{case_type}.document_preview",
        entity_type=case_type,
        entity_id=case_id,
        data={"kind": kind, "language": language},
    )
    response = HttpResponse(rendered.html, content_type="text/html; charset=utf-8")
    # Self-contained page: inline styles only, no scripts, no external loads.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def delivery_ack(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what is acknowledged; only the POST records it (mail scanners follow links with GET)."""
    try:
        attempt = delivery.delivery_from_token(token)
    except DomainError as exc:
        return render(request, "documents/web/ack.html", {"error": exc.message}, status=400)
    if getattr(request.user, "organization_id", None) != attempt.recipient_org_id:
        # Show nothing of the document to anyone but the addressee.
        message = f"This acknowledgement link is for {attempt.recipient_org.name}; sign in as one of its users."
        return render(request, "documents/web/ack.html", {"error": message}, status=403)
    context = {"attempt": attempt, "doc": attempt.document, "done": attempt.status == DeliveryStatus.ACKNOWLEDGED}
    if request.method == "POST":
        try:
            attempt = delivery.delivery_acknowledge(actor=request.user, token=token)  # type: ignore[arg-type]
        except DomainError as exc:
            return render(request, "documents/web/ack.html", {**context, "error": exc.message}, status=403)
        context.update(attempt=attempt, done=True, just_done=not context["done"])
    return render(request, "documents/web/ack.html", context)
