"""Races between real database sessions (STYLE.md section 9 two-thread pattern): the database decides."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from crm import services
from crm.models import Account, AccountContact, Contact
from omni.exceptions import Conflict
from omni.models import live_q
from tests.crm.factories import AccountFactory, ContactFactory, link

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*calls):
    """Run each call in its own thread and database session, all released at once. Returns "ok" or the
    exception class name per call; a deadlock or a lock wait past 30 s fails the test."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            call()
            return "ok"
        except Conflict:
            return "conflict"
        except Exception as exc:  # noqa: BLE001 - reported, the test asserts on it
            return repr(exc)
        finally:
            connection.close()

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=30) for future in futures]


def _live_links() -> set:
    """(account, contact) of every link whose contact is live."""
    return set(AccountContact.objects.filter(live_q("contact")).values_list("account_id", "contact_id"))


def _accounts_reached() -> set:
    return {account_id for account_id, _contact in _live_links()}


def test_two_merges_of_the_same_duplicate_one_wins():
    accounts = AccountFactory.create_batch(3)
    a, b, c = ContactFactory(), ContactFactory(), ContactFactory()
    link(a, accounts[0])
    link(b, accounts[0], "billing")
    link(b, accounts[1])
    link(c, accounts[2])
    results = run_together(
        lambda: services.contact_merge(survivor_id=a.pk, duplicate_ids=[b.pk]),
        lambda: services.contact_merge(survivor_id=c.pk, duplicate_ids=[b.pk]),
    )
    assert sorted(results) == ["conflict", "ok"], results
    winner = a if results[0] == "ok" else c
    b.refresh_from_db()
    assert b.merged_into_id == winner.pk and b.deleted_at is not None
    assert _accounts_reached() == {acc.pk for acc in accounts}  # no link lost
    assert not AccountContact.objects.filter(contact=b).exists()


def test_crossed_merges_do_not_deadlock_or_lose_links():
    accounts = AccountFactory.create_batch(4)
    for _round in range(3):
        Contact.objects.all().delete()
        a, b = ContactFactory(), ContactFactory()
        link(a, accounts[0])
        link(a, accounts[1], "billing")
        link(b, accounts[1], "technical")
        link(b, accounts[2])
        link(b, accounts[3])
        results = run_together(
            lambda a=a, b=b: services.contact_merge(survivor_id=a.pk, duplicate_ids=[b.pk]),
            lambda a=a, b=b: services.contact_merge(survivor_id=b.pk, duplicate_ids=[a.pk]),
        )
        assert sorted(results) == ["conflict", "ok"], results
        live = Contact.objects.live().get()
        assert set(live.account_links.values_list("account_id", flat=True)) == {acc.pk for acc in accounts}
        assert Contact.objects.deleted().get().merged_into_id == live.pk


def test_linking_while_merging_keeps_one_link():
    account = AccountFactory()
    for _round in range(3):
        Contact.objects.all().delete()
        survivor, dup = ContactFactory(), ContactFactory()
        link(dup, account, "billing")
        results = run_together(
            lambda s=survivor, d=dup: services.contact_merge(survivor_id=s.pk, duplicate_ids=[d.pk]),
            lambda s=survivor: services.contact_link_account(contact_id=s.pk, account_id=account.pk, role="primary"),
        )
        assert results == ["ok", "ok"], results
        assert list(AccountContact.objects.values_list("account_id", "contact_id")) == [(account.pk, survivor.pk)]


def test_account_numbers_are_unique_and_sequential_under_concurrent_creates():
    per_thread, threads = 5, 6

    def create_some(i):
        return lambda: [services.account_create(name=f"T{i}-{n}") for n in range(per_thread)]

    results = run_together(*(create_some(i) for i in range(threads)))
    assert results == ["ok"] * threads
    numbers = sorted(int(n.removeprefix("ACC-")) for n in Account.objects.values_list("number", flat=True))
    assert len(numbers) == per_thread * threads
    assert numbers == list(range(numbers[0], numbers[0] + per_thread * threads))  # unique, no gaps
    assert all(len(n) == 10 for n in Account.objects.values_list("number", flat=True))
