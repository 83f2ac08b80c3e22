"""Panel „Dokumenty”: the paged, searchable list; one document's page; the file served only
to its owner after the checksum check, with its real type, Content-Disposition, nosniff and
no caching; another patient's document or download URL → 404; every read audited."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from core.demo_medical import tiny_pdf
from models.medical import Document
from services import documents
from tests import factories
from tests.http import panel_world
from tests.http.panel_world import events_after, in_db, last_event_id

world = panel_world.world


def test_list_shows_my_documents_with_type_and_links(app, client, world):
    before = last_event_id(app)
    body = client.get("/panel/documents").get_data(as_text=True)
    assert "Wynik morfologii" in body and "Zdjęcie RTG" in body
    assert f"/panel/documents/{world['mine']['pdf']}/download" in body
    assert f"/panel/documents/{world['theirs']['pdf']}" not in body
    assert [e.action for e in events_after(app, before)] == ["read.documents"]


def test_search_by_title_type_and_date(client, world):
    assert "Zdjęcie RTG" not in client.get("/panel/documents?q=morfo").get_data(as_text=True)
    by_kind = client.get("/panel/documents?kind=imaging").get_data(as_text=True)
    assert "Zdjęcie RTG" in by_kind and "Wynik morfologii" not in by_kind
    old = client.get("/panel/documents?date_to=2001-01-01").get_data(as_text=True)
    assert "Brak dokumentów spełniających kryteria." in old
    assert client.get("/panel/documents?kind=exe").status_code == 422


def test_list_is_paged_without_javascript(app, client, world):
    def share_many():
        for n in range(12):
            documents.share_document(
                world["me"].patient,
                f"Skan {n:02d}",
                "other",
                factories.TINY_PDF,
                "s.pdf",
                app.config["DOCUMENTS_DIR"],
            )

    in_db(app, share_many)
    first = client.get("/panel/documents").get_data(as_text=True)
    assert 'rel="next" href="/panel/documents?page=2"' in first
    second = client.get("/panel/documents?page=2").get_data(as_text=True)
    assert 'rel="prev"' in second and "Strona 2" in second
    assert "Wynik morfologii" in second  # the oldest ones are on the second page
    filtered = client.get("/panel/documents?q=Skan").get_data(as_text=True)
    assert "q=Skan&amp;page=2" in filtered


def test_document_page_shows_it_and_is_audited(app, client, world):
    doc_id = world["mine"]["png"]
    before = last_event_id(app)
    body = client.get(f"/panel/documents/{doc_id}").get_data(as_text=True)
    assert "Zdjęcie RTG" in body
    assert f'<img class="document-image" src="/panel/documents/{doc_id}/download?inline=1"' in body
    events = events_after(app, before)
    assert [(e.action, e.object_type, e.object_id) for e in events] == [
        ("read.document", "document", doc_id)
    ]


@pytest.mark.parametrize(
    ("key", "mime", "ext"), [("pdf", "application/pdf", "pdf"), ("png", "image/png", "png")]
)
def test_download_sends_the_file_with_safe_headers(app, client, world, key, mime, ext):
    doc_id = world["mine"][key]
    before = last_event_id(app)
    response = client.get(f"/panel/documents/{doc_id}/download")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == mime
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=") and f".{ext}" in disposition
    stored = in_db(app, lambda: Document.get_by_id(doc_id))
    assert hashlib.sha256(response.data).hexdigest() == stored.sha256
    assert [e.action for e in events_after(app, before)] == ["read.document.file"]
    inline = client.get(f"/panel/documents/{doc_id}/download?inline=1")
    assert inline.headers["Content-Disposition"].startswith("inline;")
    policy = inline.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    # Chrome's PDF viewer does not run in a sandboxed document; an image needs nothing
    assert ("sandbox" in policy) == (mime != "application/pdf")


def test_files_are_stored_outside_the_web_root_under_a_random_name(app, world):
    stored = in_db(app, lambda: Document.get_by_id(world["mine"]["pdf"]))
    path = Path(app.config["DOCUMENTS_DIR"]) / stored.storage_name
    assert path.is_file() and "morf" not in stored.storage_name
    assert not str(path.resolve()).startswith(str(Path(app.static_folder).resolve()))


def test_another_patients_document_and_download_are_404_and_audited(app, client, world):
    theirs = world["theirs"]["pdf"]
    for path in (f"/panel/documents/{theirs}", f"/panel/documents/{theirs}/download"):
        before = last_event_id(app)
        response = client.get(path)
        assert response.status_code == 404
        assert b"%PDF" not in response.data
        assert [e.action for e in events_after(app, before)] == ["access.refused"]
    assert client.get("/panel/documents/99999/download").status_code == 404


def test_download_url_used_logged_out_asks_to_log_in(client, world, auth):
    auth.logout()
    response = client.get(f"/panel/documents/{world['mine']['pdf']}/download")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_a_file_changed_on_disk_is_not_served(app, client, world):
    stored = in_db(app, lambda: Document.get_by_id(world["mine"]["pdf"]))
    (Path(app.config["DOCUMENTS_DIR"]) / stored.storage_name).write_bytes(tiny_pdf("Inny", []))
    response = client.get(f"/panel/documents/{stored.id}/download")
    assert response.status_code == 503
    assert b"%PDF" not in response.data


def test_share_document_refuses_what_is_not_a_pdf_or_image(ctx, tmp_path):
    tmp_path = tmp_path / "store"
    owner = factories.patient()
    for content in (b"<html><script>alert(1)</script>", b"", b"MZ\x90\x00"):
        with pytest.raises(documents.DocumentError):
            documents.share_document(owner, "X", "other", content, "x.pdf", tmp_path)
    with pytest.raises(documents.DocumentError):
        documents.share_document(owner, "X", "nope", factories.TINY_PDF, "x.pdf", tmp_path)
    made = documents.share_document(
        owner, "Wypis", "discharge", factories.TINY_PDF, "../../etc/wypis ż.exe", tmp_path
    )
    assert made.content_type == "application/pdf" and made.file_name == "wypis ż.pdf"
    assert list(tmp_path.iterdir()) == [tmp_path / made.storage_name]


def test_share_document_keeps_to_the_configured_size_limit(ctx, tmp_path):
    ctx.config["DOCUMENT_MAX_BYTES"] = len(factories.TINY_PDF) - 1
    with pytest.raises(documents.DocumentError):
        documents.share_document(
            factories.patient(), "Duży", "other", factories.TINY_PDF, "d.pdf", tmp_path / "s"
        )
