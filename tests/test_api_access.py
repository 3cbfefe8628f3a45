"""Who may do what through the API: every operation of the API (from its own OpenAPI schema, checked against
the URL resolver, so a new route cannot be left out) with every staff role, a staff user with no role, a staff
user whose is_staff was cleared (holding the Admin role), a customer, a reseller and a vendor user, each with a
read-and-write token. The answer is exact: 2xx, 403, or 404 for an object outside the user's scope; a refused
write changes nothing.

The objects each operation targets:
  account  the customer's account (no reseller): the customer sees it, the reseller does not
  contact  a contact of that account (same), merged with an unlinked duplicate
  reseller the reseller user's own company
  vendor   a rival of the vendor user's company: outside the vendor's scope
  delivery a failed delivery (retry sends it again)
  note, push subscription   the Agent's own: everyone else's is a 404
  webhook endpoint, message an active endpoint with a failed message
  calendar a business calendar with Mon-Fri hours and a holiday on 25 December 2026 (Admin alone writes)
  policy   an SLA policy on another calendar (read-only in the API)
  ticket   an open ticket of the customer's account in no team (the intake queue every ticket reader sees);
           customers reply on it, resellers (not its account's) get 404
  team     a team (read-only in the API)
  lead     a lead of the reseller user's reseller: resellers read it (and register leads), never change it;
           customers and vendors get 403
  stage    a pipeline stage holding no lead (Admin alone writes stages)
  quote    a sent quote of the customer's account (its contact is Ada): writers get 409 on edits (only drafts
           are editable), the customer accepts or rejects it, the reseller (not its account's) gets 404
"""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator

from tests.conftest import api_client_for
from tests.omni.api_contract import assert_error

ROLES = {
    "agent": "Agent",
    "dispatcher": "Dispatcher",
    "technician": "Technician",
    "inventory": "Inventory manager",
    "sales": "Sales",
    "admin": "Admin",
}
STAFF = [*ROLES, "norole", "unstaffed"]  # unstaffed: the Admin role, is_staff cleared
PORTAL = ["customer", "reseller", "vendor"]
PERSONAS = [*STAFF, *PORTAL]

# Who holds which permission (omni/apps.py role_grants(): each app's apps.py; Admin holds every permission).
CRM_READERS = {"agent", "dispatcher", "technician", "sales", "admin"}  # view_contact, view_reseller
ACCOUNT_READERS = CRM_READERS | {"inventory"}  # view_account
CRM_WRITERS = {"agent", "sales", "admin"}  # add/change account and contact
CRM_DELETERS = {"sales", "admin"}  # delete account and contact
DELIVERY_READERS = {"agent", "dispatcher", "admin"}  # notifications.view_delivery
VENDOR_READERS = {"dispatcher", "technician", "admin"}  # workforce.view_vendor
VENDOR_CHANGERS = {"dispatcher", "admin"}  # workforce.change_vendor (add and delete: Admin only)
RESELLER_WRITERS = {"sales", "admin"}  # crm.add_reseller, change_reseller (delete: Admin only)
CALENDAR_READERS = {"agent", "dispatcher", "admin"}  # tickets.view_businesscalendar, view_slapolicy (Admin writes)
ACTIVE_STAFF = set(ROLES) | {"norole"}  # own records and the event catalogue need no role
TICKET_READERS = {"agent", "dispatcher", "admin"}  # tickets.view_ticket, view_team (Dispatcher reads only)
TICKET_WRITERS = {"agent", "admin"}  # add/change_ticket
LEAD_READERS = {"agent", "sales", "admin"}  # crm.view_lead, view_leadstage
LEAD_WRITERS = {"sales", "admin"}  # add/change/delete_lead
NETWORK_READERS = {"dispatcher", "technician", "admin"}  # network.view_* (network/apps.py); Admin alone writes
OWNER = "agent"  # owns the note and the push subscription
QUOTE_READERS = {"agent", "sales", "admin"}  # crm.view_quote
QUOTE_WRITERS = {"sales", "admin"}  # add/change_quote (and record a customer's answer)


def answers(ok: int, allowed: set[str], out_of_scope: set[str] = frozenset(), missing: int = 404) -> dict:
    """`ok` for `allowed`, `missing` (404) for `out_of_scope`, 403 for everyone else."""
    assert not allowed & out_of_scope
    return {p: ok if p in allowed else missing if p in out_of_scope else 403 for p in PERSONAS}


def own_records(ok: int, *, write: bool, detail: bool) -> dict:
    """The inbox and push subscriptions: everyone's own (staff with is_staff; portal users read only). A detail
    targets the Agent's record: anyone else who may use the resource gets 404."""
    may = ACTIVE_STAFF if write else ACTIVE_STAFF | set(PORTAL)
    if not detail:
        return answers(ok, may)
    return answers(ok, {OWNER}, may - {OWNER})


# (method, path in the schema) -> persona -> status.
TABLE: dict[tuple[str, str], dict] = {
    # crm: accounts (the customer's account; portal users read their own through their audience's selector)
    ("GET", "/api/v1/crm/accounts/"): answers(200, ACCOUNT_READERS | {"customer", "reseller"}),
    ("POST", "/api/v1/crm/accounts/"): answers(201, CRM_WRITERS),
    ("GET", "/api/v1/crm/accounts/{id}/"): answers(200, ACCOUNT_READERS | {"customer"}, {"reseller"}),
    ("PUT", "/api/v1/crm/accounts/{id}/"): answers(200, CRM_WRITERS),
    ("PATCH", "/api/v1/crm/accounts/{id}/"): answers(200, CRM_WRITERS),
    ("DELETE", "/api/v1/crm/accounts/{id}/"): answers(204, CRM_DELETERS),
    ("POST", "/api/v1/crm/accounts/{id}/restore/"): answers(200, CRM_DELETERS),
    ("POST", "/api/v1/crm/accounts/{id}/transition/"): answers(200, CRM_WRITERS),
    # crm: contacts
    ("GET", "/api/v1/crm/contacts/"): answers(200, CRM_READERS | {"customer", "reseller"}),
    ("POST", "/api/v1/crm/contacts/"): answers(201, CRM_WRITERS),
    ("GET", "/api/v1/crm/contacts/{id}/"): answers(200, CRM_READERS | {"customer"}, {"reseller"}),
    ("PUT", "/api/v1/crm/contacts/{id}/"): answers(200, CRM_WRITERS),
    ("PATCH", "/api/v1/crm/contacts/{id}/"): answers(200, CRM_WRITERS),
    ("DELETE", "/api/v1/crm/contacts/{id}/"): answers(204, CRM_DELETERS),
    ("POST", "/api/v1/crm/contacts/{id}/merge/"): answers(200, CRM_DELETERS),  # change and delete
    ("POST", "/api/v1/crm/contacts/{id}/restore/"): answers(200, CRM_DELETERS),
    # crm: quotes (a sent one: edits are 409; customers read and answer their account's; resellers read)
    ("GET", "/api/v1/crm/quotes/"): answers(200, QUOTE_READERS | {"customer", "reseller"}),
    ("POST", "/api/v1/crm/quotes/"): answers(201, QUOTE_WRITERS),
    ("GET", "/api/v1/crm/quotes/{id}/"): answers(200, QUOTE_READERS | {"customer"}, {"reseller"}),
    ("PUT", "/api/v1/crm/quotes/{id}/"): answers(409, QUOTE_WRITERS),
    ("PATCH", "/api/v1/crm/quotes/{id}/"): answers(409, QUOTE_WRITERS),
    ("GET", "/api/v1/crm/quotes/{id}/pdf/"): answers(200, QUOTE_READERS | {"customer"}, {"reseller"}),
    ("POST", "/api/v1/crm/quotes/{id}/send/"): answers(200, QUOTE_WRITERS),  # sent already: nothing more
    ("POST", "/api/v1/crm/quotes/{id}/revise/"): answers(201, QUOTE_WRITERS),
    ("POST", "/api/v1/crm/quotes/{id}/accept/"): answers(200, QUOTE_WRITERS | {"customer"}),
    ("POST", "/api/v1/crm/quotes/{id}/reject/"): answers(200, QUOTE_WRITERS | {"customer"}),
    # crm: resellers (customers and vendors never see them)
    ("GET", "/api/v1/crm/resellers/"): answers(200, CRM_READERS | {"reseller"}),
    ("GET", "/api/v1/crm/resellers/{id}/"): answers(200, CRM_READERS | {"reseller"}),
    ("POST", "/api/v1/crm/resellers/"): answers(201, RESELLER_WRITERS),
    ("PUT", "/api/v1/crm/resellers/{id}/"): answers(200, RESELLER_WRITERS),
    ("PATCH", "/api/v1/crm/resellers/{id}/"): answers(200, RESELLER_WRITERS),
    ("POST", "/api/v1/crm/resellers/{id}/deactivate/"): answers(200, RESELLER_WRITERS),
    ("POST", "/api/v1/crm/resellers/{id}/activate/"): answers(200, RESELLER_WRITERS),
    ("DELETE", "/api/v1/crm/resellers/{id}/"): answers(409, {"admin"}),  # it still has an account (PROTECT)
    # crm: leads (the reseller's own lead: they read it and register new ones) and pipeline stages (staff only)
    ("GET", "/api/v1/crm/leads/"): answers(200, LEAD_READERS | {"reseller"}),
    ("POST", "/api/v1/crm/leads/"): answers(201, LEAD_WRITERS | {"reseller"}),
    ("GET", "/api/v1/crm/leads/{id}/"): answers(200, LEAD_READERS | {"reseller"}),
    ("PUT", "/api/v1/crm/leads/{id}/"): answers(200, LEAD_WRITERS),
    ("PATCH", "/api/v1/crm/leads/{id}/"): answers(200, LEAD_WRITERS),
    ("DELETE", "/api/v1/crm/leads/{id}/"): answers(204, LEAD_WRITERS),
    ("POST", "/api/v1/crm/leads/{id}/convert/"): answers(200, LEAD_WRITERS),
    ("POST", "/api/v1/crm/leads/{id}/move/"): answers(200, LEAD_WRITERS),
    ("GET", "/api/v1/crm/leads/{id}/duplicates/"): answers(200, LEAD_READERS),
    ("GET", "/api/v1/crm/lead-stages/"): answers(200, LEAD_READERS),
    ("POST", "/api/v1/crm/lead-stages/"): answers(201, {"admin"}),
    ("GET", "/api/v1/crm/lead-stages/{id}/"): answers(200, LEAD_READERS),
    ("PUT", "/api/v1/crm/lead-stages/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/crm/lead-stages/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/crm/lead-stages/{id}/"): answers(204, {"admin"}),
    # workforce: vendors (the vendor user's rival: out of its scope)
    ("GET", "/api/v1/workforce/vendors/"): answers(200, VENDOR_READERS | {"vendor"}),
    ("GET", "/api/v1/workforce/vendors/{id}/"): answers(200, VENDOR_READERS, {"vendor"}),
    ("POST", "/api/v1/workforce/vendors/"): answers(201, {"admin"}),
    ("PUT", "/api/v1/workforce/vendors/{id}/"): answers(200, VENDOR_CHANGERS),  # portal users: read-only, 403
    ("PATCH", "/api/v1/workforce/vendors/{id}/"): answers(200, VENDOR_CHANGERS),
    ("POST", "/api/v1/workforce/vendors/{id}/deactivate/"): answers(200, VENDOR_CHANGERS),
    ("POST", "/api/v1/workforce/vendors/{id}/activate/"): answers(200, VENDOR_CHANGERS),
    ("DELETE", "/api/v1/workforce/vendors/{id}/"): answers(204, {"admin"}),
    # tickets: business calendars (configuration: staff only)
    ("GET", "/api/v1/tickets/calendars/"): answers(200, CALENDAR_READERS),
    ("POST", "/api/v1/tickets/calendars/"): answers(201, {"admin"}),
    ("GET", "/api/v1/tickets/calendars/{id}/"): answers(200, CALENDAR_READERS),
    ("PUT", "/api/v1/tickets/calendars/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/tickets/calendars/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/tickets/calendars/{id}/"): answers(204, {"admin"}),
    ("POST", "/api/v1/tickets/calendars/{id}/holidays/"): answers(201, {"admin"}),
    ("DELETE", "/api/v1/tickets/calendars/{id}/holidays/{date}/"): answers(204, {"admin"}),
    ("POST", "/api/v1/tickets/calendars/{id}/hours/"): answers(200, {"admin"}),
    ("POST", "/api/v1/tickets/calendars/{id}/seed-holidays/"): answers(200, {"admin"}),
    ("GET", "/api/v1/tickets/sla-policies/"): answers(200, CALENDAR_READERS),
    ("GET", "/api/v1/tickets/sla-policies/{id}/"): answers(200, CALENDAR_READERS),
    # tickets: tickets (portal users read their accounts'; customers reply) and teams (staff only, read-only)
    ("GET", "/api/v1/tickets/tickets/"): answers(200, TICKET_READERS | {"customer", "reseller"}),
    ("POST", "/api/v1/tickets/tickets/"): answers(201, TICKET_WRITERS),
    ("GET", "/api/v1/tickets/tickets/{id}/"): answers(200, TICKET_READERS | {"customer"}, {"reseller"}),
    ("PUT", "/api/v1/tickets/tickets/{id}/"): answers(200, TICKET_WRITERS),
    ("PATCH", "/api/v1/tickets/tickets/{id}/"): answers(200, TICKET_WRITERS),
    ("GET", "/api/v1/tickets/tickets/{id}/comments/"): answers(200, TICKET_READERS | {"customer"}, {"reseller"}),
    ("POST", "/api/v1/tickets/tickets/{id}/comments/"): answers(201, TICKET_WRITERS | {"customer"}, {"reseller"}),
    ("GET", "/api/v1/tickets/teams/"): answers(200, TICKET_READERS),
    ("GET", "/api/v1/tickets/teams/{id}/"): answers(200, TICKET_READERS),
    # network: trace, impact and root cause (questions about the plant: staff with the view permission, any method)
    ("GET", "/api/v1/network/trace/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/impact/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/root-cause/"): answers(200, NETWORK_READERS),
    # network: the plant as GeoJSON (staff who view the plant export it; importing adds plant: Admin)
    ("GET", "/api/v1/network/export.geojson"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/import/"): answers(201, {"admin"}),
    # notifications: the delivery log (staff only)
    ("GET", "/api/v1/notifications/deliveries/"): answers(200, DELIVERY_READERS),
    ("GET", "/api/v1/notifications/deliveries/{id}/"): answers(200, DELIVERY_READERS),
    ("GET", "/api/v1/notifications/deliveries/stats/"): answers(200, DELIVERY_READERS),
    ("POST", "/api/v1/notifications/deliveries/{id}/retry/"): answers(200, {"admin"}),  # change_delivery
    # notifications: the event catalogue (any active staff user; it holds no records)
    ("GET", "/api/v1/notifications/event-types/"): answers(200, ACTIVE_STAFF),
    ("GET", "/api/v1/notifications/event-types/{key}/"): answers(200, ACTIVE_STAFF),
    # notifications: my inbox and my push subscriptions
    ("GET", "/api/v1/notifications/inbox/"): own_records(200, write=False, detail=False),
    ("GET", "/api/v1/notifications/inbox/{id}/"): own_records(200, write=False, detail=True),
    ("GET", "/api/v1/notifications/inbox/unread-count/"): own_records(200, write=False, detail=False),
    ("POST", "/api/v1/notifications/inbox/{id}/mark-read/"): own_records(200, write=True, detail=True),
    ("POST", "/api/v1/notifications/inbox/mark-all-read/"): own_records(200, write=True, detail=False),
    ("GET", "/api/v1/notifications/push-subscriptions/"): own_records(200, write=False, detail=False),
    ("POST", "/api/v1/notifications/push-subscriptions/"): own_records(201, write=True, detail=False),
    ("DELETE", "/api/v1/notifications/push-subscriptions/{id}/"): own_records(204, write=True, detail=True),
    # notifications: webhook endpoints (configuration: only the Admin role holds these permissions)
    ("GET", "/api/v1/notifications/webhook-endpoints/"): answers(200, {"admin"}),
    ("POST", "/api/v1/notifications/webhook-endpoints/"): answers(201, {"admin"}),
    ("GET", "/api/v1/notifications/webhook-endpoints/{id}/"): answers(200, {"admin"}),
    ("PUT", "/api/v1/notifications/webhook-endpoints/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/notifications/webhook-endpoints/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/notifications/webhook-endpoints/{id}/"): answers(204, {"admin"}),
    ("GET", "/api/v1/notifications/webhook-endpoints/{id}/deliveries/"): answers(200, {"admin"}),
    ("GET", "/api/v1/notifications/webhook-endpoints/{id}/deliveries/{message_pk}/"): answers(200, {"admin"}),
    ("POST", "/api/v1/notifications/webhook-endpoints/{id}/deliveries/{message_pk}/redeliver/"): answers(
        202, {"admin"}
    ),
    ("POST", "/api/v1/notifications/webhook-endpoints/{id}/rotate-secret/"): answers(200, {"admin"}),
    ("POST", "/api/v1/notifications/webhook-endpoints/{id}/test/"): answers(202, {"admin"}),
    # network: the plant (staff only; Dispatcher and Technician read, Admin writes)
    ("GET", "/api/v1/network/structures/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/structures/"): answers(201, {"admin"}),
    ("GET", "/api/v1/network/structures/{id}/"): answers(200, NETWORK_READERS),
    ("PUT", "/api/v1/network/structures/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/network/structures/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/network/structures/{id}/"): answers(204, {"admin"}),
    ("GET", "/api/v1/network/pathways/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/pathways/"): answers(201, {"admin"}),
    ("GET", "/api/v1/network/pathways/{id}/"): answers(200, NETWORK_READERS),
    ("PUT", "/api/v1/network/pathways/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/network/pathways/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/network/pathways/{id}/"): answers(204, {"admin"}),
    ("GET", "/api/v1/network/cable-segments/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/cable-segments/"): answers(201, {"admin"}),
    ("GET", "/api/v1/network/cable-segments/{id}/"): answers(200, NETWORK_READERS),
    ("PUT", "/api/v1/network/cable-segments/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/network/cable-segments/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/network/cable-segments/{id}/"): answers(204, {"admin"}),
    ("GET", "/api/v1/network/slack-loops/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/slack-loops/"): answers(201, {"admin"}),
    ("GET", "/api/v1/network/slack-loops/{id}/"): answers(200, NETWORK_READERS),
    ("PUT", "/api/v1/network/slack-loops/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/network/slack-loops/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/network/slack-loops/{id}/"): answers(204, {"admin"}),
    ("GET", "/api/v1/network/cable-types/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/cable-types/"): answers(201, {"admin"}),
    ("GET", "/api/v1/network/cable-types/{id}/"): answers(200, NETWORK_READERS),
    ("PUT", "/api/v1/network/cable-types/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/network/cable-types/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/network/cable-types/{id}/"): answers(204, {"admin"}),
    ("GET", "/api/v1/network/cables/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/cables/"): answers(201, {"admin"}),
    ("GET", "/api/v1/network/cables/{id}/"): answers(200, NETWORK_READERS),
    ("PUT", "/api/v1/network/cables/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/network/cables/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/network/cables/{id}/"): answers(204, {"admin"}),
    ("GET", "/api/v1/network/cables/{id}/strands/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/cables/{id}/route/"): answers(200, {"admin"}),
    ("GET", "/api/v1/network/enclosures/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/enclosures/"): answers(201, {"admin"}),
    ("GET", "/api/v1/network/enclosures/{id}/"): answers(200, NETWORK_READERS),
    ("PUT", "/api/v1/network/enclosures/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/network/enclosures/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/network/enclosures/{id}/"): answers(204, {"admin"}),
    ("GET", "/api/v1/network/olts/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/olts/"): answers(201, {"admin"}),
    ("GET", "/api/v1/network/olts/{id}/"): answers(200, NETWORK_READERS),
    ("PUT", "/api/v1/network/olts/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/network/olts/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/network/olts/{id}/"): answers(204, {"admin"}),
    ("GET", "/api/v1/network/pon-ports/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/pon-ports/"): answers(201, {"admin"}),
    ("GET", "/api/v1/network/pon-ports/{id}/"): answers(200, NETWORK_READERS),
    ("PUT", "/api/v1/network/pon-ports/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/network/pon-ports/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/network/pon-ports/{id}/"): answers(204, {"admin"}),
    ("GET", "/api/v1/network/splitters/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/splitters/"): answers(201, {"admin"}),
    ("GET", "/api/v1/network/splitters/{id}/"): answers(200, NETWORK_READERS),
    ("PUT", "/api/v1/network/splitters/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/network/splitters/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/network/splitters/{id}/"): answers(204, {"admin"}),
    ("GET", "/api/v1/network/onts/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/onts/"): answers(201, {"admin"}),
    ("GET", "/api/v1/network/onts/{id}/"): answers(200, NETWORK_READERS),
    ("PUT", "/api/v1/network/onts/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/network/onts/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/network/onts/{id}/"): answers(204, {"admin"}),
    ("GET", "/api/v1/network/connections/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/connections/"): answers(201, {"admin"}),
    ("GET", "/api/v1/network/connections/{id}/"): answers(200, NETWORK_READERS),
    ("PUT", "/api/v1/network/connections/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/network/connections/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/network/connections/{id}/"): answers(204, {"admin"}),
    ("GET", "/api/v1/network/splice-plans/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/splice-plans/"): answers(201, {"admin"}),
    ("GET", "/api/v1/network/splice-plans/{id}/"): answers(200, NETWORK_READERS),
    ("PUT", "/api/v1/network/splice-plans/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/network/splice-plans/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/network/splice-plans/{id}/"): answers(204, {"admin"}),
    ("POST", "/api/v1/network/splice-plans/{id}/transition/"): answers(200, {"admin"}),
    ("POST", "/api/v1/network/splice-plans/{id}/apply/"): answers(200, {"admin"}),
    ("GET", "/api/v1/network/service-points/"): answers(200, NETWORK_READERS),
    ("POST", "/api/v1/network/service-points/"): answers(201, {"admin"}),
    ("GET", "/api/v1/network/service-points/{id}/"): answers(200, NETWORK_READERS),
    ("PUT", "/api/v1/network/service-points/{id}/"): answers(200, {"admin"}),
    ("PATCH", "/api/v1/network/service-points/{id}/"): answers(200, {"admin"}),
    ("DELETE", "/api/v1/network/service-points/{id}/"): answers(204, {"admin"}),
}

PUBLIC_URL = "https://93.184.215.14/hooks"  # a public address literal: no DNS lookup, nothing sent in a test
HOLIDAY = datetime.date(2026, 12, 25)  # the calendar's holiday (DELETE .../holidays/{date}/)


def _schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }


def _tabled() -> set[tuple[str, str]]:
    """This table's operations and those the workforce tables (tests/workforce: test_api_access_table,
    test_api_dispatch) and the inbox's (tests/crm/inbox/test_api_access_table) answer for; no operation is in two
    tables."""
    from tests.crm.inbox.test_api_access_table import OPERATIONS as INBOX
    from tests.workforce.test_api_access_table import OPERATIONS as WORKFORCE
    from tests.workforce.test_api_dispatch import OPERATIONS as DISPATCH

    tables = [set(TABLE), WORKFORCE, DISPATCH, INBOX]
    assert sum(len(table) for table in tables) == len(set().union(*tables))
    return set().union(*tables)


def test_every_api_operation_is_in_the_table():
    """A new route (or method) fails here until its answers for every persona are written down in a table."""
    assert _schema_operations() == _tabled()


def test_every_api_route_is_in_the_schema():
    """The schema cannot hide a route: each DRF endpoint the URL resolver serves under /api/v1/ is documented."""
    served = {
        (method, path.replace("{pk}", "{id}"))  # the schema names a model's primary key `id`
        for path, _regex, method, _view in EndpointEnumerator(urlconf="omni.urls").get_api_endpoints()
        if path.startswith("/api/v1/")
    }
    assert served == _tabled()


# ---- the world every operation runs in -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(module_db):
    """Built once per module (each test's writes roll back to it): the same rows for every operation."""
    with module_db.unblock():
        return _world()


def _world():
    from crm.models import Account, AccountContact, Contact, Lead, LeadStage, Quote, QuoteLine, Reseller
    from crm.services import customer_user_create, quote_create, quote_send, reseller_user_create
    from network import services as network_services
    from network.models import Structure
    from notifications.choices import DeliveryStatus, WebhookMessageStatus
    from notifications.models import (
        Delivery,
        Notification,
        PushSubscription,
        WebhookEndpoint,
        WebhookMessage,
    )
    from notifications.services import secret_generate
    from tests.crm.factories import AccountFactory, ContactFactory, ResellerFactory, link
    from tests.crm.lead_factories import LeadFactory, stage
    from tests.notifications.sms_support import Browser
    from tests.omni.factories import StaffFactory
    from tests.tickets.factories import (
        BusinessCalendarFactory,
        HolidayFactory,
        SLAPolicyFactory,
        TeamFactory,
        TicketFactory,
        office_hours,
    )
    from tickets.models import BusinessCalendar, BusinessHours, Holiday, Team, Ticket, TicketComment
    from workforce.models import Vendor
    from workforce.services import vendor_user_create

    users = {name: StaffFactory(email=f"{name}@example.com", roles=[role]) for name, role in ROLES.items()}
    users["norole"] = StaffFactory(email="norole@example.com", roles=[])
    users["unstaffed"] = StaffFactory(email="unstaffed@example.com", roles=["Admin"])
    users["unstaffed"].is_staff = False  # staff access withdrawn; the role stays
    users["unstaffed"].save(update_fields=["is_staff"])

    reseller_org = ResellerFactory(name="Lagos Connect")
    account = AccountFactory(name="Ada Home", status="active", reseller=None)
    AccountFactory(name="Resold", reseller=reseller_org)
    users["customer"] = customer_user_create(account_id=account.pk, email="customer@example.com", password="pw-X-1234")
    users["reseller"] = reseller_user_create(reseller_id=reseller_org.pk, email="reseller@example.com")
    own_vendor, rival = Vendor.objects.create(name="FiberWorks"), Vendor.objects.create(name="Rival Cables")
    users["vendor"] = vendor_user_create(vendor_id=own_vendor.pk, email="vendor@example.com")

    contact = ContactFactory(first_name="Ada", email="ada@example.com")
    link(contact, account)
    duplicate = ContactFactory(first_name="Adaeze", email="ADA@example.com")
    delivery = Delivery.objects.create(
        idempotency_key="access:1", event="crm.account.created", channel="sms", recipient_key="crm.contact:x",
        address="+2348031234567", status=DeliveryStatus.FAILED, reason="the provider reported a failure",
    )  # fmt: skip
    note = Notification.objects.create(user=users[OWNER], event="crm.account.created", title="Account created")
    subscription = PushSubscription.objects.create(
        user=users[OWNER], endpoint="https://push.example.com/send/agent", **Browser().keys
    )
    endpoint = WebhookEndpoint.objects.create(url=PUBLIC_URL, events=["*"], secret=secret_generate())
    calendar = BusinessCalendarFactory(name="Lagos", time_zone="Africa/Lagos", country="NG")
    office_hours(calendar)
    HolidayFactory(calendar=calendar, date=HOLIDAY)
    policy = SLAPolicyFactory(name="Default", calendar=BusinessCalendarFactory(name="In use"))
    ticket = TicketFactory(account=account, contact=contact, status="open", subject="Router down")
    lines = [{"description": "Installation", "unit_price": "25000.00", "tax_rate": "7.5"}]
    quote = quote_send(quote_id=quote_create(account_id=account.pk, contact_id=contact.pk, lines=lines).pk)
    team = TeamFactory(name="Network", members=[users["agent"]])
    message = WebhookMessage.objects.create(
        endpoint=endpoint, message_id="msg_access", event="crm.account.created", attempts=6,
        status=WebhookMessageStatus.FAILED, payload={"type": "crm.account.created", "data": {}},
    )  # fmt: skip

    lead = LeadFactory(reseller=reseller_org, email="lead@example.com")
    negotiation = LeadStage.objects.create(name="Negotiation", position=45)
    olt = network_services.olt_create(name="OLT access", pon_ports=1)
    pon_port = olt.pon_ports.get()
    ont = network_services.ont_create(serial="ZTEGACCESS01")

    ids = {
        "lead": lead.pk,
        "stage": negotiation.pk,
        "pon_port": pon_port.pk,
        "account": account.pk,
        "contact": contact.pk,
        "reseller": reseller_org.pk,
        "vendor": rival.pk,
        "delivery": delivery.pk,
        "note": note.pk,
        "subscription": subscription.pk,
        "endpoint": endpoint.pk,
        "message": message.pk,
        "calendar": calendar.pk,
        "policy": policy.pk,
        "ticket": ticket.pk,
        "team": team.pk,
        "quote": quote.pk,
    }
    bodies = {
        "account": {"name": "Ada Home Ltd"},
        "reseller": {"name": "Lagos Connect Ltd", "email": "hello@lagosconnect.example.com"},
        "vendor": {"name": "Rival Cables Ltd", "phone": "+2348031234567"},
        "transition": {"status": "suspended"},
        "contact": {"first_name": "Adaora", "email": "adaora@example.com"},
        "merge": {"duplicates": [str(duplicate.pk)]},
        "subscription": {"endpoint": "https://push.example.com/send/new", "keys": Browser().keys},
        "endpoint": {"url": PUBLIC_URL, "events": ["crm.account.created"]},
        "calendar": {"name": "Lagos office", "time_zone": "Africa/Lagos", "country": "NG"},
        "hours": {"weekday": 5, "ranges": [{"start": "09:00", "end": "13:00"}]},
        "holidays": {"date": "2026-12-31", "name": "Year end"},
        "seed-holidays": {"year": 2026},
        "ticket": {"account": str(account.pk), "subject": "Router down again", "priority": "high"},
        "comments": {"body": "Any news?"},
        "lead": {"first_name": "Chidi", "email": "chidi@example.com"},
        "move": {"stage": str(stage("Contacted").pk)},
        "convert": {},
        "stage": {"name": "Site survey", "position": 15},
        "quote": {"account": str(account.pk), "title": "Fibre", "lines": lines},
        "accept": {"name": "Ada Obi"},
        "reject": {"name": "Ada Obi", "reason": "Too dear"},
        "impact": {"pon_ports": [str(pon_port.pk)]},
        "root-cause": {"down": [str(ont.pk)]},
        "geojson": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [3.4, 6.45]},
                    "properties": {"layer": "structures", "kind": "pole", "name": "Imported pole"},
                },
            ],
        },  # fmt: skip
    }
    network_ids, network_bodies, network_models = _network_world(account)
    ids.update(network_ids)
    bodies.update(network_bodies)
    models = [Account, Contact, AccountContact, Reseller, Lead, LeadStage, Vendor, Delivery, Notification]
    models += [PushSubscription]
    models += network_models
    models += [WebhookEndpoint, WebhookMessage, BusinessCalendar, BusinessHours, Holiday, Ticket, TicketComment, Team]
    models += [Quote, QuoteLine]
    models += [Structure]
    clients = {name: api_client_for(user) for name, user in users.items()}
    return {"ids": ids, "bodies": bodies, "models": models, "clients": clients, "users": users}


def _network_world(account):
    """Plant that every network operation can act on: each {id} names a row nothing else depends on (so the
    Admin's DELETE is a 204), beside a closure with a feeder, a drop, a splice and an approved splice plan."""
    from django.contrib.gis.geos import LineString, Point

    from network import services as net
    from network.models import (
        Cable,
        CableSegment,
        CableType,
        Connection,
        Enclosure,
        Endpoint,
        Olt,
        Ont,
        Pathway,
        PonPort,
        ServicePoint,
        SlackLoop,
        SplicePlan,
        Splitter,
        Structure,
    )

    def structure(lon):
        return net.record_create(Structure, kind="pole", geom=Point(lon, 6.45, srid=4326))

    s1, s2 = structure(3.41), structure(3.42)
    closure = net.enclosure_create(kind="splice_closure", structure=s1, trays=1)
    fibre = net.record_create(CableType, name="Access 12F", fiber_count=12, tube_count=1, fibers_per_tube=12)
    feeder = net.cable_create(cable_type=fibre, role="feeder", b_enclosure=closure)
    drop = net.cable_create(cable_type=fibre, role="drop", a_enclosure=closure)
    feeder_ends = list(Endpoint.objects.filter(strand__cable=feeder, side="b").order_by("strand__number"))
    drop_ends = list(Endpoint.objects.filter(strand__cable=drop, side="a").order_by("strand__number"))
    plan = net.splice_plan_create(enclosure=closure, name="Plan 1", entries=[{"a": feeder_ends[1], "b": drop_ends[1]}])
    net.splice_plan_transition(plan_id=plan.pk, to="approved")
    line = LineString(s1.geom.coords, s2.geom.coords, srid=4326)
    ids = {
        "structure": structure(3.43).pk,
        "pathway": net.record_create(Pathway, kind="conduit", a_structure=s1, b_structure=s2, geom=line).pk,
        "cable_type": net.record_create(
            CableType, name="Spare 24F", fiber_count=24, tube_count=2, fibers_per_tube=12
        ).pk,
        "cable": net.cable_create(cable_type=fibre, role="drop", name="Spare drop").pk,
        "enclosure": net.enclosure_create(kind="mst", structure=s2, trays=1).pk,
        "olt": net.olt_create(name="OLT Access 1", pon_ports=1).pk,
        "pon_port": net.pon_port_create(olt=net.olt_create(name="OLT Access 2"), port=1).pk,
        "splitter": net.splitter_create(enclosure=closure, output_count=8).pk,
        "ont": net.ont_create(serial="ACCESS0001").pk,
        "connection": net.connection_create(enclosure_id=closure.pk, a_id=feeder_ends[0].pk, b_id=drop_ends[0].pk).pk,
        "splice_plan": plan.pk,
        "service_point": net.service_point_create(geom=Point(3.41, 6.45, srid=4326), account=account).pk,
    }
    duct = net.record_create(Pathway, kind="conduit", a_structure=s1, b_structure=s2, geom=line)  # not ids["pathway"]
    ids["cable_segment"] = net.cable_segment_create(cable_id=ids["cable"], pathway=duct).pk
    ids["slack_loop"] = net.slack_loop_create(cable_id=ids["cable"], structure=s1, start_mark_m=0, end_mark_m=20).pk
    point = {"type": "Point", "coordinates": [3.41, 6.45]}
    bodies = {
        "cable_segment": {"cable": str(ids["cable"]), "pathway": str(duct.pk)},
        "slack_loop": {"cable": str(ids["cable"]), "structure": str(s1.pk), "start_mark_m": "10", "end_mark_m": "30"},
        "structure": {"kind": "pole", "geom": point},
        "pathway": {"kind": "conduit", "a_structure": str(s1.pk), "b_structure": str(s2.pk), "geom": {
            "type": "LineString", "coordinates": [[3.41, 6.45], [3.42, 6.45]]}},
        "cable_type": {"name": "Access 48F", "fiber_count": 48, "tube_count": 4, "fibers_per_tube": 12},
        "cable": {"cable_type": str(fibre.pk), "role": "drop", "name": "Drop 9"},
        "enclosure": {"kind": "mst", "structure": str(s1.pk), "name": "MST 9"},
        "olt": {"name": "OLT Access 3"},
        "pon_port": {"olt": str(PonPort.objects.get(pk=ids["pon_port"]).olt_id), "port": 9},
        "splitter": {"enclosure": str(closure.pk), "output_count": 8},
        "ont": {"serial": "ACCESS0002"},
        "connection": {"enclosure": str(closure.pk), "a": str(feeder_ends[2].pk), "b": str(drop_ends[2].pk)},
        "connection:update": {"loss_db": "0.05"},
        "splice_plan": {"name": "Plan 2", "enclosure": str(closure.pk),
                        "entries": [{"a": str(feeder_ends[3].pk), "b": str(drop_ends[3].pk)}]},
        "splice_plan:update": {"name": "Plan 1b", "enclosure": str(closure.pk)},
        "splice_plan:transition": {"status": "draft"},
        "cable:route": {"pathways": [str(ids["pathway"])]},
        "service_point": {"name": "House 9", "location": point, "account": str(account.pk)},
    }  # fmt: skip
    models = [Structure, Pathway, CableType, Cable, CableSegment, Enclosure, Olt, PonPort, Splitter, Ont, Connection]
    models += [SplicePlan, ServicePoint, Endpoint, SlackLoop]
    return ids, bodies, models


RESOURCES = {  # the first two segments of a path -> the object its {id} names
    "crm/accounts": "account",
    "crm/contacts": "contact",
    "crm/resellers": "reseller",
    "crm/leads": "lead",
    "crm/lead-stages": "stage",
    "crm/quotes": "quote",
    "workforce/vendors": "vendor",
    "notifications/deliveries": "delivery",
    "notifications/inbox": "note",
    "notifications/push-subscriptions": "subscription",
    "notifications/webhook-endpoints": "endpoint",
    "notifications/event-types": None,
    "tickets/calendars": "calendar",
    "tickets/sla-policies": "policy",
    "tickets/tickets": "ticket",
    "tickets/teams": "team",
    "network/structures": "structure",
    "network/pathways": "pathway",
    "network/cable-segments": "cable_segment",
    "network/slack-loops": "slack_loop",
    "network/cable-types": "cable_type",
    "network/cables": "cable",
    "network/enclosures": "enclosure",
    "network/olts": "olt",
    "network/pon-ports": "pon_port",
    "network/splitters": "splitter",
    "network/onts": "ont",
    "network/connections": "connection",
    "network/splice-plans": "splice_plan",
    "network/service-points": "service_point",
    "network/trace": None,
    "network/impact": None,
    "network/root-cause": None,
    "network/export.geojson": None,
    "network/import": "geojson",
}
ACTION_BODIES = (
    "transition",
    "merge",
    "hours",
    "holidays",
    "seed-holidays",
    "comments",
    "move",
    "convert",
    "accept",
    "reject",
    "impact",
    "root-cause",
)  # actions whose body is their own


def _request(world: dict, method: str, path: str):
    """The URL (path parameters filled in) and the body of one operation: a resource's create, replace and
    change take its body; the transition and merge actions theirs; other actions none."""
    app, name = path.removeprefix("/api/v1/").split("/")[:2]
    resource = RESOURCES[f"{app}/{name}"]
    url = path.replace("{key}", "crm.account.created").replace("{message_pk}", str(world["ids"]["message"]))
    url = url.replace("{date}", HOLIDAY.isoformat())
    if resource and "{id}" in url:
        url = url.replace("{id}", str(world["ids"][resource]))
    if path == "/api/v1/network/trace/":
        url += f"?from=pon_port:{world['ids']['pon_port']}"
    if method in ("GET", "DELETE"):
        return url, None
    tail = path.rstrip("/").rsplit("/", 1)[-1]
    bodies = world["bodies"]
    if f"{resource}:{tail}" in bodies:  # a resource's own body for an action (network: transition, route)
        return url, bodies[f"{resource}:{tail}"]
    if tail == "{id}" and f"{resource}:update" in bodies:  # replace/change differ from create (connections)
        return url, bodies[f"{resource}:update"]
    key = tail if tail in ACTION_BODIES else resource if tail in (name, "{id}") else None
    return url, bodies.get(key)


def _snapshot(models) -> list:
    return [list(model.objects.order_by("pk").values_list()) for model in models]


@pytest.mark.parametrize(("method", "path"), sorted(TABLE), ids=[f"{m} {p}" for m, p in sorted(TABLE)])
def test_each_persona_gets_the_exact_answer(db, world, method, path):
    before = _snapshot(world["models"])
    url, body = _request(world, method, path)
    got = {}
    for persona in PERSONAS:
        client = world["clients"][persona]
        with transaction.atomic():  # each persona meets the same world: every write is rolled back
            call = getattr(client, method.lower())
            response = call(url, body) if body is not None else call(url)
            got[persona] = response.status_code
            if response.status_code >= 400:
                assert_error(response, response.status_code)
                if method != "GET":
                    assert _snapshot(world["models"]) == before, (persona, "a refused write changed rows")
            transaction.set_rollback(True)
    assert got == TABLE[(method, path)]


def test_the_refusals_say_why(db, world):
    """403 bodies name the reason: the audience, the missing permission, the withdrawn staff access, the scope."""
    clients, ids = world["clients"], world["ids"]
    contact_url = f"/api/v1/crm/contacts/{ids['contact']}/"
    cases = [
        ("inventory", "get", "/api/v1/crm/contacts/", "Your role may not view contacts."),
        ("norole", "get", "/api/v1/crm/accounts/", "Your role may not view accounts."),
        ("unstaffed", "get", "/api/v1/crm/accounts/", "Your staff access is switched off."),
        ("unstaffed", "get", "/api/v1/notifications/inbox/", "Your staff access is switched off."),
        ("agent", "post", f"{contact_url}merge/", "Your role may not delete contacts."),
        ("vendor", "get", "/api/v1/crm/accounts/", "Vendor users may not use this resource."),
        ("customer", "get", "/api/v1/notifications/deliveries/", "Customer users may not use this resource."),
        ("customer", "patch", contact_url, "Portal users have read-only API access."),
        ("agent", "post", "/api/v1/crm/resellers/", "Your role may not add resellers."),
        ("sales", "delete", f"/api/v1/crm/resellers/{ids['reseller']}/", "Your role may not delete resellers."),
        (
            "reseller",
            "post",
            f"/api/v1/crm/resellers/{ids['reseller']}/deactivate/",
            "Portal users have read-only API access.",
        ),
        ("dispatcher", "post", "/api/v1/workforce/vendors/", "Your role may not add vendors."),
        (
            "technician",
            "post",
            f"/api/v1/workforce/vendors/{ids['vendor']}/deactivate/",
            "Your role may not change vendors.",
        ),
        ("customer", "post", "/api/v1/notifications/inbox/mark-all-read/", "Portal users have read-only API access."),
    ]
    for persona, method, url, detail in cases:
        call = getattr(clients[persona], method)
        response = call(url, {}) if method != "get" else call(url)
        body = assert_error(response, 403, code="permission_denied")
        assert body["detail"] == detail, (persona, url)


def test_the_selectors_give_a_user_without_staff_access_nothing(world, client_as):
    """Defence in depth: were a view to skip the permission check, the audience's selector still returns nothing
    to a staff user whose is_staff was cleared; the console refuses them as the API does."""
    from crm.selectors import account_list_visible_to, contact_list_visible_to, reseller_list_visible_to
    from notifications.selectors import delivery_list_visible_to
    from workforce.selectors import vendor_list_visible_to

    admin, unstaffed = world["users"]["admin"], world["users"]["unstaffed"]
    for selector in (
        account_list_visible_to,
        contact_list_visible_to,
        reseller_list_visible_to,
        vendor_list_visible_to,
        delivery_list_visible_to,
    ):
        assert selector(user=admin).exists(), selector.__name__
        assert not selector(user=unstaffed).exists(), selector.__name__
    console = client_as(unstaffed)
    for page in ("/accounts/", "/contacts/", "/notifications/deliveries/"):
        assert console.get(page).status_code == 403, page
