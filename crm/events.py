"""The events crm emits (catalogue entries) and the functions its services call, inside their transaction, to
record them in the outbox (notifications.outbox: webhooks and follower notifications go out after commit)."""

import datetime

import orjson
from django.utils import timezone

from notifications import outbox, registry
from notifications.choices import Channel
from notifications.registry import DefaultTemplate
from omni.choices import Audience
from omni.hosts import portal_url
from omni.models import live_q

ACCOUNT_PAYLOAD = (
    "id", "number", "name", "kind", "status", "email", "phone", "service_address", "billing_address", "location",
    "reseller", "tags", "notes", "created_at", "updated_at", "deleted_at",
)  # fmt: skip
CONTACT_PAYLOAD = (
    "id", "first_name", "last_name", "full_name", "email", "phone", "other_emails", "other_phones",
    "preferred_channel", "language", "time_zone", "accounts", "notes", "merged_into", "created_at", "updated_at",
    "deleted_at",
)  # fmt: skip

_ACCOUNT_TEXT = "Account {{ number }} ({{ name }}) was {verb}.\n\n{{ url }}\n"
_CONTACT_TEXT = "Contact {{ full_name }} was {verb}.\n\n{{ url }}\n"

for verb, description in (
    ("created", "A customer account was created"),
    ("updated", "A customer account was changed"),
    ("deleted", "A customer account was deleted (restorable)"),
):
    registry.register(
        f"crm.account.{verb}",
        description,
        payload=ACCOUNT_PAYLOAD,
        channels=(),  # staff follow it on their preferences page (services.notify_followers)
        templates={
            Channel.EMAIL: DefaultTemplate(
                subject=f"Account {{{{ number }}}} {verb}", text=_ACCOUNT_TEXT.replace("{verb}", verb)
            ),
            Channel.INAPP: DefaultTemplate(subject=f"Account {{{{ number }}}} {verb}: {{{{ name }}}}"),
        },
    )
for verb, description in (
    ("created", "A contact (person) was created"),
    ("updated", "A contact (person) was changed"),
    ("deleted", "A contact (person) was deleted or merged into another"),
):
    registry.register(
        f"crm.contact.{verb}",
        description,
        payload=CONTACT_PAYLOAD,
        channels=(),
        templates={
            Channel.EMAIL: DefaultTemplate(
                subject=f"Contact {{{{ full_name }}}} {verb}", text=_CONTACT_TEXT.replace("{verb}", verb)
            ),
            Channel.INAPP: DefaultTemplate(subject=f"Contact {{{{ full_name }}}} {verb}"),
        },
    )


def _as_json(data) -> dict:
    # The API's own rendering (UUIDs, times in UTC with Z, E.164 phones) as plain JSON data.
    from omni.api.renderers import OrjsonRenderer

    return orjson.loads(OrjsonRenderer().render(data))


def account_payload(account_id) -> dict:
    """The account as the API serializes it for staff: the payload of crm.account.* events."""
    from .api.serializers import AccountOut
    from .models import Account

    account = Account.objects.select_related("reseller").get(pk=account_id)
    with timezone.override(datetime.UTC):
        return _as_json(AccountOut(account).data)


def account_url(account_id) -> str:
    """The account's page in the staff console (the link in notifications)."""
    return portal_url(Audience.STAFF, "staff:account_detail", pk=account_id)


def account_changed(verb: str, account_id, *, by_id=None) -> None:
    """In the caller's transaction: record crm.account.<verb> with the account as the API serializes it for staff
    (webhooks), for the staff who follow the event except the one who made the change (`by_id`)."""
    outbox.event_record(
        f"crm.account.{verb}",
        account_payload(account_id),
        url=account_url(account_id),
        permission="crm.view_account",
        by_id=by_id,
    )


def contact_changed(verb: str, contact_id, *, by_id=None) -> None:
    """In the caller's transaction: record crm.contact.<verb> with the contact as the API serializes it for staff
    (webhooks), for the staff who follow the event except the one who made the change (`by_id`)."""
    from .api.serializers import ContactOut
    from .models import AccountContact, Contact

    contact = Contact.objects.get(pk=contact_id)
    links = [
        {
            "account": {"id": link.account_id, "number": link.account.number, "name": link.account.name},
            "role": link.role,
        }
        for link in AccountContact.objects.filter(live_q("account"), contact=contact)
        .select_related("account")
        .order_by("account__number")
    ]
    with timezone.override(datetime.UTC):
        data = _as_json(ContactOut(contact, context={"links": {contact.pk: links}}).data)
    outbox.event_record(
        f"crm.contact.{verb}",
        data,
        url=portal_url(Audience.STAFF, "staff:contact_detail", pk=contact.pk),
        permission="crm.view_contact",
        by_id=by_id,
    )
