"""Cursor pagination: follow ``next`` through the whole directory, nothing twice or missed."""

from __future__ import annotations

from agencies.models import Agency
from tests.conftest import make_agency


def test_following_next_visits_every_agency_once_in_name_order(etda_system, etda, soc):
    for index in range(7):
        make_agency(f"unit-{index}", name_th=f"กรมทดสอบ {index}")

    names, url, pages = [], "/api/v1/agencies?page_size=3", 0
    while url:
        page = etda_system.get(url).json()
        assert set(page) == {"next", "previous", "results"}
        names += [agency["name_th"] for agency in page["results"]]
        url, pages = page["next"], pages + 1

    assert pages == 3
    assert len(names) == len(set(names)) == 9
    # In Thai name order as the database collates it.
    assert names == list(Agency.objects.order_by("name_th", "id").values_list("name_th", flat=True))


def test_page_size_is_capped(etda_system, etda, settings):
    from config.api.pagination import HubCursorPagination

    for index in range(5):
        make_agency(f"unit-{index}", name_th=f"กรม {index}")
    HubCursorPagination.max_page_size, original = 4, HubCursorPagination.max_page_size
    try:
        page = etda_system.get("/api/v1/agencies?page_size=1000").json()
    finally:
        HubCursorPagination.max_page_size = original

    assert len(page["results"]) == 4


def test_a_forged_cursor_is_a_stable_404(etda_system, etda):
    response = etda_system.get("/api/v1/agencies?cursor=bz1hYmM=")

    assert response.status_code == 404
    assert response.json()["code"] == "api.not_found"
