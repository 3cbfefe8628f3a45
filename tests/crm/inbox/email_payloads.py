"""Real-shaped RFC 822 messages for the email channel's tests, as mail clients and MTAs write them: a Gmail reply
(quoted history, "-- " signature), an Outlook reply ("From: ... Sent:" block), an out-of-office, a Postfix DSN
bounce, an HTML-only message, one with attachments. Each is a function of the ids it threads on."""

from __future__ import annotations

import base64

# A 1x1 transparent PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def gmail_reply(*, to="support@isp.example", message_id="<CAF+gm1@mail.gmail.com>", in_reply_to="", references=""):
    threading = ""
    if in_reply_to:
        threading += f"In-Reply-To: {in_reply_to}\n"
    if references:
        threading += f"References: {references}\n"
    return f"""Delivered-To: {to}
Received: by 2002:a05:6a10:1234 with SMTP id q20csp123456pxb;
        Tue, 1 Dec 2026 01:15:05 -0800 (PST)
MIME-Version: 1.0
{threading}From: Ada Obi <Ada.Obi@gmail.example>
Date: Tue, 1 Dec 2026 10:15:03 +0100
Message-ID: {message_id}
Subject: Re: Internet down since this morning
To: DotMac Support <{to}>
Content-Type: multipart/alternative; boundary="000000000000a1b2c3d4e5"

--000000000000a1b2c3d4e5
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Thanks, the router is back online now. The light is green again =E2=80=93 gre=
at work.

--=20
Ada Obi
12 Marina Road, Lagos

On Mon, 30 Nov 2026 at 16:02, DotMac Support <support@isp.example>
wrote:

> Hello Ada,
>
> Please restart your router and tell us if the light turns green.
>

--000000000000a1b2c3d4e5
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Thanks, the router is back online now.</div><br><div class=
=3D"gmail_quote"><div dir=3D"ltr" class=3D"gmail_attr">On Mon, 30 Nov 2026 =
at 16:02, DotMac Support &lt;<a href=3D"mailto:support@isp.example">support@isp.=
example</a>&gt; wrote:<br></div><blockquote class=3D"gmail_quote">Hello Ada,=
</blockquote></div>

--000000000000a1b2c3d4e5--
""".encode()


OUTLOOK_ID = "<DB9PR01MB7001A@DB9PR01MB7001.eurprd01.prod.outlook.example>"


def outlook_reply(*, to="support@isp.example", message_id=OUTLOOK_ID, in_reply_to="<omni.1@isp.example>"):
    return f"""From: Bola Ade <bola@company.example>
To: "{to}" <{to}>
Subject: RE: Invoice question
Thread-Topic: Invoice question
Thread-Index: AQHZpX1c2V0AbCdEfG==
Date: Tue, 1 Dec 2026 09:00:00 +0000
Message-ID: {message_id}
References: {in_reply_to}
In-Reply-To: {in_reply_to}
Accept-Language: en-GB, en-US
Content-Language: en-GB
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
Content-Type: multipart/alternative;
	boundary="_000_DB9PR01MB7001A_"
MIME-Version: 1.0

--_000_DB9PR01MB7001A_
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

Hi,

Yes please send the corrected invoice to accounts@company.example.

Regards
Bola

________________________________
From: DotMac Support <support@isp.example>
Sent: 30 November 2026 16:02
To: Bola Ade <bola@company.example>
Subject: Invoice question

Dear Bola, your invoice INV-0042 is attached.

--_000_DB9PR01MB7001A_
Content-Type: text/html; charset="us-ascii"

<html><body><p>Hi,</p><p>Yes please send the corrected invoice.</p></body></html>

--_000_DB9PR01MB7001A_--
""".encode()


def out_of_office(*, to="support@isp.example", message_id="<oof-7781@mail.example.org>", in_reply_to=""):
    threading = f"In-Reply-To: {in_reply_to}\nReferences: {in_reply_to}\n" if in_reply_to else ""
    return f"""Return-Path: <chidi@example.org>
From: Chidi Eze <chidi@example.org>
To: {to}
Subject: Automatic reply: Your service visit
Date: Tue, 1 Dec 2026 11:00:00 +0000
Message-ID: {message_id}
{threading}Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 7bit
MIME-Version: 1.0

I am out of the office until 7 December with limited access to email.
For urgent matters call the front desk.
""".encode()


def dsn_bounce(
    *, to="support@isp.example", bounced_id="<omni.1@isp.example>", message_id="<2026120110.AB12@mx.example>"
):
    return f"""Return-Path: <>
Date: Tue,  1 Dec 2026 10:15:00 +0000 (UTC)
From: MAILER-DAEMON@mx.isp.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {to}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="AB12.1764584100/mx.isp.example"
Content-Transfer-Encoding: 8bit
Message-Id: {message_id}

This is a MIME-encapsulated message.

--AB12.1764584100/mx.isp.example
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

This is the mail system at host mx.isp.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<nobody@example.net>: host mx.example.net[203.0.113.5] said: 550 5.1.1
    <nobody@example.net>: Recipient address rejected: User unknown (in reply
    to RCPT TO command)

--AB12.1764584100/mx.isp.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.isp.example
X-Postfix-Queue-ID: AB12
X-Postfix-Sender: rfc822; {to}
Arrival-Date: Tue,  1 Dec 2026 10:14:58 +0000 (UTC)

Final-Recipient: rfc822; nobody@example.net
Original-Recipient: rfc822;nobody@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.net>: Recipient address
    rejected: User unknown (in reply to RCPT TO command)

--AB12.1764584100/mx.isp.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers
Content-Transfer-Encoding: 8bit

Received: by mx.isp.example (Postfix, from userid 0) id AB12; Tue,  1 Dec 2026 10:14:58 +0000 (UTC)
Message-ID: {bounced_id}
From: DotMac Support <{to}>
To: nobody@example.net
Subject: Re: Hello

--AB12.1764584100/mx.isp.example--
""".encode()


def html_only(*, to="support@isp.example", message_id="<html-only-1@example.com>"):
    return f"""From: "Ngozi Okafor" <ngozi@example.com>
To: {to}
Subject: Double charge on my bill
Date: Tue, 1 Dec 2026 12:00:00 +0000
Message-ID: {message_id}
MIME-Version: 1.0
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: 8bit

<html><head><style>p {{ color: red; }}</style><title>mail</title></head>
<body><p>Hello&nbsp;team,</p><p>My bill shows <b>two</b> charges for November:</p>
<ul><li>&#8358;15,000 on the 1st</li><li>&#8358;15,000 on the 2nd</li></ul>
<p>Please refund one.<br>Thanks,<br>Ngozi</p>
<div class="gmail_quote"><div>On Mon, 30 Nov 2026 at 09:00, Billing &lt;billing@isp.example&gt; wrote:</div>
<blockquote><p>Your bill for November is ready.</p></blockquote></div>
<script>alert("x")</script></body></html>
""".encode()


def with_attachments(*, to="support@isp.example", message_id="<att-1@example.com>"):
    png = base64.encodebytes(PNG).decode()
    pdf = base64.encodebytes(PDF).decode()
    return f"""From: Emeka Nwosu <emeka@example.com>
To: {to}
Subject: Photo of the damaged cable
Date: Tue, 1 Dec 2026 13:00:00 +0000
Message-ID: {message_id}
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mixed-boundary"

--mixed-boundary
Content-Type: text/plain; charset="utf-8"

The cable outside my house is cut, photo and the signed form attached.

--mixed-boundary
Content-Type: image/png; name="cable.png"
Content-Disposition: attachment; filename="cable.png"
Content-Transfer-Encoding: base64

{png}
--mixed-boundary
Content-Type: application/pdf; name="form.pdf"
Content-Disposition: attachment; filename="form.pdf"
Content-Transfer-Encoding: base64

{pdf}
--mixed-boundary--
""".encode()


def plain(*, sender="Tunde <tunde@example.com>", to="support@isp.example", subject="Hello", body="Hi there",
          message_id="<plain-1@example.com>", headers=""):  # fmt: skip
    return f"""From: {sender}
To: {to}
Subject: {subject}
Date: Tue, 1 Dec 2026 14:00:00 +0000
Message-ID: {message_id}
{headers}MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

{body}
""".encode()
