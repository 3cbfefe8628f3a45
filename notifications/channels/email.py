"""Email through Django's email backend (EMAIL_URL: plain SMTP, or a provider through django-anymail)."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from .base import PermanentError, SendResult, TransientError


def send(delivery, rendered) -> SendResult:
    """A text part and, when the template has one, an HTML part. The Message-ID is the delivery's id, so a
    resend after a crash is recognisable; List-Unsubscribe carries the no-login unsubscribe link."""
    domain = settings.OMNI_DOMAIN if "." in settings.OMNI_DOMAIN else "omni.localhost"
    message_id = f"<{delivery.pk}@{domain}>"
    headers = {"Message-ID": message_id, "X-Omni-Event": delivery.event, "X-Omni-Delivery": str(delivery.pk)}
    unsubscribe = delivery.payload.get("unsubscribe_url")
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        to=[f"{delivery.recipient_name} <{delivery.address}>" if delivery.recipient_name else delivery.address],
        headers=headers,
    )
    if rendered.html:
        message.attach_alternative(rendered.html, "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentError("recipient refused", response=str(exc.recipients)[:500]) from exc
    except (OSError, smtplib.SMTPException, TimeoutError) as exc:  # server down, 4xx: try again later
        raise TransientError(f"{type(exc).__name__}: {exc}", response=str(exc)[:500]) from exc
    return SendResult(provider_message_id=message_id, provider_response="accepted")
