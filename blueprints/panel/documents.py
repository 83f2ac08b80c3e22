"""Panel: documents the clinic shared — the searchable, paged list, one document's page
(images shown, PDFs opened in the browser) and the file itself.

The file is read only after the owner check (document_for filters by the active patient in
the query) and the checksum check; it is sent with its real type, `nosniff`, a
Content-Disposition and `Cache-Control: private, no-store` so no shared proxy keeps it.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app, request
from flask_babel import lazy_gettext as _l

from core import audit
from core.htmx import render
from services import documents as docs

from . import bp
from .common import Listing, filters, list_page, patient, refuse

DOCUMENTS = Listing(
    "documents", _l("Dokumenty"), _l("Tytuł dokumentu"),
    _l("Brak dokumentów spełniających kryteria."), docs.KINDS, _l("Rodzaj"),
)  # fmt: skip


@bp.route("/documents")
def documents():
    person = patient()
    found = filters(tuple(docs.KINDS))
    page = docs.documents(person, found) if not found.errors else None
    audit.read("documents", person.id)
    return list_page(DOCUMENTS, found, page=page, person=person)


def _document_or_404(document_id: int):
    person = patient()
    document = docs.document_for(person, document_id)
    if document is None:
        refuse("document", document_id)
    return document


@bp.route("/documents/<int:document_id>")
def document(document_id: int):
    found = _document_or_404(document_id)
    audit.read("document", found.patient_id, "document", found.id)
    return render("panel/document.html", document=found, kind=docs.kind_label(found.kind))


def _disposition(kind: str, file_name: str) -> str:
    """RFC 6266: an ASCII fallback and the UTF-8 name (Polish letters survive)."""
    ascii_name = file_name.encode("ascii", "ignore").decode() or "dokument"
    ascii_name = "".join(c for c in ascii_name if c not in '"\\;')
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}"


@bp.route("/documents/<int:document_id>/download")
def document_download(document_id: int):
    """The file: attachment by default, `?inline=1` to open it in the browser."""
    found = _document_or_404(document_id)
    content = docs.read_document(found, current_app.config["DOCUMENTS_DIR"])
    inline = request.args.get("inline") == "1"
    audit.read("document.file", found.patient_id, "document", found.id)
    response = Response(content, mimetype=found.content_type)
    response.headers["Content-Disposition"] = _disposition(
        "inline" if inline else "attachment", found.file_name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    # A file is never a page. Images get the strictest policy; Chrome's PDF viewer refuses to
    # run in a sandboxed document and needs inline styles and an object, so a PDF (its type
    # checked from its bytes when shared, nosniff here) only may not be framed.
    response.headers["Content-Security-Policy"] = (
        "frame-ancestors 'none'"
        if found.content_type == "application/pdf"
        else "default-src 'none'; frame-ancestors 'none'; sandbox"
    )
    return response
