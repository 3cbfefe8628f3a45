"""`manage.py inbound_smtp`: the real command, started in this process on a free port, in a real SMTP session
(smtplib). Transactional: the server stores from its own thread, so it must see committed rows."""

import smtplib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from crm import services
from crm.choices import ChannelKind
from crm.management.commands.inbound_smtp import Command
from crm.models import Contact, Message
from tests.notifications.email_support import free_port

from . import email_payloads as payloads
from .factories import ChannelFactory

pytestmark = pytest.mark.django_db(transaction=True)


def wire(raw: bytes) -> bytes:
    """As it travels in SMTP: CRLF line ends (smtplib sends bytes as they are)."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


@pytest.fixture
def smtp_command(settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 20_000
    command, port = Command(), free_port()
    thread = threading.Thread(target=call_command, args=(command, "--port", str(port)), daemon=True)
    thread.start()
    assert command.ready.wait(10), "the SMTP server did not start"
    yield port
    command.stopping.set()
    thread.join(10)
    assert not thread.is_alive()


def test_the_smtp_receiver_stores_mail_for_channel_addresses_only(smtp_command):
    channel = ChannelFactory(kind=ChannelKind.EMAIL, name="Support", address="Support@ISP.example")
    ChannelFactory(kind=ChannelKind.EMAIL, name="Old", address="old@isp.example", active=False)
    with smtplib.SMTP("127.0.0.1", smtp_command, timeout=10) as client:
        for address in ("nobody@isp.example", "old@isp.example"):
            with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                client.sendmail("ada@example.com", [address], wire(payloads.gmail_reply()))
            assert refused.value.recipients[address][0] == 550
        # Accepted for the channel (any case), refused for the stranger beside it: stored once, on the channel.
        rejected = client.sendmail(
            "ada@example.com", ["support@isp.example", "nobody@isp.example"], wire(payloads.gmail_reply())
        )
        assert rejected == {"nobody@isp.example": (550, b"5.1.1 No such mailbox here")}
        client.sendmail("ada@example.com", ["support@isp.example"], wire(payloads.gmail_reply()))  # a resend: no copy
        client.sendmail(
            "",
            ["support@isp.example"],
            wire(payloads.out_of_office().replace(b"Auto-Submitted", b"X-Was").replace(b"Automatic reply: ", b"")),
        )
        with pytest.raises(smtplib.SMTPDataError) as unreadable:
            client.sendmail("x@example.com", ["support@isp.example"], b"Subject: nobody\r\n\r\nno sender\r\n")
        assert unreadable.value.smtp_code == 550
        with pytest.raises(smtplib.SMTPException) as too_big:
            client.sendmail(
                "ada@example.com", ["support@isp.example"], wire(payloads.plain(body=("x" * 70 + "\n") * 450))
            )
        assert "552" in str(too_big.value)
    gmail, oof = Message.objects.filter(channel=channel).order_by("created_at")
    assert gmail.external_id == "<CAF+gm1@mail.gmail.com>"
    assert gmail.body.startswith("Thanks, the router is back online now.")
    # Without its Auto-Submitted header and its telling subject, the null envelope sender marks it automatic.
    assert oof.metadata["auto_submitted"] is True and oof.metadata["auto_reason"] == "null return path"
    assert Message.objects.count() == 2


def test_the_same_mail_posted_twice_at_once_is_one_message_and_one_contact():
    """The first copy's transaction stays open until the second is seen waiting on a lock in PostgreSQL: without
    the advisory lock the second would resolve (create) the sender's contact again before meeting the unique
    Message-ID."""
    channel = ChannelFactory(kind=ChannelKind.EMAIL, name="Support", address="support@isp.example")
    first_stored, second_pid = threading.Event(), []

    def first():
        try:
            with transaction.atomic():
                created = services.email_receive(channel=channel, raw=payloads.gmail_reply())[1]
                first_stored.set()
                with connection.cursor() as cursor:
                    for _ in range(200):  # until the second copy waits on a lock (10 s at most)
                        cursor.execute(
                            "SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", second_pid[:1] or [0]
                        )
                        if second_pid and cursor.fetchone()[0]:
                            break
                        time.sleep(0.05)
            return created
        finally:
            connection.close()

    def second():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                second_pid.append(cursor.fetchone()[0])
            assert first_stored.wait(10)
            return services.email_receive(channel=channel, raw=payloads.gmail_reply())[1]
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        results = [pool.submit(first), pool.submit(second)]
        assert [future.result(timeout=30) for future in results] == [True, False]
    assert Message.objects.count() == 1 and Contact.objects.filter(email="ada.obi@gmail.example").count() == 1
