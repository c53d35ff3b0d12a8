"""The OpenAPI schema: valid, warning-free, and documenting the conventions everywhere."""

from __future__ import annotations

import io
import json
import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    out = io.StringIO()
    with django_db_blocker.unblock():
        call_command("spectacular", "--format", "openapi-json", stdout=out)
    return json.loads(out.getvalue())


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_schema_validates_without_warnings(tmp_path, db):
    target = tmp_path / "schema.yaml"

    # --fail-on-warn turns any warning or error of drf-spectacular into a failure.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    document = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Saraban Exchange Hub API"


def test_every_operation_documents_its_errors_with_the_error_component(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message", "details"}
    for path, method, operation in operations(schema):
        errors = {code: body for code, body in operation["responses"].items() if code >= "400"}
        assert {"401", "429"} <= set(errors), (method, path)
        for code, body in errors.items():
            ref = body["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/Error", (method, path, code)
        assert "Retry-After" in errors["429"]["headers"]


def test_every_post_takes_an_idempotency_key(schema):
    posts = [(path, op) for path, method, op in operations(schema) if method == "post"]

    assert posts
    for path, operation in posts:
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        assert "Idempotency-Key" in names, path
        assert "409" in operation["responses"], path


def test_keys_are_the_documented_security_scheme(schema):
    schemes = schema["components"]["securitySchemes"]

    assert schemes["bearerApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerApiKey"]["description"],
    }
    assert schemes["headerApiKey"]["name"] == "X-Api-Key"
    for path, _method, operation in operations(schema):
        assert {"bearerApiKey": []} in operation["security"], path


def test_the_schema_is_served_without_a_key(anonymous, db):
    response = anonymous.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert "/api/v1/agencies" in response.json()["paths"]


def test_the_docs_page_uses_only_files_served_by_the_hub(anonymous, db):
    response = anonymous.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert references, html[:500]
    for reference in references:
        assert not re.match(r"^(?:[a-z]+:)?//", reference), reference
    assets = [ref for ref in references if ref.startswith("/static/")]
    assert any("swagger-ui-bundle" in asset for asset in assets)
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
    assert "cdn" not in html.lower()
