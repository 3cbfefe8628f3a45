"""omni.services.portal_user_create: one user per email (any case), also under concurrent requests."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from omni.exceptions import Conflict
from omni.models import User
from omni.services import invitation_resend, portal_user_create
from omni.tasks import invitation_send_task
from tests.celery_support import run_published
from tests.crm.test_services_concurrency import run_together
from tests.notifications.email_support import smtp_running


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_the_same_email_one_wins():
    for n in range(4):
        email = f"race{n}@example.com"
        results = run_together(
            *(
                lambda variant=variant: portal_user_create(
                    email=variant, password="pw-Race-12345", full_name="Racer", audience="customer"
                )
                for variant in (email, email.upper())
            )
        )
        assert sorted(results) == ["conflict", "ok"], results
        assert User.objects.filter(email__iexact=email).count() == 1


@pytest.mark.django_db
def test_taken_email_is_conflict_naming_email(customer):
    with pytest.raises(Conflict) as excinfo:
        portal_user_create(email=" CUSTOMER@example.com ", password=None, full_name="", audience="vendor")
    assert excinfo.value.status_code == 409 and "email" in excinfo.value.fields
    assert User.objects.filter(email__iexact="customer@example.com").count() == 1


@pytest.mark.django_db
def test_without_password_an_invitation_is_queued_after_commit_and_the_worker_mails_it(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        user = portal_user_create(email="New.Person@Example.com", password=None, full_name="New", audience="reseller")
    assert run_published(invitation_send_task, str(user.pk)) == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert user.email == "new.person@example.com" and not user.has_usable_password()
    assert not user.is_staff and user.audience == "reseller"
    assert mail.outbox == []  # the request never waits for the mail server

    assert [result.state for result in run_published(invitation_send_task, str(user.pk))] == ["SUCCESS"]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.person@example.com"]
    assert "http://reseller.localhost:8000/" in mail.outbox[0].body


@pytest.mark.django_db
def test_the_worker_retries_an_invitation_while_the_mail_server_refuses(settings, django_capture_on_commit_callbacks):
    with smtp_running(settings) as smtp:
        smtp.data_replies = ["451 4.3.0 Try again later"]
        with django_capture_on_commit_callbacks(execute=True):
            user = portal_user_create(email="retry@example.com", password=None, full_name="", audience="customer")
        # Run here, a retry runs at once (a worker waits for the backoff first): refused once, then sent.
        assert [result.state for result in run_published(invitation_send_task, str(user.pk))] == ["SUCCESS"]
    assert smtp.data_commands == 2
    assert [message["To"] for message in smtp.messages] == ["retry@example.com"]


@pytest.mark.django_db
def test_an_invitation_is_not_sent_to_someone_who_chose_a_password_meanwhile(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = portal_user_create(email="quick@example.com", password=None, full_name="", audience="customer")
    user.set_password("pw-Quick-12345")
    user.save()
    assert [result.state for result in run_published(invitation_send_task, str(user.pk))] == ["SUCCESS"]
    assert mail.outbox == []


@pytest.mark.django_db
def test_resend_queues_a_new_invitation_until_a_password_is_chosen(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user = portal_user_create(email="again@example.com", password=None, full_name="", audience="customer")
        invitation_resend(user_id=user.pk)
    assert len(run_published(invitation_send_task, str(user.pk))) == 2
    links = [message.body.split("\n\n")[2] for message in mail.outbox]
    assert len(links) == 2 and all("/accounts/password/reset/key/" in link for link in links)

    user.set_password("pw-Again-12345")
    user.save()
    with pytest.raises(Conflict, match="already chosen a password"):
        invitation_resend(user_id=user.pk)
    user.is_active = False
    user.save()
    with pytest.raises(Conflict, match="deactivated"):
        invitation_resend(user_id=user.pk)


@pytest.mark.django_db
def test_with_a_password_no_invitation(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user = portal_user_create(email="pw@example.com", password="pw-Some-12345", full_name="", audience="vendor")
    assert callbacks == [] and mail.outbox == []
    assert user.check_password("pw-Some-12345")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "audience", "field"), [("bad", "customer", "email"), ("s@example.com", "staff", "audience")]
)
def test_bad_input_is_validation_error(email, audience, field):
    before = User.objects.count()  # guardian's anonymous user is there already
    with pytest.raises(ValidationError) as excinfo:
        portal_user_create(email=email, password=None, full_name="", audience=audience)
    assert field in excinfo.value.message_dict
    assert User.objects.count() == before
