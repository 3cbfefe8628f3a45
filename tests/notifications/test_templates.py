"""Templates: validation names the line and the reason, the sandbox reaches nothing, language fallback, the
admin's form, live preview and test send."""

import pytest
from django.core.exceptions import ValidationError

from notifications import rendering, services
from notifications.choices import Channel, DeliveryStatus
from notifications.models import Delivery, Notification, Template
from tests.notifications.email_support import (
    NEWSLETTER,
    contact,
    parts,
    smtp_running,
)
from tests.omni.factories import StaffFactory

NEWS = {"title": "Fibre in Lekki", "body": "Now live.", "account": {"number": "ACC-1"}}
PREVIEW = "/admin/notifications/template/preview/"
TEST_SEND = "/admin/notifications/template/test-send/"
ADD = "/admin/notifications/template/add/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_server(settings):
    with smtp_running(settings) as server:
        yield server


def _errors(**parts) -> dict:
    fields = {"subject": "", "text": "", "html": "", **parts}
    with pytest.raises(ValidationError) as caught:
        rendering.validate(event=NEWSLETTER, **fields)
    return caught.value.message_dict


# ---- validation and the sandbox ------------------------------------------------------------------------------


def test_a_syntax_error_names_its_line_and_reason():
    errors = _errors(text="Hello {{ recipient.name }}\n\n{% if title %}\nNo end")
    assert errors == {
        "body_text": [
            "line 3: Unexpected end of template. Jinja was looking for the following tags: "
            "'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'."
        ]
    }


def test_an_unknown_value_names_its_line():
    errors = _errors(subject="ok {{ title }}", html="<p>{{ title }}</p>\n<p>{{ price }}</p>")
    assert errors == {"body_html": ["line 2: unknown value: 'price' is undefined"]}


def test_a_render_error_names_its_line():
    assert _errors(text="a\nb\n{{ 1 / 0 }}") == {"body_text": ["line 3: ZeroDivisionError: division by zero"]}


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ title.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ recipient.__class__ }}",
        "{{ title.upper.__self__ }}",
        "{{ '{0.__class__}'.format(title) }}",
        "{{ joiner.__init__.__globals__['os'] }}",
    ],
)
def test_the_sandbox_refuses_to_reach_python_internals(source):
    (reason,) = _errors(text=source)["body_text"]
    assert reason.startswith("line 1: not allowed:") or "unsafe" in reason


@pytest.mark.parametrize(
    ("source", "reason_part"),
    [
        ("{{ 'x' * 10000000 }}", "not allowed: result longer than"),
        ("{{ 9 ** 999999 }}", "not allowed: exponent too large"),
        ("{% for i in range(1000) %}{{ 'x' * 300 }}{% endfor %}", "not allowed: output longer than"),
        ("{{ lipsum() }}", "'lipsum' is undefined"),  # Jinja's globals are not there to burn CPU
    ],
)
def test_the_sandbox_refuses_runaway_output(source, reason_part):
    (reason,) = _errors(text=source)["body_text"]
    assert reason_part in reason


def test_a_template_stored_around_validation_still_cannot_reach_internals(smtp_server):
    # Someone wrote the row directly: sending renders it in the sandbox and fails it, with the reason.
    Template.objects.create(event=NEWSLETTER, channel=Channel.EMAIL, language="en", subject="x",
                            body_text="{{ ''.__class__.__mro__ }}")  # fmt: skip
    (delivery,) = services.notify(NEWSLETTER, [contact()], NEWS)
    services.deliveries_send([delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "SecurityError" in delivery.reason and "__class__" in delivery.reason
    assert smtp_server.messages == []


def test_templates_walk_nested_payload_and_loops():
    rendering.validate(
        event=NEWSLETTER,
        subject="{{ title|upper }}",
        text="{% for x in account.tags %}{{ x }}{% endfor %} {{ account.number }} {{ body|default('-') }}",
        html="{% if account %}<b>{{ account.number }}</b>{% endif %}",
    )


# ---- language fallback ------------------------------------------------------------------------------------------


def _template(language, subject, *, active=True):
    return Template.objects.create(
        event=NEWSLETTER, channel=Channel.EMAIL, language=language, subject=subject, body_text="{{ body }}",
        is_active=active,
    )  # fmt: skip


def test_a_translation_is_used_for_its_language():
    _template("fr", "Nouvelles : {{ title }}")
    rendered = rendering.render(event=NEWSLETTER, channel=Channel.EMAIL, language="fr", payload=NEWS)
    assert (rendered.subject, rendered.language) == ("Nouvelles : Fibre in Lekki", "fr")


def test_a_regional_language_uses_its_base_language():
    _template("fr", "Nouvelles : {{ title }}")
    rendered = rendering.render(event=NEWSLETTER, channel=Channel.EMAIL, language="fr-ca", payload=NEWS)
    assert rendered.language == "fr"


def test_a_missing_translation_falls_back_to_the_default_language_in_the_db():
    _template("en", "Edited: {{ title }}")
    rendered = rendering.render(event=NEWSLETTER, channel=Channel.EMAIL, language="fr", payload=NEWS)
    assert (rendered.subject, rendered.language) == ("Edited: Fibre in Lekki", "en")


def test_an_inactive_translation_falls_back_to_the_apps_default():
    _template("fr", "Nouvelles : {{ title }}", active=False)
    payload = {**NEWS, "recipient": {"name": "Ada"}, "url": ""}
    rendered = rendering.render(event=NEWSLETTER, channel=Channel.EMAIL, language="fr", payload=payload)
    assert (rendered.subject, rendered.language) == ("News: Fibre in Lekki", "en-gb")  # LANGUAGE_CODE


def test_a_french_contact_gets_the_french_email(smtp_server):
    Template.objects.create(
        event=NEWSLETTER, channel=Channel.EMAIL, language="fr", subject="Nouvelles : {{ title }}",
        body_text="Bonjour {{ recipient.name }}", body_html="<p>Bonjour <b>{{ recipient.name }}</b></p>",
    )  # fmt: skip
    deliveries = services.notify(NEWSLETTER, [contact(language="fr"), contact(name="Bo", language="de")], NEWS)
    services.deliveries_send([d.pk for d in deliveries])
    subjects = sorted(m["Subject"] for m in smtp_server.messages)
    assert subjects == ["News: Fibre in Lekki", "Nouvelles : Fibre in Lekki"]  # German: no text, default language
    french = next(m for m in smtp_server.messages if m["Subject"].startswith("Nouvelles"))
    text, html = parts(french)
    assert "Bonjour Ada Obi" in text and "/notifications/unsubscribe/" in text
    assert "<b>Ada Obi</b>" in html


# ---- the admin ----------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client_as, admin_user):
    return client_as(admin_user)


def test_admin_refuses_a_template_that_does_not_render_with_line_and_reason(admin_client):
    data = {"event": NEWSLETTER, "channel": Channel.EMAIL, "language": "en", "subject": "News",
            "body_text": "ok\n{{ title }\n", "body_html": "", "is_active": "on"}  # fmt: skip
    response = admin_client.post(ADD, data)
    assert response.status_code == 200  # the form again, with the error
    assert "line 2: unexpected &#x27;}&#x27;" in response.content.decode()
    assert not Template.objects.exists()


def test_admin_refuses_html_on_an_sms_template_and_an_email_without_subject(admin_client):
    data = {"event": NEWSLETTER, "channel": Channel.SMS, "language": "en", "subject": "",
            "body_text": "hi", "body_html": "<b>hi</b>"}  # fmt: skip
    assert "Only emails have an HTML body." in admin_client.post(ADD, data).content.decode()
    data = {**data, "channel": Channel.EMAIL, "body_html": ""}
    assert "An email needs a subject." in admin_client.post(ADD, data).content.decode()
    assert not Template.objects.exists()


def test_admin_saves_a_valid_template(admin_client):
    data = {"event": NEWSLETTER, "channel": Channel.EMAIL, "language": "fr", "subject": "Nouvelles : {{ title }}",
            "body_text": "{{ body }}", "body_html": "<p>{{ body }}</p>", "is_active": "on"}  # fmt: skip
    response = admin_client.post(ADD, data)
    assert response.status_code == 302
    template = Template.objects.get()
    assert (template.event, template.language, template.subject) == (NEWSLETTER, "fr", "Nouvelles : {{ title }}")


def test_admin_add_form_starts_from_the_apps_default_and_has_the_live_preview(admin_client):
    response = admin_client.get(ADD, {"event": NEWSLETTER, "channel": Channel.EMAIL})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="News: {{ title }}"' in body
    assert f'hx-post="{PREVIEW}"' in body and 'hx-trigger="load, input changed delay:400ms' in body
    assert f'hx-post="{TEST_SEND}"' in body
    assert "vendor/htmx.min.js" in body


def test_live_preview_renders_the_typed_template_over_the_sample_payload(admin_client):
    response = admin_client.post(PREVIEW, {"event": NEWSLETTER, "channel": Channel.EMAIL, "language": "en",
                                           "subject": "News: {{ title }}", "body_text": "Hi {{ recipient.name }}",
                                           "body_html": "<p>{{ account.number }}</p><script>x</script>"})  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 200
    assert '<dd id="preview-subject">News: title</dd>' in body
    assert "Hi recipient.name" in body
    # The HTML part is shown in a sandboxed frame (never run), escaped into srcdoc.
    assert '<iframe id="preview-html" sandbox' in body
    assert "&lt;p&gt;account.number&lt;/p&gt;" in body
    assert "<script>x</script>" not in body


def test_live_preview_shows_errors_with_their_line(admin_client):
    data = {"event": NEWSLETTER, "channel": Channel.EMAIL, "subject": "x",
            "body_text": "a\n{{ nope }}", "body_html": "{{ ''.__class__ }}"}  # fmt: skip
    response = admin_client.post(PREVIEW, data)
    body = response.content.decode()
    assert "line 2: unknown value: &#x27;nope&#x27; is undefined" in body
    assert "line 1: not allowed: access to attribute &#x27;__class__&#x27;" in body


def test_live_preview_needs_a_post_and_the_permission(client_as, admin_client, agent):
    assert admin_client.get(PREVIEW).status_code == 405
    response = client_as(agent).post(PREVIEW, {"event": NEWSLETTER, "channel": "email"})
    assert response.status_code == 403  # staff without the template permission
    assert admin_client.post(PREVIEW, {"event": "nope.nope.nope", "channel": "email"}).status_code == 200


def test_test_send_mails_the_edited_template_to_me(admin_client, admin_user, smtp_server):
    services.preference_set(recipient_key=f"omni.user:{admin_user.pk}", event=NEWSLETTER, channel="email",
                            enabled=False)  # fmt: skip
    response = admin_client.post(TEST_SEND, {"event": NEWSLETTER, "channel": Channel.EMAIL,
                                             "subject": "Draft: {{ title }}", "body_text": "Body {{ body }}",
                                             "body_html": ""})  # fmt: skip
    assert response.status_code == 200
    assert "Sent (Email) to admin@example.com." in response.content.decode()
    (message,) = smtp_server.messages  # a test goes even to someone who opted out
    assert message["To"].addresses[0].addr_spec == "admin@example.com"
    assert message["Subject"] == "Draft: title"
    assert "Body body" in parts(message)[0]
    assert not Template.objects.exists()  # nothing was saved
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_test_send_in_app_reaches_my_bell(admin_client, admin_user):
    data = {"event": NEWSLETTER, "channel": Channel.INAPP, "subject": "Draft {{ title }}", "body_text": ""}
    response = admin_client.post(TEST_SEND, data)
    assert "Sent (In-app)" in response.content.decode()
    assert Notification.objects.get(user=admin_user).title == "Draft title"


def test_test_send_refuses_a_broken_template(admin_client, smtp_server):
    response = admin_client.post(TEST_SEND, {"event": NEWSLETTER, "channel": Channel.EMAIL, "subject": "{{",
                                             "body_text": "x", "body_html": ""})  # fmt: skip
    assert "line 1:" in response.content.decode()
    assert smtp_server.messages == [] and not Delivery.objects.exists()


def test_admin_action_test_sends_the_selected_templates(admin_client, smtp_server):
    template = Template.objects.create(event=NEWSLETTER, channel=Channel.EMAIL, language="en",
                                       subject="Saved {{ title }}", body_text="{{ body }}")  # fmt: skip
    response = admin_client.post(
        "/admin/notifications/template/", {"action": "test_send", "_selected_action": [str(template.pk)]}, follow=True
    )
    assert "Sent" in response.content.decode()
    assert [m["Subject"] for m in smtp_server.messages] == ["Saved title"]


def test_agent_without_template_rights_cannot_test_send(client_as, db):
    dispatcher = StaffFactory(email="dispatch@example.com", roles=["Dispatcher"])
    response = client_as(dispatcher).post(TEST_SEND, {"event": NEWSLETTER, "channel": "email"})
    assert response.status_code == 403
    assert not Delivery.objects.exists()
