"""Static files under content-hashed names, cached for a year, sent precompressed.

`url_for('static', filename='css/app.css')` gives `/static/css/app.<hash>.css` (a URL
default, so templates stay as they are). That URL never changes meaning: it is sent with
`Cache-Control: public, max-age=31536000, immutable`, and a changed file gets a new name,
so a browser asks for each asset once and never revalidates it. The plain name still
works (for anything outside the templates) with `no-cache`, like before.

Each file is compressed once, at first start, with brotli (quality 11) and gzip (level 9)
into `<file>.br` / `<file>.gz` beside it (not committed; rebuilt when the file is newer).
A read-only static folder keeps them in memory instead. A request gets the smallest
encoding its Accept-Encoding allows, `Vary: Accept-Encoding` and a per-encoding ETag; a
reverse proxy can serve the same files (nginx `gzip_static`/`brotli_static`).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from flask import Flask, Response, abort, request, session

log = logging.getLogger("wizyta.assets")

HASH_LENGTH = 10
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE_SUFFIXES = {".css", ".js", ".svg", ".json", ".txt", ".map", ".html", ".xml"}
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{10})(?P<ext>\.[A-Za-z0-9]+)$")
MIMETYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
}


@dataclass
class Asset:
    """One static file: its content, its hash and its compressed forms."""

    name: str
    digest: str
    mimetype: str
    bodies: dict[str, bytes] = field(default_factory=dict)  # encoding ("" = identity) → bytes

    @property
    def hashed_name(self) -> str:
        stem, dot, ext = self.name.rpartition(".")
        if not dot or "/" in ext:
            return f"{self.name}.{self.digest}"
        return f"{stem}.{self.digest}.{ext}"


def _variant(path: Path, suffix: str, data: bytes, compress) -> bytes:
    """The compressed file beside `path`, made (or remade when stale) if need be."""
    target = path.with_name(path.name + suffix)
    try:
        if target.exists() and target.stat().st_mtime >= path.stat().st_mtime:
            return target.read_bytes()
    except OSError:
        pass
    body = compress(data)
    try:
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(body)
        tmp.replace(target)  # atomic: workers starting together never read half a file
    except OSError as error:
        log.info("static %s kept in memory (%s)", target.name, error)
    return body


def build_manifest(folder: Path) -> dict[str, Asset]:
    """Every static file (not the .br/.gz made here), hashed and compressed."""
    assets: dict[str, Asset] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix in (".br", ".gz", ".tmp"):
            continue
        data = path.read_bytes()
        name = path.relative_to(folder).as_posix()
        digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
        mimetype = MIMETYPES.get(path.suffix, "application/octet-stream")
        asset = Asset(name, digest, mimetype, {"": data})
        if path.suffix in COMPRESSIBLE_SUFFIXES and len(data) > 256:
            asset.bodies["br"] = _variant(
                path, ".br", data, lambda d: brotli.compress(d, quality=11)
            )
            asset.bodies["gzip"] = _variant(
                path, ".gz", data, lambda d: gzip.compress(d, compresslevel=9, mtime=0)
            )
        assets[name] = asset
    return assets


def accepted_encodings(header: str | None) -> set[str]:
    """The content codings the client accepts (q=0 means refused)."""
    accepted: set[str] = set()
    for part in (header or "").split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        q = params.strip()
        if q.startswith("q="):
            try:
                if float(q[2:]) <= 0:
                    continue
            except ValueError:
                continue
        accepted.add(name)
    if "*" in accepted:
        accepted |= {"br", "gzip"}
    return accepted


def best_encoding(available: dict[str, bytes] | tuple[str, ...], header: str | None) -> str:
    """ "br" when accepted, else "gzip", else "" (identity)."""
    accepted = accepted_encodings(header)
    for encoding in ("br", "gzip"):
        if encoding in accepted and encoding in available:
            return encoding
    return ""


def install(app: Flask) -> None:
    """Hashed static URLs and the static view that serves them."""
    folder = Path(app.static_folder or "static")
    manifest = build_manifest(folder)
    app.extensions["wizyta_assets"] = manifest

    @app.url_defaults
    def _hashed_static_url(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            asset = manifest.get(values["filename"])
            if asset is not None:
                values["filename"] = asset.hashed_name

    def static(filename: str) -> Response:
        asset = manifest.get(filename)
        cache = REVALIDATE
        if asset is None:
            match = _HASHED.match(filename)
            if match is None:
                abort(404)
            asset = manifest.get(match["stem"] + match["ext"])
            if asset is None:
                abort(404)
            # an old hash (a page cached from before a deploy) gets today's file, revalidated
            if asset.digest == match["hash"]:
                cache = IMMUTABLE
        encoding = best_encoding(asset.bodies, request.headers.get("Accept-Encoding"))
        response = Response(asset.bodies[encoding], content_type=asset.mimetype)
        response.headers["Cache-Control"] = cache
        if len(asset.bodies) > 1:
            response.vary.add("Accept-Encoding")
        if encoding:
            response.headers["Content-Encoding"] = encoding
        response.set_etag(f"{asset.digest}-{encoding or 'id'}")
        return response.make_conditional(request)

    app.view_functions["static"] = static

    @app.after_request
    def _no_cookie_vary_on_assets(response: Response) -> Response:
        # Flask-Login's after-request looks into the session, which would add `Vary:
        # Cookie`; an asset is the same for everyone, and a cookie that changes at log-in
        # must not make the browser fetch every asset again.
        if request.endpoint == "static" and not session.modified:
            session.accessed = False
        return response
