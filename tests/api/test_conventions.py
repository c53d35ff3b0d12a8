"""What every endpoint shares: the base class, the error shape and the body limits."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from config.api.views import HubAPIView

# Plain Django views under /api/ on purpose: authenticated by an envelope's signature.
NOT_DRF = {"api/v1/exchange/envelopes"}


def api_views(resolver=None, prefix=""):
    resolver = resolver or get_resolver("config.urls")
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from api_views(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/v1/"):
            yield route, getattr(entry.callback, "view_class", None)


def test_every_api_endpoint_derives_from_the_hub_base_view():
    found = dict(api_views())

    assert "api/v1/agencies" in found
    for route, view_class in found.items():
        if route in NOT_DRF:
            continue
        assert view_class is not None and issubclass(view_class, HubAPIView), route


def test_an_unknown_api_path_answers_json(etda_system, db):
    response = etda_system.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.json()["code"] == "api.not_found"


def test_a_wrong_method_is_405_with_a_code(etda_system):
    response = etda_system.delete("/api/v1/time")

    assert response.status_code == 405
    assert response.json()["code"] == "api.method_not_allowed"


def test_errors_speak_the_callers_language_but_keep_their_code(etda_system):
    thai = etda_system.get("/api/v1/agencies/nobody")
    english = etda_system.get("/api/v1/agencies/nobody", HTTP_ACCEPT_LANGUAGE="en")

    assert thai.json()["code"] == english.json()["code"] == "api.not_found"
    assert thai.json()["message"] == "ไม่พบข้อมูลที่ต้องการ"
    assert english.json()["message"] == "Not found."


@pytest.mark.urls("tests.api.urls_for_tests")
class TestBodies:
    def test_json_past_the_cap_is_413(self, etda_system, settings):
        settings.HUB_API_MAX_JSON_BYTES = 100

        response = etda_system.post("/api/test/drafts", {"subject": "ก" * 200}, format="json")

        assert response.status_code == 413
        assert response.json() == {
            "code": "api.request_too_large",
            "message": response.json()["message"],
            "details": {"max_bytes": 100},
        }

    def test_malformed_json_is_400_with_the_reason(self, etda_system):
        response = etda_system.post(
            "/api/test/drafts", b"{not json", content_type="application/json"
        )

        assert response.status_code == 400
        assert response.json()["code"] == "api.malformed_request"
        assert response.json()["details"]["reason"]

    def test_invalid_fields_are_named(self, etda_system):
        response = etda_system.post("/api/test/drafts", {"subject": ""}, format="json")

        assert response.status_code == 400
        assert response.json()["code"] == "api.validation"
        assert "subject" in response.json()["details"]["fields"]

    def test_other_body_types_are_415(self, etda_system):
        response = etda_system.post("/api/test/drafts", b"subject", content_type="text/plain")

        assert response.status_code == 415
        assert response.json()["code"] == "api.unsupported_media_type"

    def test_a_file_past_the_attachment_cap_is_413(self, etda_system, settings):
        settings.HUB_MAX_ATTACHMENT_BYTES = 1000

        small = etda_system.post(
            "/api/test/upload",
            {"file": SimpleUploadedFile("a.pdf", b"%" * 1000)},
            format="multipart",
        )
        large = etda_system.post(
            "/api/test/upload",
            {"file": SimpleUploadedFile("b.pdf", b"%" * 1001)},
            format="multipart",
        )

        assert small.status_code == 201
        assert small.json()["files"] == {"file": 1000}
        assert large.status_code == 413
        assert large.json()["details"] == {"max_file_bytes": 1000, "field": "file"}

    def test_too_many_files_is_413(self, etda_system, settings):
        settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2

        response = etda_system.post(
            "/api/test/upload",
            {f"f{i}": SimpleUploadedFile(f"{i}.txt", b"x") for i in range(3)},
            format="multipart",
        )

        assert response.status_code == 413
        assert response.json()["code"] == "api.request_too_large"
