"""Page weight of the search (DESIGN §6): whole page with assets < 50 KB gzip, a partial < 10 KB."""

from __future__ import annotations

import gzip
import re
from datetime import timedelta

import pytest

from models.base import utcnow
from tests import factories as f

KB = 1024


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


@pytest.fixture
def busy_clinic(ctx):
    """50 staff across 8 specialties; far more free slots than one page holds."""
    facilities = [f.facility(name=f"Przychodnia Rejonowa nr {i}") for i in range(3)]
    specialties = [f.specialty(name=f"Poradnia specjalistyczna {i}") for i in range(8)]
    services = [f.service(s, name=f"Konsultacja w poradni {s.name}") for s in specialties]
    start = (utcnow() + timedelta(days=1)).replace(hour=7, minute=0, second=0, microsecond=0)
    for i in range(50):
        fac, spec, svc = facilities[i % 3], specialties[i % 8], services[i % 8]
        doc = f.staff(
            spec, fac, first_name="Katarzyna", last_name=f"Wiśniewska-Nowak {i}", title="dr n. med."
        )
        sched = f.schedule(doc, fac, services=[svc])
        if i < 6:
            for n in range(8):
                f.slot(doc, fac, start + timedelta(minutes=15 * n), specialty=spec, schedule=sched)


def test_htmx_partial_with_a_full_page_of_results_is_under_10_kb(client, busy_clinic):
    response = client.get("/slots", headers={"HX-Request": "true"})
    body = response.get_data()
    assert response.status_code == 200
    assert len(re.findall(rb"/reserve(?:\?|%3F)", body)) == 30  # a full page
    assert gz(body) < 10 * KB, f"{gz(body)} bytes gzip, {len(body)} raw"


def test_more_partial_is_under_10_kb(client, busy_clinic):
    page = client.get("/slots").get_data(as_text=True)
    more = re.search(r'<a href="([^"]+)" hx-get=', page).group(1).replace("&amp;", "&")
    body = client.get(more, headers={"HX-Request": "true"}).get_data()
    assert gz(body) < 10 * KB


def test_search_page_with_all_its_assets_is_under_50_kb_gzip(client, busy_clinic):
    response = client.get("/slots")
    html = response.get_data()
    total = gz(html)
    assets = re.findall(rb'(?:src|href)="(/static/[^"]+)"', html)
    assert any(a.endswith(b".css") for a in assets) and any(a.endswith(b".js") for a in assets)
    for path in assets:
        asset = client.get(path.decode())
        assert asset.status_code == 200, path
        total += gz(asset.get_data())
    assert total < 50 * KB, f"{total} bytes gzip"
