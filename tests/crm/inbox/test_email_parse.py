"""Reading inbound email (crm.providers.email.parse): no database. Trimming for display keeps the original whole;
automatic mail (auto-replies, bounces) is recognised from its headers, its MIME type, its sender or its subject."""

import pytest

from crm.providers.email import Unparsable, html_to_text, parse, visible_text

from . import email_payloads as payloads


def test_a_gmail_reply_loses_its_quote_and_signature_for_display_but_keeps_them_in_the_original():
    parsed = parse(
        payloads.gmail_reply(in_reply_to="<omni.1@isp.example>", references="<root@isp.example> <omni.1@isp.example>")
    )
    assert parsed.body == "Thanks, the router is back online now. The light is green again \u2013 great work."
    assert "wrote:" in parsed.text and "> Please restart your router" in parsed.text and "\n-- \n" in parsed.text
    assert (parsed.from_address, parsed.from_name) == ("ada.obi@gmail.example", "Ada Obi")
    assert parsed.subject == "Re: Internet down since this morning"
    assert parsed.message_id == "<CAF+gm1@mail.gmail.com>"
    assert parsed.in_reply_to == "<omni.1@isp.example>"
    assert parsed.references == ["<root@isp.example>", "<omni.1@isp.example>"]
    assert parsed.thread_ids == ["<omni.1@isp.example>", "<root@isp.example>"]
    assert not (parsed.auto_submitted or parsed.auto_reply or parsed.bounce or parsed.html)
    assert parsed.sent_at.isoformat() == "2026-12-01T10:15:03+01:00"


def test_an_outlook_reply_loses_the_from_sent_block():
    parsed = parse(payloads.outlook_reply())
    assert parsed.body == "Hi,\n\nYes please send the corrected invoice to accounts@company.example.\n\nRegards\nBola"
    assert "Sent: 30 November 2026 16:02" in parsed.text and "INV-0042" in parsed.text
    assert parsed.subject == "RE: Invoice question"


def test_an_out_of_office_is_an_auto_reply():
    parsed = parse(payloads.out_of_office())
    assert parsed.auto_reply and parsed.auto_submitted and not parsed.bounce
    assert parsed.auto_reason == "Auto-Submitted: auto-replied"
    assert parsed.metadata()["auto_submitted"] is True and parsed.metadata()["auto_reply"] is True


@pytest.mark.parametrize(
    ("headers", "subject", "envelope_from", "reason"),
    [
        ("Precedence: bulk\n", "Newsletter", None, "Precedence: bulk"),
        ("Precedence: auto_reply\n", "Thanks", None, "Precedence: auto_reply"),
        ("X-Autoreply: yes\n", "Thanks", None, "X-Autoreply"),
        ("X-Autorespond: yes\n", "Thanks", None, "X-Autorespond"),
        ("", "Out of Office: back on Monday", None, "out-of-office subject"),
        ("", "Automatic reply: Your ticket", None, "out-of-office subject"),
        ("", "Thanks for writing", "", "null return path"),
    ],
)
def test_auto_replies_are_recognised_by_header_subject_or_null_sender(headers, subject, envelope_from, reason):
    parsed = parse(payloads.plain(subject=subject, headers=headers), envelope_from=envelope_from)
    assert (parsed.auto_reply, parsed.auto_submitted, parsed.auto_reason) == (True, True, reason)


def test_a_person_s_mail_is_not_automatic():
    for headers in ("Auto-Submitted: no\n", "Precedence: first-class\n", ""):
        parsed = parse(payloads.plain(subject="Out of the woods", headers=headers), envelope_from="tunde@example.com")
        assert not (parsed.auto_reply or parsed.auto_submitted or parsed.bounce), headers
        assert "auto_submitted" not in parsed.metadata()


def test_mail_asking_for_no_automatic_answer_is_never_answered_but_is_no_auto_reply():
    parsed = parse(payloads.plain(headers="X-Auto-Response-Suppress: DR, OOF, AutoReply\n"))
    assert parsed.auto_submitted and not parsed.auto_reply


def test_a_dsn_names_the_bounced_message_and_its_diagnostic():
    parsed = parse(payloads.dsn_bounce(bounced_id="<omni.42@isp.example>"))
    assert parsed.bounce and parsed.auto_submitted and parsed.bounce_failed
    assert parsed.bounced_ids == ["<omni.42@isp.example>"]
    assert "550 5.1.1" in parsed.bounce_diagnostic and "User unknown" in parsed.bounce_diagnostic
    assert parsed.attachments == []  # the report's parts are read, not stored as files


def test_a_delayed_delivery_report_is_a_bounce_that_did_not_fail():
    raw = payloads.dsn_bounce().replace(b"Action: failed", b"Action: delayed")
    parsed = parse(raw)
    assert parsed.bounce and not parsed.bounce_failed


def test_a_mailer_daemon_or_postmaster_sender_is_a_bounce_even_without_a_report():
    for sender in ("MAILER-DAEMON@mx.example.net", "Postmaster <postmaster@example.net>"):
        body = "Your message could not be delivered.\n\nMessage-ID: <omni.7@isp.example>\n"
        parsed = parse(payloads.plain(sender=sender, subject="Delivery failure", body=body))
        assert parsed.bounce and parsed.bounced_ids == ["<omni.7@isp.example>"], sender


def test_an_html_only_message_becomes_text_without_scripts_styles_or_its_quote():
    parsed = parse(payloads.html_only())
    assert parsed.html
    assert parsed.body == (
        "Hello team,\n\nMy bill shows two charges for November:\n\n- \u20a615,000 on the 1st\n- \u20a615,000 on the 2nd"
        "\n\nPlease refund one.\nThanks,\nNgozi"
    )
    assert "> Your bill for November is ready." in parsed.text
    assert "alert" not in parsed.text and "color" not in parsed.text and "<" not in parsed.body


def test_attachments_are_read_with_their_names_types_and_bytes():
    parsed = parse(payloads.with_attachments())
    files = {item.filename: item for item in parsed.attachments}
    assert set(files) == {"cable.png", "form.pdf"}
    assert files["cable.png"].content == payloads.PNG and files["cable.png"].content_type == "image/png"
    assert files["form.pdf"].content == payloads.PDF and files["form.pdf"].content_type == "application/pdf"
    assert parsed.body == "The cable outside my house is cut, photo and the signed form attached."


def test_a_message_without_message_id_gets_one_from_its_bytes():
    raw = payloads.plain().replace(b"Message-ID: <plain-1@example.com>\n", b"")
    first, again = parse(raw), parse(raw)
    assert first.message_id == again.message_id and first.message_id.endswith("@generated.invalid>")
    assert parse(raw + b"more").message_id != first.message_id


def test_a_message_without_a_sender_or_empty_is_unparsable():
    with pytest.raises(Unparsable):
        parse(b"Subject: hello\n\nno sender here\n")
    with pytest.raises(Unparsable):
        parse(b"   \n")


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("Yes, tomorrow works.\n\n-- \nTunde\n+234 803 000 0001", "Yes, tomorrow works."),
        ("Yes.\n\nSent from my iPhone", "Yes."),
        ("Fine by me.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nOld", "Fine by me."),
        ("Ok.\n\nLe lun. 30 nov. 2026 à 16:02, Support <s@x> a écrit :\n> Bonjour", "Ok."),
        ("Agreed.\n\nOn Mon, 30 Nov 2026,\nSupport <s@x>\nwrote:\n> old", "Agreed."),
        ("> only a quote\n> nothing new", "> only a quote\n> nothing new"),
        ("> your question\nmy answer", "> your question\nmy answer"),
        ("On Monday the light went out.\nPlease help.", "On Monday the light went out.\nPlease help."),
    ],
)
def test_visible_text(text, visible):
    assert visible_text(text) == visible


def test_html_to_text_keeps_preformatted_text_and_quotes_blockquotes():
    assert html_to_text("<p>a<br>b</p><blockquote><p>q</p></blockquote><pre>x\n  y</pre>") == "a\nb\n\n> q\n>\nx\n  y"


def test_a_long_references_chain_keeps_its_root_and_latest_ids():
    ids = [f"<r{n}@example.com>" for n in range(30)]
    parsed = parse(payloads.plain(headers=f"References: {' '.join(ids)}\n"))
    assert parsed.references == [ids[0], *ids[-19:]]


def test_encoded_names_and_subjects_are_decoded():
    raw = payloads.plain(
        sender="=?UTF-8?Q?=C3=93kafor=2C_Ngozi?= <Ngozi@Example.com>",
        subject="=?UTF-8?B?R3LDvMOfZSDigJMgaGVsbG8=?=",
        headers="Cc: =?UTF-8?Q?Ade=2C_Bola?= <bola@example.com>, tunde@example.com\nReply-To: <Home@Example.com>\n",
    )
    parsed = parse(raw)
    assert (parsed.from_address, parsed.from_name) == ("ngozi@example.com", "\u00d3kafor, Ngozi")
    assert parsed.subject == "Gr\u00fc\u00dfe \u2013 hello"
    assert parsed.cc == ["bola@example.com", "tunde@example.com"] and parsed.reply_to == "home@example.com"
