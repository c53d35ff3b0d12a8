"""The outgoing operations in the OpenAPI schema: their links lead somewhere real, and the
request bodies offer what the views take (Schemathesis relies on both)."""

from __future__ import annotations

import io
import json
import re

import pytest
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
            if method != "parameters":
                yield path, method, operation


def test_every_link_names_an_operation_and_its_path_parameters(schema):
    by_id = {op["operationId"]: path for path, _method, op in operations(schema)}
    links = [
        (path, status, name, link)
        for path, _method, op in operations(schema)
        for status, response in op["responses"].items()
        for name, link in response.get("links", {}).items()
    ]

    assert len(links) >= 10
    for path, status, name, link in links:
        target = by_id.get(link["operationId"])
        assert target is not None, (path, status, name)
        assert set(link["parameters"]) == set(re.findall(r"{(\w+)}", target)), (path, name)
        for expression in link["parameters"].values():
            # From this answer's body, or from the request's own path (OpenAPI runtime
            # expressions that Schemathesis resolves).
            assert expression.startswith(("$response.body#/", "$request.path.")), (path, name)


def test_a_new_draft_links_to_reading_numbering_and_sending_it(schema):
    created = schema["paths"]["/api/v1/letters"]["post"]["responses"]["201"]

    assert {
        "GetLetter",
        "UpdateLetter",
        "AddAttachment",
        "AllocateNumber",
        "SendLetter",
        "ListDeliveries",
    } <= set(created["links"])
    assert created["links"]["SendLetter"] == {
        "operationId": "letter_send",
        "parameters": {"letter_id": "$response.body#/id"},
        "description": "Send the letter.",
    }


def test_a_draft_is_created_from_json_or_multipart(schema):
    content = schema["paths"]["/api/v1/letters"]["post"]["requestBody"]["content"]

    assert set(content) == {"application/json", "multipart/form-data"}
    multipart = schema["components"]["schemas"]["LetterCreateMultipartRequest"]
    assert multipart["properties"]["main"]["format"] == "binary"
    assert multipart["properties"]["enclosure"]["items"]["format"] == "binary"
    assert multipart["required"] == ["metadata"]


def test_an_envelope_is_submitted_as_multipart_or_xml(schema):
    operation = schema["paths"]["/api/v1/envelopes"]["post"]

    assert set(operation["requestBody"]["content"]) == {
        "multipart/form-data",
        "application/xml",
    }
    assert "202" in operation["responses"]


def test_statuses_of_letters_and_deliveries_are_named_enums(schema):
    components = schema["components"]["schemas"]

    assert "draft" in components["LetterStatusEnum"]["enum"]
    assert "registered" in components["DeliveryStatusEnum"]["enum"]
    assert "letter" not in components["AcknowledgementTypeEnum"]["enum"]
