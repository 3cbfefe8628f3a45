import time

from celery import shared_task

from . import health, invitations


@shared_task(ignore_result=True, expires=30)
def heartbeat() -> None:
    """Beat, every HEARTBEAT_INTERVAL seconds: records that a worker took a task off the queue. Idempotent."""
    health.worker_stamp(time.time())


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),  # smtplib.SMTPException and refused connections are OSErrors
    retry_backoff=60,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=6,  # about an hour in all; then staff resend it from the account page
)
def invitation_send_task(user_id: str) -> None:
    """Email a portal invitation. Runs after the user's transaction commits, so a mail server that is down delays
    the invitation instead of failing the request that created the user."""
    invitations.invitation_send(user_id=user_id)
