"""Directory, API keys and "who am I" endpoints (docs/api.md)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from agencies.models import Agency, AgencyRole, ApiKey
from agencies.selectors import (
    agency_in_directory,
    agency_search,
    api_keys_of_agency,
    user_has_agency_role,
)
from agencies.services import apikey_revoke
from config.api.permissions import ActsForAgency
from config.api.views import HubAPIView, HubListAPIView, HubRetrieveAPIView
from config.errors import ApiForbidden, ApiNotFound

from .serializers import (
    AgencyDetailSerializer,
    AgencySummarySerializer,
    ApiKeyRevokeSerializer,
    ApiKeySerializer,
    CallerSerializer,
)


@extend_schema(
    tags=["directory"],
    summary="Search the agency directory",
    parameters=[
        OpenApiParameter(
            "q",
            str,
            description="Part of the Thai or English name or abbreviation (no word breaks "
            "needed: `ดิจิทัล`), or an exact code: letter code (`ดศ`), sub-agency code, e-CMS "
            "ministry or department code, directory key.",
        )
    ],
)
class AgencyListView(HubListAPIView[Agency]):
    """The directory is shared: every caller sees every active agency."""

    serializer_class = AgencySummarySerializer
    cursor_ordering = ("name_th", "id")

    def get_queryset(self) -> QuerySet[Agency]:
        return agency_search(query=self.request.query_params.get("q", "")).select_related("parent")


@extend_schema(tags=["directory"], summary="One agency with its certificates and capabilities")
class AgencyDetailView(HubRetrieveAPIView[Agency]):
    serializer_class = AgencyDetailSerializer

    def get_object(self) -> Agency:
        agency = agency_in_directory(key=self.kwargs["key"])
        if agency is None:
            raise ApiNotFound(details={"agency": self.kwargs["key"]})
        return agency


@extend_schema(tags=["keys"], summary="The caller's agency's API keys (never their secrets)")
class ApiKeyListView(HubListAPIView[ApiKey]):
    serializer_class = ApiKeySerializer
    permission_classes = [ActsForAgency]

    def get_queryset(self) -> QuerySet[ApiKey]:
        agency = self.caller.agency
        assert agency is not None  # ActsForAgency let the request in
        return api_keys_of_agency(agency=agency)


def _key_of_caller_agency(view: HubAPIView | HubRetrieveAPIView[ApiKey], prefix: str) -> ApiKey:
    agency = view.caller.agency
    assert agency is not None  # ActsForAgency let the request in
    api_key = api_keys_of_agency(agency=agency).filter(prefix=prefix).first()
    if api_key is None:
        # Another agency's key is "not found", exactly like a key that does not exist.
        raise ApiNotFound(details={"api_key": prefix})
    return api_key


@extend_schema(tags=["keys"], summary="One API key of the caller's agency")
class ApiKeyDetailView(HubRetrieveAPIView[ApiKey]):
    serializer_class = ApiKeySerializer
    permission_classes = [ActsForAgency]

    def get_object(self) -> ApiKey:
        return _key_of_caller_agency(self, self.kwargs["prefix"])


@extend_schema(
    tags=["keys"],
    summary="Revoke an API key of the caller's agency",
    description="Takes effect at once: the key's next request gets 401 `auth.revoked_key`. "
    "Any key of the agency may revoke any other (a leaked key is stopped without waiting for "
    "an administrator); a session user must be the agency's administrator. Revoking a "
    "revoked key changes nothing.",
    request=ApiKeyRevokeSerializer,
    responses={200: ApiKeySerializer},
)
class ApiKeyRevokeView(HubAPIView):
    permission_classes = [ActsForAgency]

    def post(self, request: Request, prefix: str) -> Response:
        api_key = _key_of_caller_agency(self, prefix)
        actor = self.caller.actor
        if isinstance(actor, User) and not user_has_agency_role(
            user=actor, agency=api_key.agency, roles={AgencyRole.AGENCY_ADMIN}
        ):
            raise ApiForbidden()
        form = ApiKeyRevokeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        revoked = apikey_revoke(
            api_key=api_key, actor=actor, reason=form.validated_data.get("reason", "")
        )
        return Response(ApiKeySerializer(revoked).data)


@extend_schema(tags=["caller"], summary="Who the caller is and which agency it acts for")
class CallerView(HubAPIView):
    @extend_schema(responses={200: CallerSerializer})
    def get(self, request: Request) -> Response:
        caller = self.caller
        data: dict[str, Any] = {
            "agency": caller.agency,
            "api_key": caller.api_key,
            "username": request.user.get_username() if isinstance(request.user, User) else None,
        }
        return Response(CallerSerializer(data).data)
