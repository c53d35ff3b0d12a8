"""The real URL map plus endpoints that exist only in tests, to exercise the conventions on
something that creates objects (the real POST endpoints come with the letters work).

``drafts`` calls the real ``letter_create_draft`` with no client token: without the
Idempotency-Key convention, two identical posts would create two drafts.
"""

from __future__ import annotations

import threading
from typing import Any

from django.urls import include, path
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.permissions import ActsForAgency
from config.api.views import HubAPIView
from letters.services.letters import LetterFields, letter_create_draft

# Tests set this to hold a request inside the view (to race a duplicate against it).
hold_drafts = threading.Event()
release_drafts = threading.Event()


class DraftInput(serializers.Serializer[Any]):
    subject = serializers.CharField(max_length=200)


class DraftView(HubAPIView):
    permission_classes = [ActsForAgency]

    def post(self, request: Request) -> Response:
        form = DraftInput(data=request.data)
        form.is_valid(raise_exception=True)
        if hold_drafts.is_set():
            release_drafts.wait(timeout=30)
        agency = self.caller.agency
        assert agency is not None
        letter = letter_create_draft(
            agency=agency,
            actor=self.caller.actor,
            values=LetterFields(subject=form.validated_data["subject"]),
        )
        return Response(
            {"id": letter.pk, "subject": letter.subject},
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/v1/letters/{letter.pk}"},
        )


class BrokenView(HubAPIView):
    calls = 0

    def post(self, request: Request) -> Response:
        BrokenView.calls += 1
        if BrokenView.calls == 1:
            raise RuntimeError("the first attempt dies")
        return Response({"attempt": BrokenView.calls}, status=status.HTTP_201_CREATED)


class UploadView(HubAPIView):
    def post(self, request: Request) -> Response:
        files = {name: upload.size for name, upload in request.FILES.items()}
        return Response({"files": files, "note": request.POST.get("note", "")}, status=201)


urlpatterns = [
    path("api/test/drafts", DraftView.as_view()),
    path("api/test/broken", BrokenView.as_view()),
    path("api/test/upload", UploadView.as_view()),
    path("", include("config.urls")),
]

handler404 = "config.api.handlers.not_found"
handler500 = "config.api.handlers.server_error"
