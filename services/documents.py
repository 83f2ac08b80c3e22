"""Documents the clinic shares with a patient (PDF and images).

The bytes live in the document store, DOCUMENTS_DIR (instance/documents by default): a
directory outside the web root, under a random name, never the uploaded one. The row keeps
the SHA-256 of the bytes; `read_document` checks it before anything is served, so a file
changed or damaged on disk is refused instead of being handed to the patient. The type is
decided from the bytes (magic numbers), not from the file name or the sender's word.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime, time, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.errors import DomainError
from models.accounts import Account
from models.medical import Document
from models.patients import Patient
from services.medical_records import Filters, Page, paginate

KINDS = {
    "result": _l("Wynik badania"),
    "discharge": _l("Karta informacyjna"),
    "certificate": _l("Zaświadczenie"),
    "imaging": _l("Opis i obraz badania obrazowego"),
    "other": _l("Inny dokument"),
}
CONTENT_TYPES = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}


class DocumentError(DomainError):
    status = 422

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self._message = message
        self.status = status

    @property
    def message(self) -> str:
        return self._message


class DocumentUnavailable(DocumentError):
    """The stored file is missing or its checksum does not match: never served."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Tego dokumentu nie można teraz otworzyć. Zgłoś to w rejestracji — "
                "przygotujemy go ponownie."
            ),
            503,
        )


def sniff_content_type(content: bytes) -> str | None:
    """The type the bytes are, by their magic number; None for anything we do not share."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def _store(directory: str | os.PathLike) -> Path:
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def share_document(
    patient: Patient,
    title: str,
    kind: str,
    content: bytes,
    file_name: str,
    storage_dir: str | os.PathLike,
    max_bytes: int | None = None,
    shared_by: Account | None = None,
) -> Document:
    """Staff share a file with the patient: checked, stored under a random name with its
    SHA-256, then recorded. The file is written before the row, so a row always has one.
    `max_bytes` defaults to the DOCUMENT_MAX_BYTES setting."""
    if max_bytes is None:
        max_bytes = current_app.config["DOCUMENT_MAX_BYTES"]
    title = title.strip()
    if not title or len(title) > 200:
        raise DocumentError(_("Podaj tytuł dokumentu (najwyżej 200 znaków)."))
    if kind not in KINDS:
        raise DocumentError(_("Wybierz rodzaj dokumentu z listy."))
    if not content or len(content) > max_bytes:
        raise DocumentError(_("Plik jest pusty albo za duży."))
    content_type = sniff_content_type(content)
    if content_type is None:
        raise DocumentError(_("Udostępniamy tylko pliki PDF, PNG i JPEG."))
    stem = Path(file_name or "").stem
    safe_stem = "".join(c for c in stem if c.isalnum() or c in "-_ .")[:80].strip() or "dokument"
    storage_name = secrets.token_hex(16)
    target = _store(storage_dir) / storage_name
    with open(target, "xb") as handle:
        handle.write(content)
    try:
        return Document.create(
            patient=patient,
            title=title,
            kind=kind,
            content_type=content_type,
            file_name=safe_stem + CONTENT_TYPES[content_type],
            storage_name=storage_name,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            shared_by=shared_by,
        )
    except Exception:
        target.unlink(missing_ok=True)
        raise


def read_document(document: Document, storage_dir: str | os.PathLike) -> bytes:
    """The document's bytes after the checksum matched; DocumentUnavailable otherwise."""
    if not all(c in "0123456789abcdef" for c in document.storage_name):
        raise DocumentUnavailable()
    try:
        content = (Path(storage_dir) / document.storage_name).read_bytes()
    except OSError:
        raise DocumentUnavailable() from None
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise DocumentUnavailable()
    return content


def document_for(patient: Patient, document_id: int) -> Document | None:
    """The patient's document, or None when the id is not theirs (filtered in the query)."""
    return Document.get_or_none((Document.id == document_id) & (Document.patient == patient.id))


def documents(patient: Patient, filters: Filters) -> Page:
    query = (
        Document.select()
        .where(Document.patient == patient.id)
        .order_by(Document.created_at.desc(), Document.id.desc())
    )
    if filters.q:
        pattern = "%" + filters.q.replace("%", "").replace("_", "").replace("\\", "") + "%"
        query = query.where(Document.title**pattern)
    if filters.kind:
        query = query.where(Document.kind == filters.kind)
    if filters.date_from:
        query = query.where(Document.created_at >= datetime.combine(filters.date_from, time()))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time())
        query = query.where(Document.created_at < end)
    return paginate(query, filters.page)


def kind_label(kind: str) -> str:
    return str(KINDS.get(kind, kind))
