"""A reseller or vendor switched off cuts its portal users off at once (sessions, API tokens, sign-in); switched
on again, it brings back exactly the users who were active before."""

import pytest
from django.test import Client

from omni.models import User
from omni.services import partner_active_set, partner_user_create, users_active_set
from omni.tokens import api_token_create
from tests.conftest import ApiClient

WRONG = "The email address and/or password you specified are not correct."
API = {"reseller": "/api/v1/crm/resellers/", "vendor": "/api/v1/workforce/vendors/"}


def switch(org, active: bool) -> None:
    partner_active_set(type(org), partner_id=org.pk, active=active)


@pytest.fixture(params=list(API))
def partner(request, db):
    """(org, first portal user, its portal) for a reseller, then for a vendor: the conftest fixtures, made by
    reseller_user_create / vendor_user_create."""
    kind = request.param
    conf = {"host": f"{kind}.localhost", "password": f"pw-{kind.capitalize()}-123", "api": API[kind]}
    org = request.getfixturevalue(f"{kind}_org")
    conf["user_create"] = lambda org, email: partner_user_create(
        type(org), partner_id=org.pk, email=email, password=conf["password"]
    )
    return org, request.getfixturevalue(kind), conf


def sign_in(conf, user) -> tuple[Client, object]:
    client = Client(HTTP_HOST=conf["host"])
    response = client.post("/accounts/login/", {"login": user.email, "password": conf["password"]})
    return client, response


def state(*users) -> list[tuple[bool, bool]]:
    return [tuple(User.objects.values_list("is_active", "suspended_with_org").get(pk=u.pk)) for u in users]


def test_switching_off_cuts_sessions_tokens_and_sign_in_at_once_and_on_restores_exactly_those(
    partner, django_capture_on_commit_callbacks
):
    org, first, conf = partner
    second = conf["user_create"](org, "second@example.com")
    loner = conf["user_create"](org, "loner@example.com")
    users_active_set(user_ids=[loner.pk], active=False)  # deactivated on their own, before
    session, _response = sign_in(conf, first)
    assert session.get("/").status_code == 200
    _token, raw = api_token_create(user=first, name="erp", scopes=["read"])
    api = ApiClient(raw)
    assert api.get(conf["api"]).status_code == 200  # the lookup is now cached

    with django_capture_on_commit_callbacks(execute=True):
        switch(org, False)
    assert state(first, second, loner) == [(False, True), (False, True), (False, False)]
    assert session.get("/")["Location"] == "/accounts/login/?next=/"  # the next request is anonymous
    assert api.get(conf["api"]).status_code == 401
    client, response = sign_in(conf, second)
    assert WRONG in response.content.decode() and "_auth_user_id" not in client.session  # as a wrong password

    with django_capture_on_commit_callbacks(execute=True):
        switch(org, True)
    assert state(first, second, loner) == [(True, False), (True, False), (False, False)]
    assert api.get(conf["api"]).status_code == 200
    client, response = sign_in(conf, second)
    assert response["Location"] == "/" and client.session["_auth_user_id"] == str(second.pk)
    client, response = sign_in(conf, loner)
    assert WRONG in response.content.decode() and "_auth_user_id" not in client.session


def test_one_by_one_decisions_while_off_hold_when_it_comes_back(partner):
    org, first, conf = partner
    second = conf["user_create"](org, "second@example.com")
    switch(org, False)
    assert users_active_set(user_ids=[first.pk], active=True) == 0  # off with the organisation: not on its own
    assert users_active_set(user_ids=[second.pk], active=False) == 1  # off on their own from now on
    assert state(first, second) == [(False, True), (False, False)]
    switch(org, True)
    assert state(first, second) == [(True, False), (False, False)]


def test_a_user_added_while_off_starts_off_and_comes_back_with_it(partner):
    org, _first, conf = partner
    switch(org, False)
    late = conf["user_create"](org, "late@example.com")
    assert (late.is_active, late.suspended_with_org) == (False, True)
    switch(org, True)
    assert state(late) == [(True, False)]


def test_switching_twice_changes_nothing_more(partner):
    org, first, conf = partner
    switch(org, False)
    switch(org, False)
    assert state(first) == [(False, True)]
    switch(org, True)
    switch(org, True)
    assert state(first) == [(True, False)]
