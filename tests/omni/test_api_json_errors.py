"""Every answer under /api/ is JSON in the error shape {code, detail, fields}, with DEBUG on as with it off: URLs
no route matches (a malformed id), 405, 406, 415, and a 500 raised where the view's own handling cannot catch
it. And every 4xx an operation can give is declared in its schema (omni.api.schema.AutoSchema)."""

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from omni.api.renderers import OrjsonRenderer
from tests.conftest import ApiClient
from tests.omni.api_contract import assert_error

ACCOUNTS = "/api/v1/crm/accounts/"


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/crm/resellers/0.5/",
        "/api/v1/crm/accounts/0.5/restore/",
        "/api/v1/crm/contacts/0.5/merge/",
        "/api/v1/workforce/vendors/1.5/",
        "/api/v1/notifications/nothing/",
        "/api/nothing",
        "/api/",
    ],
)
def test_urls_no_route_matches_are_json_404(api_as, admin_user, debug, path):
    response = api_as(admin_user).get(path)
    assert_error(response, 404, code="not_found")
    assert "X-RateLimit-Limit" in response  # the rate limiter's headers survive the rewrite


def test_malformed_ids_that_reach_a_view_are_json_404(api_as, admin_user, debug):
    client = api_as(admin_user)
    for path in ("/api/v1/crm/accounts/x/", "/api/v1/notifications/deliveries/null,null/"):
        assert_error(client.get(path), 404, code="not_found")
    assert_error(client.post("/api/v1/crm/accounts/x/restore/"), 404, code="not_found")


def test_wrong_method_accept_and_content_type_are_json(api_as, admin_user, debug):
    client = api_as(admin_user)
    response = client.put(ACCOUNTS, {})
    assert_error(response, 405, code="method_not_allowed")
    assert response["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert_error(client.get(ACCOUNTS, HTTP_ACCEPT="application/xml"), 406, code="not_acceptable")
    response = client.generic("POST", ACCOUNTS, "<account/>", content_type="application/xml")
    assert_error(response, 415, code="unsupported_media_type")


def test_a_500_outside_the_views_handling_is_json(api_as, admin_user, debug, monkeypatch):
    """Rendering runs after the view returned, past DRF's exception handler: Django answers it, with its 500
    page (DEBUG off) or the debug traceback page (DEBUG on); the API answers the error shape instead."""

    def broken(self, data, accepted_media_type=None, renderer_context=None):
        raise RuntimeError("renderer broke")

    token_client = api_as(admin_user)
    client = ApiClient(raise_request_exception=False)
    client.defaults.update(token_client.defaults)
    monkeypatch.setattr(OrjsonRenderer, "render", broken)
    body = assert_error(client.get(ACCOUNTS), 500, code="server_error")
    assert body["detail"] == "Internal server error."
    assert "renderer broke" not in str(body)


def test_the_browsable_api_still_answers_html_when_asked_with_debug_on(api_as, admin_user, settings):
    settings.DEBUG = True
    response = api_as(admin_user).get(f"{ACCOUNTS}00000000-0000-0000-0000-000000000000/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_pages_outside_the_api_keep_html_errors(db, debug):
    response = Client(HTTP_HOST="localhost").get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# ---- the schema declares every 4xx -------------------------------------------------------------------------


def _operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def test_every_operation_declares_the_errors_it_can_give():
    for method, path, operation in _operations():
        codes = {int(code) for code in operation["responses"] if int(code) >= 400}
        expected = {401, 403, 406, 429}  # authentication, roles/audiences/scopes, content negotiation, rate limit
        parameters = operation.get("parameters", [])
        if any(parameter["in"] == "path" for parameter in parameters):
            expected.add(404)
        if "requestBody" in operation:
            expected |= {400, 415}
        if any(parameter["in"] == "query" for parameter in parameters):
            expected.add(400)
        assert expected <= codes, (method, path, sorted(codes))
        for code in codes:
            response = operation["responses"][str(code)]
            assert response["description"], (method, path, code)
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}


def test_the_operations_the_fuzzer_caught_document_their_answers():
    operations = {(method, path): operation for method, path, operation in _operations()}
    assert "400" in operations[("GET", "/api/v1/notifications/deliveries/")]["responses"]  # a bad filter
    assert "404" in operations[("GET", "/api/v1/notifications/deliveries/{id}/")]["responses"]
    stats = operations[("GET", "/api/v1/notifications/deliveries/stats/")]
    assert stats["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/DeliveryStatisticsOut"},
    }  # a plain list, as the view answers: not a page
    assert {p["name"] for p in stats["parameters"]}.isdisjoint({"limit", "offset", "ordering"})
    for action in ("transition", "merge"):
        path = f"/api/v1/crm/{'accounts' if action == 'transition' else 'contacts'}/{{id}}/{action}/"
        assert "409" in operations[("POST", path)]["responses"]
