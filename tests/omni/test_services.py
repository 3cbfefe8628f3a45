"""omni.services.portal_user_create: one user per email (any case), also under concurrent requests."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from omni.exceptions import Conflict
from omni.models import User
from omni.services import portal_user_create
from tests.crm.test_services_concurrency import run_together


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
def test_without_password_an_invitation_is_sent_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user = portal_user_create(email="New.Person@Example.com", password=None, full_name="New", audience="reseller")
    assert len(callbacks) == 1
    assert user.email == "new.person@example.com" and not user.has_usable_password()
    assert not user.is_staff and user.audience == "reseller"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.person@example.com"]
    assert "http://reseller.localhost:8000/" in mail.outbox[0].body


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
