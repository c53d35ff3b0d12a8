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


def test_a_page_size_above_the_cap_is_refused_not_silently_changed(etda_system, etda):
    """The schema says 1 to 200; a client asking for more learns it instead of getting less."""
    for index in range(3):
        make_agency(f"unit-{index}", name_th=f"กรม {index}")

    assert len(etda_system.get("/api/v1/agencies?page_size=200").json()["results"]) >= 3
    for wrong in ("201", "0", "-1", "๓", "abc", ""):
        answer = etda_system.get(f"/api/v1/agencies?page_size={wrong}")
        assert answer.status_code == 400, wrong
        assert answer.json()["code"] == "api.validation"
        assert "page_size" in answer.json()["details"]["fields"]


def test_a_forged_cursor_is_a_stable_404(etda_system, etda):
    response = etda_system.get("/api/v1/agencies?cursor=bz1hYmM=")

    assert response.status_code == 404
    assert response.json()["code"] == "api.not_found"
