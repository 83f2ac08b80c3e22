"""Bytes on the wire of the demo clinic's pages, as a browser that accepts brotli gets them.

Usage: .venv/bin/python bench/page_weight.py [--encoding "br, gzip"]

Counts each response's status line, headers and (compressed) body, the way a browser
fetches them: the first load of /slots with every asset it references; a second page (the
assets are cached as immutable, so it costs one request); the htmx partial of a new search
and of "more results". Targets (issue 14): first load ≤ 30 KB, partial ≤ 5 KB.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("WIZYTA_ENV", "development")
os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 32)

_ASSET = re.compile(r'<(?:link|script)[^>]+(?:src|href)="(/static/[^"]+)"')
_MORE = re.compile(r'<a href="([^"]+)" hx-get=')


def wire_bytes(response) -> int:
    head = f"HTTP/1.1 {response.status}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in response.headers.items()
    )
    return len(head.encode()) + 2 + len(response.get_data())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--encoding", default="br, gzip, deflate")
    args = parser.parse_args()

    from app import create_app
    from core.demo import seed_demo
    from models import ALL_MODELS
    from models.base import db

    url = f"sqlite:///{tempfile.mkdtemp()}/weight.sqlite3"
    app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False, "MAIL_SERVER": ""})
    with app.app_context():
        db.connect(reuse_if_open=True)
        db.create_tables(ALL_MODELS)
        seed_demo()
        db.close()
    client = app.test_client()
    headers = {"Accept-Encoding": args.encoding}
    cached: set[str] = set()

    def load(path: str, label: str, **extra) -> str:
        response = client.get(path, headers={**headers, **extra})
        total, requests = wire_bytes(response), 1
        html = response.get_data()
        encoding = response.headers.get("Content-Encoding", "identity")
        if encoding == "br":
            import brotli

            html = brotli.decompress(html)
        elif encoding == "gzip":
            import gzip

            html = gzip.decompress(html)
        text = html.decode()
        print(f"  {path[:60]:<60} {wire_bytes(response):>7} B  {encoding}")
        for asset in _ASSET.findall(text):
            if asset in cached:
                continue  # immutable: the browser does not ask again
            got = client.get(asset, headers=headers)
            cached.add(asset)
            total += wire_bytes(got)
            requests += 1
            print(
                f"  {asset[:60]:<60} {wire_bytes(got):>7} B  "
                f"{got.headers.get('Content-Encoding', 'identity')}, "
                f"{got.headers.get('Cache-Control')}"
            )
        print(f"{label}: {total / 1024:.1f} KB in {requests} request(s)\n")
        return text

    print(f"Accept-Encoding: {args.encoding}\n")
    page = load("/slots", "first load of /slots with all assets (target ≤ 30 KB)")
    load("/help", "second page, /help (target: one request)")
    load("/", "third page, home")
    load(
        "/slots?visit_type=nfz",
        "htmx partial: a new search (target ≤ 5 KB)",
        **{"HX-Request": "true"},
    )
    more = _MORE.search(page)
    if more:
        load(
            more.group(1).replace("&amp;", "&"),
            "htmx partial: more results (target ≤ 5 KB)",
            **{"HX-Request": "true"},
        )


if __name__ == "__main__":
    main()
