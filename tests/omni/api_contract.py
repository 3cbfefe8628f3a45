"""The checks every API resource passes (STYLE.md section 9), as mixins a resource's test class picks from.

    class TestVendorApi(ReadContract, RoleReadContract, PortalScopeContract, LimitOffsetListContract): ...

`ApiContract` is the full set (a soft-deleted, portal-readable, staff-writable resource: crm accounts, contacts).

Every contract reads these from the class:
  url            the list URL, e.g. "/api/v1/crm/accounts/"
  model          the resource's model (None for a resource that is not rows: the event catalogue)
  has_detail     the resource answers GET {url}{id}/ (push subscriptions do not)
  portal_reads   a portal audience reads it (ApiViewSet.portal_audiences, or own records)
and these fixtures (defaults below; a resource overrides what differs):
  obj            a row the `reader` and the `portal_user` (when portal_reads) both see
  outside_obj    a row outside the portal user's scope only (PortalScopeContract)
  reader         a staff user whose list holds `obj` (default: admin_user)
  portal_user    the portal user who reads the resource (default: customer)
  create_payload, update_payload   valid write bodies (write contracts)
  bad_payloads   [(field, body), ...]: each body must be a 400 that names `field` (WriteContract)
and `make_rows(n)`, which stores n more rows the reader lists, cheaply (bulk).

Every request is an outside client: a literal URL, a real Bearer token (the `api_as` fixture), JSON in and out.
Answers are exact (200, 403, 404: never one of several), and every refused write asserts that the resource's
table is exactly what it was (`table()`).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import transaction

ERROR_KEYS = {"code", "detail", "fields"}
MISSING_ID = "00000000-0000-0000-0000-000000000000"
STAFF_ACCESS_OFF = "Your staff access is switched off."


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


def staff_roles() -> list[list[str]]:
    """Every staff role alone (omni.choices.Role), then no role at all."""
    from omni.choices import Role

    return [[role] for role in Role.values] + [[]]


def ids_of(response) -> list[str]:
    assert response.status_code == 200, (response.status_code, response.content[:500])
    return [row["id"] for row in response.json()["results"]]


class ResourceContract:
    """What every contract shares: the class attributes and default fixtures described in the module docstring."""

    url: str
    model: type | None = None
    has_detail: bool = True
    portal_reads: bool = True

    id_key: str = "id"  # the field of a row that identifies it
    detail_only_fields: tuple[str, ...] = ()  # what the detail shows beyond the list's row (a message body, ...)

    def row_id(self, obj) -> str:
        return str(obj.pk)

    def detail(self, obj) -> str:
        return f"{self.url}{self.row_id(obj)}/"

    def make_rows(self, n: int) -> None:
        raise NotImplementedError

    def visible_rows(self):
        """The rows the reader's list holds (before ordering)."""
        return self.model.objects.all()

    def table(self) -> list[dict]:
        """Every stored row of the resource, every column: compared before and after a refused write."""
        return list(self.model.objects.order_by("pk").values()) if self.model else []

    def _codename(self, verb: str) -> str:
        return f"{self.model._meta.app_label}.{verb}_{self.model._meta.model_name}"

    def read_back(self, client, obj) -> dict:
        """The resource as the API shows it now: the detail, or the list's row where there is no detail."""
        if self.has_detail:
            response = client.get(self.detail(obj))
            assert response.status_code == 200, response.content
            return response.json()
        rows = client.get(self.url, {"limit": 1000}).json()["results"]
        return next(row for row in rows if row["id"] == str(obj.pk))

    @pytest.fixture
    def reader(self, admin_user):
        return admin_user

    @pytest.fixture
    def portal_user(self, customer):
        return customer

    @pytest.fixture
    def readers(self, reader, portal_user):
        return [reader, portal_user] if self.portal_reads else [reader]


# ---- reads ----------------------------------------------------------------------------------------------------


class ReadContract(ResourceContract):
    """401 without a valid token; the list and the detail show a row alike; a malformed id is a 404; DRF's
    browsable API renders for every audience that reads the resource."""

    def test_anonymous_list_is_401_with_error_body(self, anon_api, obj):
        response = anon_api.get(self.url)
        body = assert_error(response, 401, code="not_authenticated")
        assert body["fields"] == {}
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        if self.has_detail:
            assert_error(anon_api.get(self.detail(obj)), 401, code="not_authenticated")

    def test_unknown_token_is_401(self, obj):
        from tests.conftest import ApiClient

        response = ApiClient("omni_not-a-real-token").get(self.url)
        assert_error(response, 401, code="authentication_failed")
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'

    def test_list_rows_and_detail_are_identical(self, api_as, readers, obj):
        """A list may be built from rows (selectors.*_rows), the detail by a serializer: they must agree."""
        for user in readers:
            client = api_as(user)
            rows = client.get(self.url, {"limit": 1000}).json()["results"]
            matching = [row for row in rows if row[self.id_key] == self.row_id(obj)]
            assert len(matching) == 1, (user, rows)
            if self.has_detail:
                detail = client.get(self.detail(obj)).json()
                assert set(self.detail_only_fields) <= set(detail), user
                row = {key: value for key, value in detail.items() if key not in self.detail_only_fields}
                assert matching[0] == row, user

    def test_malformed_id_is_404(self, api_as, reader, obj):
        client = api_as(reader)
        if not self.has_detail:  # the detail URL answers DELETE only (push subscriptions)
            assert_error(client.delete(f"{self.url}not-a-uuid/"), 404, code="not_found")
            return
        assert_error(client.get(f"{self.url}not-a-uuid/"), 404, code="not_found")
        assert_error(client.get(f"{self.url}{MISSING_ID}/"), 404, code="not_found")

    def test_browsable_api_renders_for_every_audience(self, api_as, readers, obj):
        """DEBUG keeps DRF's HTML renderer: its forms build serializers outside our views' own paths."""
        pages = [(self.url, 200)]
        if self.has_detail:
            pages += [(self.detail(obj), 200), (f"{self.url}{MISSING_ID}/", 404)]
        for user in readers:
            client = api_as(user)
            for url, status in pages:
                response = client.get(url, HTTP_ACCEPT="text/html")
                assert response.status_code == status, (user, url, response.status_code)
                assert response["Content-Type"].startswith("text/html")
                assert client.options(url).status_code == 200, (user, url)


class RoleReadContract(ResourceContract):
    """Staff read with `<app>.view_<model>` (`may_read`), each role exactly; staff whose is_staff was cleared read
    nothing, whatever their role."""

    def may_read(self, user) -> bool:
        return user.has_perm(self._codename("view"))

    def refused_read_detail(self) -> str:
        return f"Your role may not view {self.model._meta.verbose_name_plural}."

    def test_each_role_reads_only_with_the_view_permission(self, api_as, obj):
        from tests.omni.factories import StaffFactory

        for roles in staff_roles():
            user = StaffFactory(roles=roles)
            client = api_as(user)
            if self.may_read(user):
                assert client.get(self.url).status_code == 200, roles
                if self.has_detail:
                    assert client.get(self.detail(obj)).status_code == 200, roles
            else:
                body = assert_error(client.get(self.url), 403, code="permission_denied")
                assert body["detail"] == self.refused_read_detail(), roles
                if self.has_detail:
                    assert_error(client.get(self.detail(obj)), 403, code="permission_denied")

    def test_staff_whose_is_staff_was_cleared_read_nothing(self, api_as, obj):
        from tests.omni.factories import StaffFactory

        client = api_as(StaffFactory(roles=["Admin"], is_staff=False))
        body = assert_error(client.get(self.url), 403, code="permission_denied")
        assert body["detail"] == STAFF_ACCESS_OFF
        if self.has_detail:
            assert_error(client.get(self.detail(obj)), 403, code="permission_denied")


class StaffOnlyContract(ResourceContract):
    """No portal audience uses the resource: customers, reseller and vendor users get 403 (not an empty list)."""

    portal_reads = False

    def test_portal_users_are_refused(self, api_as, customer, reseller, vendor, obj, request):
        before = self.table()
        for user in (customer, reseller, vendor):
            client = api_as(user)
            assert_error(client.get(self.url), 403, code="permission_denied")
            if self.has_detail:
                assert_error(client.get(self.detail(obj)), 403, code="permission_denied")
            if "create_payload" in request.fixturenames:
                assert_error(client.post(self.url, request.getfixturevalue("create_payload")), 403)
        assert self.table() == before


class PortalScopeContract(ResourceContract):
    """A portal user lists exactly the rows of their own scope (their account, reseller, vendor); any other row is
    a 404 to them, never a 403: ids are not probeable."""

    def test_a_row_outside_the_portal_users_scope_is_404(self, api_as, portal_user, obj, outside_obj):
        client = api_as(portal_user)
        assert_error(client.get(self.detail(outside_obj)), 404, code="not_found")
        assert ids_of(client.get(self.url)) == [str(obj.pk)]


CustomerScopeContract = PortalScopeContract  # the name for resources a customer reads


class OwnRecordsContract(ResourceContract):
    """A person's own records (the inbox, push subscriptions): every active staff user, with or without a role,
    and every portal user lists exactly their own; somebody else's is a 404. `make_own(user)` stores one row of
    `user`'s; `obj` is the reader's. Staff whose is_staff was cleared get 403."""

    def make_own(self, user):
        raise NotImplementedError

    def test_everyone_lists_only_their_own_and_anyone_elses_is_404(
        self, api_as, reader, obj, customer, reseller, vendor
    ):
        from tests.omni.factories import StaffFactory

        people = [StaffFactory(roles=roles) for roles in staff_roles()] + [customer, reseller, vendor]
        for user in people:
            own = self.make_own(user)
            client = api_as(user)
            assert ids_of(client.get(self.url)) == [str(own.pk)], user
            if self.has_detail:
                assert client.get(self.detail(own)).status_code == 200, user
                assert_error(client.get(self.detail(obj)), 404, code="not_found")
        assert ids_of(api_as(reader).get(self.url)) == [str(obj.pk)]

    def test_staff_whose_is_staff_was_cleared_get_403(self, api_as, obj):
        from tests.omni.factories import StaffFactory

        user = StaffFactory(roles=["Admin"], is_staff=False)
        self.make_own(user)
        body = assert_error(api_as(user).get(self.url), 403, code="permission_denied")
        assert body["detail"] == STAFF_ACCESS_OFF


# ---- lists ----------------------------------------------------------------------------------------------------


class LimitOffsetListContract(ResourceContract):
    """`?limit=&offset=` pages with count/next/previous; every ordering field sorts (the pk breaks ties); an
    unknown ordering is a 400 naming `ordering`; the page costs `list_queries` queries whatever the row count."""

    list_queries: int  # ceiling for one list page, whatever the row count
    ordering_fields: list[str]

    def test_list_is_paginated_with_count_next_previous(self, api_as, reader, obj):
        self.make_rows(4)
        client = api_as(reader)
        first = client.get(self.url, {"limit": 2}).json()
        assert set(first) == {"count", "next", "previous", "results"}
        assert first["count"] == 5
        assert len(first["results"]) == 2
        assert first["previous"] is None
        assert parse_qs(urlsplit(first["next"]).query) == {"limit": ["2"], "offset": ["2"]}
        second = client.get(self.url, {"limit": 2, "offset": 2}).json()
        last = client.get(self.url, {"limit": 2, "offset": 4}).json()
        assert last["next"] is None
        assert parse_qs(urlsplit(last["previous"]).query) == {"limit": ["2"], "offset": ["2"]}
        ids = [row["id"] for page in (first, second, last) for row in page["results"]]
        assert len(ids) == len(set(ids)) == 5  # no page repeats or skips a row
        beyond = client.get(self.url, {"limit": 2, "offset": 50}).json()
        assert beyond["count"] == 5 and beyond["results"] == []

    def test_unknown_ordering_is_400_naming_ordering(self, api_as, reader, obj):
        client = api_as(reader)
        body = assert_error(client.get(self.url, {"ordering": "password"}), 400, field="ordering", code="invalid")
        assert "password" in body["detail"]
        assert_error(client.get(self.url, {"ordering": f"{self.ordering_fields[0]},-nope"}), 400, field="ordering")

    def test_every_ordering_field_sorts(self, api_as, reader, obj):
        self.make_rows(5)
        client = api_as(reader)
        for field in self.ordering_fields:
            for sign in ("", "-"):
                response = client.get(self.url, {"ordering": f"{sign}{field}", "limit": 100})
                expected = self.visible_rows().order_by(f"{sign}{field}", "pk").values_list("pk", flat=True)
                assert ids_of(response) == [str(pk) for pk in expected], field

    @pytest.mark.parametrize("rows", [10, 500])
    def test_list_queries_do_not_grow(self, api_as, reader, rows, django_assert_max_num_queries):
        self.make_rows(rows)
        client = api_as(reader)
        with django_assert_max_num_queries(self.list_queries):
            response = client.get(self.url, {"limit": 1000})
        assert response.status_code == 200
        assert len(response.json()["results"]) == rows


class CursorListContract(ResourceContract):
    """Append-only logs (deliveries, webhook messages, the inbox): DRF's CursorPagination, `next`/`previous` and no
    `count`, newest first; a forged cursor is a 400 naming `cursor`; a page costs `list_queries` queries whatever
    the row count (nothing counts the table).

    The target for the logs once cursor pagination lands (issue 9 item 8). A resource sets `cursor_page_size`
    (its paginator's page_size) and `cursor_ordering` (the field its paginator orders by first, e.g. "-created_at")."""

    list_queries: int
    cursor_page_size: int
    cursor_ordering: str = "-created_at"

    def _walk(self, client, url, params=None) -> list[dict]:
        pages = []
        while url:
            response = client.get(url, params) if params is not None else client.get(url)
            assert response.status_code == 200, response.content
            page = response.json()
            assert set(page) == {"next", "previous", "results"}, page.keys()
            assert len(page["results"]) <= self.cursor_page_size
            pages.append(page)
            url, params = page["next"], None
        return pages

    def test_pages_walk_every_row_once_in_order_without_a_count(self, api_as, reader, obj):
        self.make_rows(2 * self.cursor_page_size)  # with obj: two full pages and one row
        client = api_as(reader)
        pages = self._walk(client, self.url, {})
        assert [len(page["results"]) for page in pages] == [self.cursor_page_size, self.cursor_page_size, 1]
        assert pages[0]["previous"] is None and pages[-1]["next"] is None
        ids = [row["id"] for page in pages for row in page["results"]]
        assert len(ids) == len(set(ids))  # no page repeats a row
        field = self.cursor_ordering.lstrip("-")
        stored = {str(pk): value for pk, value in self.visible_rows().values_list("pk", field)}
        assert set(ids) == set(stored)  # nor skips one
        values = [stored[pk] for pk in ids]
        assert values == sorted(values, reverse=self.cursor_ordering.startswith("-"))
        back = client.get(pages[-1]["previous"])
        assert back.status_code == 200
        assert back.json()["results"] == pages[-2]["results"]
        assert "cursor" in parse_qs(urlsplit(pages[0]["next"]).query)

    def test_a_forged_cursor_is_400_naming_cursor(self, api_as, reader, obj):
        client = api_as(reader)
        for forged in ("forged", "cD0yMDI2", "%%%"):
            assert_error(client.get(self.url, {"cursor": forged}), 400, field="cursor", code="invalid")

    @pytest.mark.parametrize("rows", [10, 500])
    def test_list_queries_do_not_grow(self, api_as, reader, rows, django_assert_max_num_queries):
        self.make_rows(rows)
        client = api_as(reader)
        with django_assert_max_num_queries(self.list_queries):
            response = client.get(self.url)
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(rows, self.cursor_page_size)


# ---- writes ---------------------------------------------------------------------------------------------------


class WriteContract(ResourceContract):
    """Writes by a `writer` (default: admin_user): create and patch persist and read back as answered; bad input is
    a 400 naming the field; a body that is not JSON is a 400; anonymous clients, read-scope tokens and portal users
    cannot write, and nothing changed. `writes` names what the resource offers: create, update (PATCH), delete."""

    writes: tuple[str, ...] = ("create", "update", "delete")

    @pytest.fixture
    def writer(self, admin_user):
        return admin_user

    def created_body(self, body: dict) -> dict:
        """The create answer as a later read shows it (a resource drops what it shows only once)."""
        return body

    def _assert_stored(self, stored, payload: dict) -> None:
        for name, value in payload.items():
            if isinstance(value, str | int | bool) and hasattr(stored, name):
                assert str(getattr(stored, name)) == str(value), name

    def _refused_writes(self, client, obj, create_payload, update_payload=None):
        """Tries every write the resource offers: yields (what, response), `what` being create, update or delete."""
        if "create" in self.writes:
            yield "create", client.post(self.url, create_payload)
        if "update" in self.writes:
            yield "update", client.patch(self.detail(obj), update_payload or {})
        if "delete" in self.writes:
            yield "delete", client.delete(self.detail(obj))

    def test_create_persists(self, api_as, writer, create_payload):
        response = api_as(writer).post(self.url, create_payload)
        assert response.status_code == 201, response.content
        body = response.json()
        stored = self.model.objects.get(pk=body["id"])
        self._assert_stored(stored, create_payload)
        assert self.read_back(api_as(writer), stored) == self.created_body(body)

    def test_patch_persists(self, api_as, writer, obj, update_payload):
        if "update" not in self.writes:
            assert_error(api_as(writer).patch(self.detail(obj), update_payload), 405, code="method_not_allowed")
            return
        response = api_as(writer).patch(self.detail(obj), update_payload)
        assert response.status_code == 200, response.content
        obj.refresh_from_db()
        self._assert_stored(obj, update_payload)
        assert response.json() == self.read_back(api_as(writer), obj)

    def test_bad_input_is_400_naming_the_field(self, api_as, writer, obj, bad_payloads):
        client = api_as(writer)
        before = self.table()
        for field, payload in bad_payloads:
            assert_error(client.post(self.url, payload), 400, field=field, code="invalid")
            if "update" in self.writes:
                assert_error(client.patch(self.detail(obj), payload), 400, field=field, code="invalid")
        assert self.table() == before  # no rejected write stored anything

    def test_non_json_body_is_400(self, api_as, writer, obj):
        before = self.table()
        response = api_as(writer).generic("POST", self.url, b"{not json", content_type="application/json")
        assert_error(response, 400, code="parse_error")
        response = api_as(writer).generic("POST", self.url, b"name=x", content_type="application/x-www-form-urlencoded")
        assert_error(response, 415, code="unsupported_media_type")
        assert self.table() == before

    def test_anonymous_write_is_401_and_changes_nothing(self, anon_api, obj, create_payload, update_payload):
        before = self.table()
        for _what, response in self._refused_writes(anon_api, obj, create_payload, update_payload):
            assert_error(response, 401, code="not_authenticated")
        assert self.table() == before

    def test_read_scope_token_cannot_write_and_nothing_changed(self, api_as, writer, obj, create_payload):
        client = api_as(writer, scopes=["read"])
        assert client.get(self.url).status_code == 200
        before = self.table()
        for what, response in self._refused_writes(client, obj, create_payload):
            body = assert_error(response, 403, code="permission_denied")
            assert body["detail"] == "This token has the read scope only.", what
        assert self.table() == before

    def test_portal_user_cannot_write_and_nothing_changed(
        self, api_as, portal_user, obj, create_payload, update_payload
    ):
        client = api_as(portal_user)  # read and write scopes: the audience still forbids writes
        before = self.table()
        for _what, response in self._refused_writes(client, obj, create_payload, update_payload):
            assert_error(response, 403, code="permission_denied")
        assert self.table() == before


class RoleWriteContract(WriteContract):
    """Staff write with add/change/delete_<model>, each role exactly; a view-only user and staff whose is_staff was
    cleared cannot write, and nothing changed."""

    def test_each_role_writes_only_with_the_permission_for_it(self, api_as, obj, create_payload, update_payload):
        from tests.omni.factories import StaffFactory

        calls = {
            "create": ("post", self.url, create_payload, "add", 201),
            "update": ("patch", self.detail(obj), update_payload, "change", 200),
            "delete": ("delete", self.detail(obj), None, "delete", 204),
        }
        for roles in staff_roles():
            user = StaffFactory(roles=roles)
            client = api_as(user)
            before = self.table()
            with transaction.atomic():  # every role meets the same row
                for what in self.writes:
                    method, url, body, verb, ok = calls[what]
                    table = self.table()
                    response = getattr(client, method)(url, body) if body is not None else client.delete(url)
                    if user.has_perm(self._codename(verb)):
                        assert response.status_code == ok, (roles, method, response.content)
                    else:
                        assert_error(response, 403, code="permission_denied")
                        assert self.table() == table, (roles, method)
                transaction.set_rollback(True)
            assert self.table() == before

    def test_staff_with_only_the_view_permission_cannot_write(self, api_as, obj, create_payload, update_payload):
        from django.contrib.auth.models import Permission

        from tests.omni.factories import StaffFactory

        user = StaffFactory(roles=[])
        app_label, codename = self._codename("view").split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        client = api_as(user)
        assert client.get(self.url).status_code == 200
        before = self.table()
        verbs = {"create": "add", "update": "change", "delete": "delete"}
        for what, response in self._refused_writes(client, obj, create_payload, update_payload):
            body = assert_error(response, 403, code="permission_denied")
            assert body["detail"] == f"Your role may not {verbs[what]} {self.model._meta.verbose_name_plural}."
        assert self.table() == before

    def test_staff_whose_is_staff_was_cleared_cannot_write(self, api_as, obj, create_payload, update_payload):
        from tests.omni.factories import StaffFactory

        client = api_as(StaffFactory(roles=["Admin"], is_staff=False))
        before = self.table()
        for what, response in self._refused_writes(client, obj, create_payload, update_payload):
            body = assert_error(response, 403, code="permission_denied")
            assert body["detail"] == STAFF_ACCESS_OFF, what
        assert self.table() == before


# ---- deletes --------------------------------------------------------------------------------------------------


class SoftDeleteContract(ResourceContract):
    """DELETE sets deleted_at (twice: a no-op); the list leaves the row out unless ?deleted=true; POST restore/
    brings it back (twice: a no-op). Needs `reader` to hold the delete permission."""

    def visible_rows(self):
        return self.model.objects.live()

    def test_delete_is_soft_and_restore_brings_it_back(self, api_as, admin_user, obj):
        client = api_as(admin_user)
        response = client.delete(self.detail(obj))
        assert response.status_code == 204 and response.content == b""
        obj.refresh_from_db()
        deleted_at = obj.deleted_at
        assert deleted_at is not None
        assert str(obj.pk) not in ids_of(client.get(self.url))
        assert ids_of(client.get(self.url, {"deleted": "true"})) == [str(obj.pk)]
        assert client.delete(self.detail(obj)).status_code == 204  # deleting twice is a no-op
        obj.refresh_from_db()
        assert obj.deleted_at == deleted_at
        restored = client.post(f"{self.detail(obj)}restore/")
        assert restored.status_code == 200, restored.content
        assert restored.json()["deleted_at"] is None
        obj.refresh_from_db()
        assert obj.deleted_at is None
        assert client.post(f"{self.detail(obj)}restore/").status_code == 200  # restoring twice: no-op
        assert str(obj.pk) in ids_of(client.get(self.url))


class HardDeleteContract(ResourceContract):
    """DELETE removes the row (204, empty body); then it is a 404, and deleting it again is a 404."""

    @pytest.fixture
    def deleter(self, admin_user):
        return admin_user

    def test_delete_removes_the_row(self, api_as, deleter, obj):
        client = api_as(deleter)
        response = client.delete(self.detail(obj))
        assert response.status_code == 204 and response.content == b""
        assert not self.model.objects.filter(pk=obj.pk).exists()
        assert str(obj.pk) not in ids_of(client.get(self.url))
        if self.has_detail:
            assert_error(client.get(self.detail(obj)), 404, code="not_found")
        assert_error(client.delete(self.detail(obj)), 404, code="not_found")


class ApiContract(
    ReadContract,
    RoleReadContract,
    PortalScopeContract,
    LimitOffsetListContract,
    RoleWriteContract,
    SoftDeleteContract,
):
    """The full set: a resource staff read and write by role, a customer reads in their scope, soft deleted."""
