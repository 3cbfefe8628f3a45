"""The error answers of every API operation, declared by one rule (settings.REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS),
so a new app's operations document theirs without repeating them. A view declares only what its own rules add
(409 for a conflict, 400 for a domain error of an action that takes no body)."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny

from .errors import ErrorOut

ERROR_DESCRIPTIONS = {
    400: "Bad input: `fields` names each bad field (of the body or the query) with its reasons.",
    401: "Not signed in: the token is missing, malformed, unknown, expired or revoked (`WWW-Authenticate`).",
    403: "Signed in but not allowed: your role lacks the permission, your audience may not use this resource or "
    "not write, your staff access is switched off, or the token has the read scope only.",
    404: "Not found: no such object within what you may see, or a malformed id.",
    406: "The Accept header asks for a format the API does not give (it answers application/json).",
    409: "The change breaks a rule: an invalid status transition, or a row changed by someone else first.",
    415: "The body is not application/json.",
    429: "Over the rate limit: retry after `Retry-After` seconds.",
}


def error_responses(*codes: int) -> dict:
    """{code: ErrorOut with the standard description}, for `@extend_schema(responses={..., **error_responses(409)})`."""
    return {code: OpenApiResponse(ErrorOut, description=ERROR_DESCRIPTIONS[code]) for code in codes}


class AutoSchema(SpectacularAutoSchema):
    """Adds to each operation the 4xx answers it can give whatever its view says:
    401 (unless the view lets anonymous users in), 403 (roles, audiences, scopes), 406 (content negotiation) and
    429 (rate limit) always; 404 with a path parameter; 400 with a body or query parameters; 415 with a body."""

    def error_codes(self, operation: dict) -> set[int]:
        codes = {403, 406, 429}
        if not any(permission is AllowAny for permission in self.view.permission_classes):
            codes.add(401)
        parameters = operation.get("parameters", [])
        if any(parameter["in"] == "path" for parameter in parameters):
            codes.add(404)
        if "requestBody" in operation:
            codes |= {400, 415}
        if any(parameter["in"] == "query" for parameter in parameters):
            codes.add(400)
        return codes

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self.error_codes(operation):
            key = str(code)
            if key not in responses:
                described = OpenApiResponse(ErrorOut, description=ERROR_DESCRIPTIONS[code])
                responses[key] = self._get_response_for_code(described, key)
        for key, response in responses.items():
            if key.isdigit() and not response.get("description") and int(key) in ERROR_DESCRIPTIONS:
                response["description"] = ERROR_DESCRIPTIONS[int(key)]
        operation["responses"] = dict(sorted(responses.items()))
        return operation
