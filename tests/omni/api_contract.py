"""ApiContract: the checks every API resource passes (STYLE.md section 9). Subclass it per resource.

A subclass sets `url`, `model`, `list_queries` and `ordering_fields`, and provides these fixtures:
  obj          a row inside the `customer` fixture's account (so the customer may see it)
  outside_obj  a row inside `other_customer`'s account only
  create_payload, update_payload   valid write bodies
  bad_payloads  [(field, body), ...]: each body must be a 400 that names `field`
and the method `make_rows(n)` that stores n more rows cheaply (bulk). Every request is an outside client:
a literal URL, a real Bearer token (the `api_as` fixture), JSON in and out. The role rule is checked for every
staff role (omni.choices.Role): reads need is_staff and view_<model>, writes add/change/delete.
"""

from __future__ import annotations

import pytest
from django.db import transaction

ERROR_KEYS = {"code", "detail", "fields"}


def assert_error(response, status: int, *, field: str | None = None, code: str | None = None) -> dict:
    """The one error shape: {code, detail, fields}; with `field`, fields names it with at least one reason."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["detail"], str) and body["detail"], body
    if field is not None:
        assert field in body["fields"], body
        assert body["fields"][field], body
    if code is not None:
        assert body["code"] == code, body
    return body


class ApiContract:
    url: str  # the list URL, e.g. "/api/v1/crm/accounts/"
    model: type
    list_queries: int  # ceiling for one list page, whatever the row count
    ordering_fields: list[str]

    def detail(self, obj) -> str:
        return f"{self.url}{obj.pk}/"

    def make_rows(self, n: int) -> None:
        raise NotImplementedError

    # ---- authentication ---------------------------------------------------------------------------------

    def test_anonymous_list_is_401_with_error_body(self, anon_api, obj):
        body = assert_error(anon_api.get(self.url), 401, code="not_authenticated")
        assert body["fields"] == {}
        response = anon_api.get(self.url)
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'

    def test_anonymous_detail_and_write_are_401(self, anon_api, obj, create_payload):
        assert_error(anon_api.get(self.detail(obj)), 401)
        assert_error(anon_api.post(self.url, create_payload), 401)
        assert_error(anon_api.patch(self.detail(obj), {}), 401)
        assert_error(anon_api.delete(self.detail(obj)), 401)
        assert self.model.objects.count() == 1

    def test_unknown_token_is_401(self, obj):
        from tests.conftest import ApiClient

        response = ApiClient("omni_not-a-real-token").get(self.url)
        assert_error(response, 401, code="authentication_failed")
        assert "WWW-Authenticate" in response

    # ---- reads ------------------------------------------------------------------------------------------

    def test_list_is_paginated_with_count_next_previous(self, api_as, admin_user, obj):
        self.make_rows(4)
        client = api_as(admin_user)
        first = client.get(self.url, {"limit": 2}).json()
        assert set(first) == {"count", "next", "previous", "results"}
        assert first["count"] == 5
        assert len(first["results"]) == 2
        assert first["previous"] is None
        assert "limit=2" in first["next"] and "offset=2" in first["next"]
        second = client.get(self.url, {"limit": 2, "offset": 2}).json()
        last = client.get(self.url, {"limit": 2, "offset": 4}).json()
        assert last["next"] is None and last["previous"]
        ids = [row["id"] for page in (first, second, last) for row in page["results"]]
        assert len(ids) == len(set(ids)) == 5  # no page repeats or skips a row
        beyond = client.get(self.url, {"limit": 2, "offset": 50}).json()
        assert beyond["count"] == 5 and beyond["results"] == []

    def test_unknown_ordering_is_400_naming_ordering(self, api_as, admin_user, obj):
        body = assert_error(api_as(admin_user).get(self.url, {"ordering": "password"}), 400, field="ordering")
        assert "password" in body["detail"]
        assert_error(api_as(admin_user).get(self.url, {"ordering": f"{self.ordering_fields[0]},-nope"}), 400)

    def test_every_ordering_field_sorts(self, api_as, admin_user, obj):
        self.make_rows(5)
        client = api_as(admin_user)
        for field in self.ordering_fields:
            for sign in ("", "-"):
                response = client.get(self.url, {"ordering": f"{sign}{field}", "limit": 100})
                assert response.status_code == 200, (field, response.content)
                ids = [row["id"] for row in response.json()["results"]]
                expected = list(
                    self.model.objects.filter(deleted_at__isnull=True)
                    .order_by(f"{sign}{field}", "pk")
                    .values_list("pk", flat=True)
                )
                assert ids == [str(pk) for pk in expected], field

    def test_list_rows_and_detail_are_identical(self, api_as, admin_user, customer, obj):
        """The list is built from rows (selectors.*_rows), the detail by a serializer: they must agree."""
        for user in (admin_user, customer):
            client = api_as(user)
            rows = client.get(self.url).json()["results"]
            row = next(r for r in rows if r["id"] == str(obj.pk))
            assert row == client.get(self.detail(obj)).json()

    @pytest.mark.parametrize("rows", [10, 500])
    def test_list_queries_do_not_grow(self, api_as, admin_user, rows, django_assert_max_num_queries):
        self.make_rows(rows)
        client = api_as(admin_user)
        with django_assert_max_num_queries(self.list_queries):
            response = client.get(self.url, {"limit": 1000})
        assert response.status_code == 200
        assert len(response.json()["results"]) == rows

    def test_other_accounts_row_is_404_to_a_customer(self, api_as, customer, obj, outside_obj):
        client = api_as(customer)
        assert_error(client.get(self.detail(outside_obj)), 404, code="not_found")
        ids = {row["id"] for row in client.get(self.url).json()["results"]}
        assert ids == {str(obj.pk)}

    def test_browsable_api_renders_for_every_audience(self, api_as, admin_user, customer, obj):
        """DEBUG keeps DRF's HTML renderer: its forms build serializers outside our views' own paths."""
        for user in (admin_user, customer):
            client = api_as(user)
            missing = f"{self.url}00000000-0000-0000-0000-000000000000/"
            for url, status in ((self.url, 200), (self.detail(obj), 200), (missing, 404)):
                response = client.get(url, HTTP_ACCEPT="text/html")
                assert response.status_code == status, (user, url, response.status_code)
                assert response["Content-Type"].startswith("text/html")
                assert client.options(url).status_code == 200

    def test_malformed_id_is_404(self, api_as, admin_user, obj):
        assert_error(api_as(admin_user).get(f"{self.url}not-a-uuid/"), 404)

    # ---- writes -----------------------------------------------------------------------------------------

    def test_create_persists(self, api_as, admin_user, create_payload):
        response = api_as(admin_user).post(self.url, create_payload)
        assert response.status_code == 201, response.content
        body = response.json()
        stored = self.model.objects.get(pk=body["id"])
        for name, value in create_payload.items():
            if isinstance(value, str | int | bool) and hasattr(stored, name):
                assert str(getattr(stored, name)) == str(value), name
        assert api_as(admin_user).get(self.detail(stored)).json() == body

    def test_patch_persists(self, api_as, admin_user, obj, update_payload):
        response = api_as(admin_user).patch(self.detail(obj), update_payload)
        assert response.status_code == 200, response.content
        obj.refresh_from_db()
        for name, value in update_payload.items():
            if isinstance(value, str | int | bool) and hasattr(obj, name):
                assert str(getattr(obj, name)) == str(value), name
        assert response.json() == api_as(admin_user).get(self.detail(obj)).json()

    def test_bad_input_is_400_naming_the_field(self, api_as, admin_user, obj, bad_payloads):
        client = api_as(admin_user)
        before = self.model.objects.count()
        for field, payload in bad_payloads:
            assert_error(client.post(self.url, payload), 400, field=field, code="invalid")
            assert_error(client.patch(self.detail(obj), payload), 400, field=field, code="invalid")
        assert self.model.objects.count() == before
        stored = type(obj).objects.get(pk=obj.pk)
        assert stored.updated_at == obj.updated_at  # no rejected PATCH wrote anything

    def test_non_json_body_is_400(self, api_as, admin_user, obj):
        response = api_as(admin_user).generic("POST", self.url, b"{not json", content_type="application/json")
        assert_error(response, 400, code="parse_error")

    def test_read_scope_token_cannot_write(self, api_as, admin_user, obj, create_payload):
        client = api_as(admin_user, scopes=["read"])
        assert client.get(self.url).status_code == 200
        body = assert_error(client.post(self.url, create_payload), 403, code="permission_denied")
        assert "read scope" in body["detail"]
        assert_error(client.patch(self.detail(obj), {}), 403)
        assert_error(client.delete(self.detail(obj)), 403)
        assert self.model.objects.count() == 1
        assert type(obj).objects.get(pk=obj.pk).deleted_at is None

    def test_portal_user_cannot_write(self, api_as, customer, obj, create_payload, update_payload):
        client = api_as(customer)  # read and write scopes: the audience still forbids writes
        assert_error(client.post(self.url, create_payload), 403)
        assert_error(client.patch(self.detail(obj), update_payload), 403)
        assert_error(client.delete(self.detail(obj)), 403)
        assert self.model.objects.count() == 1
        assert type(obj).objects.get(pk=obj.pk).updated_at == obj.updated_at

    def test_staff_without_model_permission_gets_403(self, api_as, obj, create_payload):
        from tests.omni.factories import StaffFactory

        dispatcher = StaffFactory(roles=["Dispatcher"])  # may view CRM rows, not change them
        client = api_as(dispatcher)
        assert client.get(self.detail(obj)).status_code == 200
        body = assert_error(client.post(self.url, create_payload), 403)
        assert "may not add" in body["detail"]
        assert_error(client.patch(self.detail(obj), {}), 403)
        assert self.model.objects.count() == 1

    # ---- roles: staff reads need is_staff and view_<model>, writes add/change/delete ------------------------

    def _codename(self, verb: str) -> str:
        return f"{self.model._meta.app_label}.{verb}_{self.model._meta.model_name}"

    def test_each_role_reads_only_with_the_view_permission(self, api_as, obj):
        from omni.choices import Role
        from tests.omni.factories import StaffFactory

        for role in Role.values:
            user = StaffFactory(roles=[role])
            client = api_as(user)
            if user.has_perm(self._codename("view")):
                assert client.get(self.url).status_code == 200, role
                assert client.get(self.detail(obj)).status_code == 200, role
            else:
                body = assert_error(client.get(self.url), 403, code="permission_denied")
                assert body["detail"] == f"Your role may not view {self.model._meta.verbose_name_plural}.", role
                assert_error(client.get(self.detail(obj)), 403)

    def test_each_role_writes_only_with_the_permission_for_it(self, api_as, obj, create_payload, update_payload):
        from omni.choices import Role
        from tests.omni.factories import StaffFactory

        for role in Role.values:
            user = StaffFactory(roles=[role])
            client = api_as(user)
            with transaction.atomic():  # every role meets the same row
                for method, url, body, verb, ok in (
                    ("post", self.url, create_payload, "add", 201),
                    ("patch", self.detail(obj), update_payload, "change", 200),
                    ("delete", self.detail(obj), None, "delete", 204),
                ):
                    count = self.model.objects.count()
                    response = getattr(client, method)(url, body) if body is not None else client.delete(url)
                    if user.has_perm(self._codename(verb)):
                        assert response.status_code == ok, (role, method, response.content)
                    else:
                        assert_error(response, 403)
                        assert self.model.objects.count() == count, (role, method)
                transaction.set_rollback(True)
            stored = type(obj).objects.get(pk=obj.pk)
            assert (stored.updated_at, stored.deleted_at) == (obj.updated_at, None)

    def test_staff_with_no_role_get_403(self, api_as, obj):
        from tests.omni.factories import StaffFactory

        client = api_as(StaffFactory(roles=[]))
        assert_error(client.get(self.url), 403, code="permission_denied")
        assert_error(client.get(self.detail(obj)), 403)

    def test_staff_whose_is_staff_was_cleared_get_403_whatever_their_role(self, api_as, obj, update_payload):
        from tests.omni.factories import StaffFactory

        user = StaffFactory(roles=["Admin"], is_staff=False)
        client = api_as(user)
        body = assert_error(client.get(self.url), 403, code="permission_denied")
        assert body["detail"] == "Your staff access is switched off."
        assert_error(client.get(self.detail(obj)), 403)
        assert_error(client.patch(self.detail(obj), update_payload), 403)
        assert_error(client.delete(self.detail(obj)), 403)
        assert type(obj).objects.get(pk=obj.pk).updated_at == obj.updated_at

    def test_delete_is_soft_and_restore_brings_it_back(self, api_as, admin_user, obj):
        client = api_as(admin_user)
        response = client.delete(self.detail(obj))
        assert response.status_code == 204 and response.content == b""
        obj.refresh_from_db()
        deleted_at = obj.deleted_at
        assert deleted_at is not None
        assert str(obj.pk) not in {row["id"] for row in client.get(self.url).json()["results"]}
        deleted = client.get(self.url, {"deleted": "true"}).json()["results"]
        assert [row["id"] for row in deleted] == [str(obj.pk)]
        assert client.delete(self.detail(obj)).status_code == 204  # deleting twice is a no-op
        obj.refresh_from_db()
        assert obj.deleted_at == deleted_at
        restored = client.post(f"{self.detail(obj)}restore/")
        assert restored.status_code == 200, restored.content
        assert restored.json()["deleted_at"] is None
        obj.refresh_from_db()
        assert obj.deleted_at is None
        assert client.post(f"{self.detail(obj)}restore/").status_code == 200  # restoring twice: no-op
        assert str(obj.pk) in {row["id"] for row in client.get(self.url).json()["results"]}
