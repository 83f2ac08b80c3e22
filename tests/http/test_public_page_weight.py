"""DESIGN §6 low bandwidth: a first load of the home page and the slot search, with every asset
it references, transfers under 50 KB gzip-compressed."""

import gzip
from datetime import time, timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from models.base import utcnow
from tests import factories

BUDGET_BYTES = 50_000
ASSET_RELS = {"stylesheet", "icon", "preload", "modulepreload", "manifest", "apple-touch-icon"}


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        url = None
        if tag == "link" and ASSET_RELS & set((a.get("rel") or "").lower().split()):
            url = a.get("href")
        elif tag in ("script", "img", "source") and a.get("src"):
            url = a["src"]
        if url and url not in self.urls:
            self.urls.append(url)


def _gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


@pytest.fixture
def realistic_clinic(ctx):
    """Three sites, six clinics, staff with schedules and a page's worth of free slots."""
    facilities = [factories.facility(name=f"Przychodnia nr {n}") for n in range(1, 4)]
    specialties = [
        factories.specialty(name=name)
        for name in ("Internista", "Pediatra", "Kardiolog", "Dermatolog", "Okulista", "Laryngolog")
    ]
    start = (utcnow() + timedelta(days=1)).replace(hour=7, minute=0, second=0, microsecond=0)
    for n, spec in enumerate(specialties):
        fac = facilities[n % 3]
        svc = factories.service(spec, name=f"Porada — {spec.name}")
        member = factories.staff(spec=spec, fac=fac, last_name=f"Kowalska-{n}")
        sched = factories.schedule(
            member, fac, services=[svc], start_time=time(8), end_time=time(12)
        )
        for k in range(10):
            factories.slot(
                member,
                fac,
                starts_at=start + timedelta(days=n, minutes=15 * k),
                schedule=sched,
                specialty=spec,
            )
    return facilities, specialties


@pytest.mark.parametrize("path", ["/", "/slots"])
def test_first_load_with_all_assets_is_under_50_kb_gzipped(client, realistic_clinic, path):
    response = client.get(path)
    if path == "/slots" and response.status_code == 404:
        pytest.skip("slot search not built yet")
    assert response.status_code == 200
    html = response.get_data()
    parser = _Assets()
    parser.feed(html.decode("utf-8"))
    rows = [(path, len(html), _gzipped(html))]
    for url in parser.urls:
        parts = urlsplit(url)
        assert not parts.netloc, f"{url} is loaded from another host"
        asset = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
        assert asset.status_code == 200, f"{url} answered {asset.status_code}"
        body = asset.get_data()
        rows.append((url, len(body), _gzipped(body)))
    total = sum(r[2] for r in rows)
    print(f"\nFirst load of {path} (gzip level 6):")
    for url, raw, packed in rows:
        print(f"  {url:45} {raw:8,} B raw {packed:8,} B gzip")
    print(f"  {'TOTAL':45} {sum(r[1] for r in rows):8,} B raw {total:8,} B gzip")
    assert any(u.endswith(".css") for u in parser.urls), "the stylesheet was found and counted"
    assert total < BUDGET_BYTES, f"{path} first load is {total} B gzipped, budget {BUDGET_BYTES} B"
