"""Tickets opened by portal users (services.ticket_open): only on an account they see, with their own contact on
it, follow-ups of their closed tickets, files in the same transaction."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import CustomerUser
from tests.crm.factories import AccountFactory, ContactFactory, link
from tests.tickets.factories import TicketFactory
from tickets import services
from tickets.choices import TicketSource, TicketStatus
from tickets.models import Ticket, TicketAttachment

pytestmark = pytest.mark.django_db


def test_a_customer_cannot_open_on_another_account(customer, other_account):
    with pytest.raises(ValidationError) as err:
        services.ticket_open(account_id=other_account.pk, by=customer, subject="x", description="y")
    assert list(err.value.message_dict) == ["account"]
    assert not Ticket.objects.exists()


def test_a_reseller_opens_only_on_their_resellers_accounts(reseller, reseller_org):
    mine = AccountFactory(reseller=reseller_org)
    ticket = services.ticket_open(account_id=mine.pk, by=reseller, subject="Estate down", description="All")
    assert (ticket.account, ticket.source, ticket.contact) == (mine, TicketSource.PORTAL, None)
    with pytest.raises(ValidationError) as err:
        services.ticket_open(account_id=AccountFactory().pk, by=reseller, subject="x", description="y")
    assert list(err.value.message_dict) == ["account"]


def test_the_customers_contact_only_while_linked_to_the_account(customer, account):
    contact = ContactFactory()
    CustomerUser.objects.filter(user=customer).update(contact=contact)
    unlinked = services.ticket_open(account_id=account.pk, by=customer, subject="a", description="b")
    assert unlinked.contact is None  # not linked to the account: the ticket has no contact rather than a 400
    link(contact, account)
    linked = services.ticket_open(account_id=account.pk, by=customer, subject="a", description="b")
    assert linked.contact == contact


def test_a_follow_up_names_a_closed_ticket_of_the_same_account(customer, account, other_account):
    open_one = TicketFactory(account=account, status=TicketStatus.OPEN)
    theirs = TicketFactory(account=other_account, status=TicketStatus.CLOSED)
    for original in (open_one, theirs):
        with pytest.raises(ValidationError) as err:
            services.ticket_open(
                account_id=account.pk, by=customer, subject="x", description="y", follow_up_of_id=original.pk
            )
        assert list(err.value.message_dict) == ["follow_up_of"]
    closed = TicketFactory(account=account, status=TicketStatus.CLOSED)
    ticket = services.ticket_open(
        account_id=account.pk, by=customer, subject="x", description="y", follow_up_of_id=closed.pk
    )
    assert ticket.follow_up_of == closed


def test_a_refused_file_leaves_no_ticket(customer, account):
    with pytest.raises(ValidationError) as err:
        services.ticket_open(
            account_id=account.pk,
            by=customer,
            subject="x",
            description="y",
            files=[SimpleUploadedFile("ok.txt", b"fine"), SimpleUploadedFile("tool.exe", b"MZ")],
        )
    assert list(err.value.message_dict) == ["files"]
    assert not Ticket.objects.exists() and not TicketAttachment.objects.exists()
