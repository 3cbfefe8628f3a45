from http import HTTPStatus

from django.http import JsonResponse

API_PREFIX = "/api/"
# DRF's codes for the same statuses, so a client sees one code whichever layer answered.
CODES = {
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
}
DETAILS = {404: "Not found.", 500: "Internal server error."}
DROPPED_HEADERS = {"content-type", "content-length"}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_code(status: int) -> str:
    return CODES.get(status) or _phrase(status).lower().replace(" ", "_").replace("-", "_")


def _is_json(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip() == "application/json"


class ApiErrorMiddleware:
    """Every error answer under /api/ is JSON in the API's error shape `{code, detail, fields}`, whatever
    produced it: a URL no route matches (Django's 404, the debug page when DEBUG is on), an exception outside a
    view's own handling (rendering, a middleware: Django's 500 page, or the debug traceback page), a 400 for a bad
    Host header, a CSRF page. Answers already JSON are left alone, and so is DRF's browsable API, which only a
    client asking for text/html gets, and only with DEBUG on. Status and headers (Allow, Retry-After,
    WWW-Authenticate, the rate-limit headers) are kept. Outermost but for the metrics, so it sees every layer's
    answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith(API_PREFIX)
            or _is_json(response)
            or getattr(response, "accepted_media_type", "") == "text/html"  # the browsable API, asked for
        ):
            return response
        status = response.status_code
        detail = DETAILS.get(status) or f"{_phrase(status)}."
        replacement = JsonResponse({"code": error_code(status), "detail": detail, "fields": {}}, status=status)
        for name, value in response.items():
            if name.lower() not in DROPPED_HEADERS:
                replacement[name] = value
        replacement.cookies = response.cookies
        return replacement
