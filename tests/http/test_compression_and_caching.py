"""Issue 14: the app compresses what it serves and caches assets under hashed names."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest

from core import assets
from tests import factories as f

_ASSET = re.compile(r'(?:src|href)="(/static/[^"]+)"')


def asset_urls(client, path: str = "/slots") -> list[str]:
    return _ASSET.findall(client.get(path).get_data(as_text=True))


def test_asset_urls_carry_a_content_hash(client):
    urls = asset_urls(client, "/")
    assert "/static/css/app.css" not in urls
    css = [u for u in urls if u.startswith("/static/css/app.") and u.endswith(".css")]
    assert len(css) == 1 and re.fullmatch(r"/static/css/app\.[0-9a-f]{10}\.css", css[0])


def test_hashed_asset_is_cached_for_a_year_as_immutable(client):
    for url in asset_urls(client, "/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
        assert "Cookie" not in response.headers.get("Vary", ""), url


def test_plain_asset_name_still_works_but_is_revalidated(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"


def test_a_stale_hash_gets_the_current_file_without_immutable(client):
    response = client.get("/static/css/app.0000000000.css")
    assert response.status_code == 200
    assert "immutable" not in response.headers["Cache-Control"]
    assert client.get("/static/css/nothing.0000000000.css").status_code == 404


def test_hash_changes_with_the_content(tmp_path):
    (tmp_path / "app.css").write_text("body { color: red }")
    first = assets.build_manifest(tmp_path)["app.css"].hashed_name
    (tmp_path / "app.css").write_text("body { color: blue }")
    second = assets.build_manifest(tmp_path)["app.css"].hashed_name
    assert first != second
    assert re.fullmatch(r"app\.[0-9a-f]{10}\.css", second)


def test_precompressed_variants_are_rebuilt_when_the_file_changes(tmp_path):
    source = tmp_path / "big.js"
    source.write_text("var a = 1;\n" * 200)
    assets.build_manifest(tmp_path)
    assert (tmp_path / "big.js.br").exists() and (tmp_path / "big.js.gz").exists()
    source.write_text("var b = 2;\n" * 300)
    import os

    os.utime(source, (source.stat().st_mtime + 5,) * 2)
    manifest = assets.build_manifest(tmp_path)
    assert brotli.decompress(manifest["big.js"].bodies["br"]) == source.read_bytes()
    assert gzip.decompress(manifest["big.js"].bodies["gzip"]) == source.read_bytes()
    assert "big.js.br" not in manifest  # the variants are not assets of their own


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [("gzip, deflate, br", "br"), ("gzip", "gzip"), ("br;q=0, gzip", "gzip"), ("", None)],
)
def test_static_file_is_sent_in_the_best_accepted_encoding(client, accept, encoding):
    url = next(u for u in asset_urls(client, "/") if "htmx" in u)
    response = client.get(url, headers={"Accept-Encoding": accept})
    assert response.headers.get("Content-Encoding") == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    body = response.get_data()
    plain = {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[encoding](body)
    assert plain.startswith(b"var htmx") or b"htmx" in plain[:200]
    if encoding:
        assert len(body) < 20_000  # 52 KB of htmx


def test_conditional_request_for_an_asset_gets_304(client):
    url = next(u for u in asset_urls(client, "/") if u.endswith(".css"))
    first = client.get(url, headers={"Accept-Encoding": "br"})
    again = client.get(
        url, headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304


@pytest.fixture
def clinic(ctx):
    fac = f.facility()
    spec = f.specialty()
    doc = f.staff(spec, fac)
    sched = f.schedule(doc, fac, services=[f.service(spec)])
    from datetime import timedelta

    from models.base import utcnow

    start = (utcnow() + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    for n in range(12):
        f.slot(doc, fac, start + timedelta(minutes=15 * n), specialty=spec, schedule=sched)


@pytest.mark.parametrize("path", ["/", "/slots", "/help"])
def test_pages_are_compressed_and_vary_on_accept_encoding(client, clinic, path):
    plain = client.get(path)
    packed = client.get(path, headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert "Accept-Encoding" in plain.headers["Vary"]
    assert "Content-Encoding" not in plain.headers
    assert len(packed.get_data()) < len(plain.get_data()) / 2
    text = brotli.decompress(packed.get_data()).decode()
    assert "</html>" in text


def test_htmx_partial_is_gzipped_for_a_gzip_only_client(client, clinic):
    response = client.get("/slots", headers={"HX-Request": "true", "Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"/reserve" in gzip.decompress(response.get_data())


def test_pages_stay_no_store(client, clinic):
    for path in ("/", "/slots", "/login"):
        response = client.get(path, headers={"Accept-Encoding": "br"})
        assert response.headers["Cache-Control"] == "no-store", path


def test_personal_page_is_no_store_and_compressed(client, app, auth):
    account = f.account_in(app)
    auth.login(account.login, f.PASSWORD)
    response = client.get("/account", headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Encoding"] == "br"


def test_head_and_tiny_responses_are_not_compressed(client):
    head = client.head("/", headers={"Accept-Encoding": "br"})
    assert "Content-Encoding" not in head.headers
    assert assets.accepted_encodings("gzip;q=0, br;q=0.5") == {"br"}
    assert assets.best_encoding(("br", "gzip"), "identity") == ""
