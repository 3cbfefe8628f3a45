from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from ..tokens import MalformedAuthorization, api_token_for_request, bearer_token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer omni_…`. request.auth is the ResolvedToken (its scopes decide writes)."""

    def authenticate(self, request):
        try:
            raw = bearer_token(request)  # the rate limiter reads the header the same way
        except MalformedAuthorization as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None
        if raw is None:
            return None
        resolved = api_token_for_request(request._request, raw)
        if resolved is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return resolved.user, resolved

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) to unauthenticated requests.
        return 'Bearer realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}
