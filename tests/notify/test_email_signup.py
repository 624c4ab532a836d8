"""A person adds their own email address: a confirmation link goes there first, nothing else
does until it is opened, then failures in their tenants arrive by SMTP."""

from __future__ import annotations

import re

from django.test import Client

from jobs.notify.models import Delivery
from jobs.tenants.models import AuditEvent, Membership

from .conftest import drain, transition

ERROR_LOG = (
    "Msg 3201, Level 16, State 2, Line 1\n"
    "Cannot open backup device 'D:\\backup\\orders.bak'. Operating system error 2(The system "
    "cannot find the file specified.).\n"
    "Msg 3013, Level 16, State 1, Line 1\nRESTORE DATABASE is terminating abnormally.\n"
)
LINK = re.compile(r"https://dash\.example\.com(/accounts/email/confirm/[^/\s]+/)")


def test_an_address_signed_up_through_its_link_gets_failures_by_smtp(
    ntenant, smtp, django_user_model
):
    person = django_user_model.objects.create_user("dana", "", "pw")
    Membership.objects.create(user=person, tenant=ntenant, role="viewer")
    client = Client()
    client.force_login(person)
    assert (
        client.post(
            "/notifications/",
            {"failures": "on", "digest_at": "", "time_zone": "UTC", "language": "en"},
        ).status_code
        == 302
    )

    page = client.post("/accounts/email/", {"email": "dana@example.org"}, follow=True)
    assert "Waiting for you to open the link we sent to dana@example.org" in page.content.decode()
    (confirmation,) = smtp.messages
    assert confirmation["To"] == "dana@example.org"
    path = LINK.search(confirmation.get_content()).group(1)
    person.refresh_from_db()
    assert person.email == ""  # not used before the link is opened

    transition(ntenant, "job-1", "FAILED", error_log=ERROR_LOG)
    drain()
    assert len(smtp.messages) == 1  # the failure did not go to the unconfirmed address
    assert Delivery.objects.get(source="failures").last_error == "the person has no email address"

    other = Client()
    other.force_login(django_user_model.objects.create_user("eve", "", "pw"))
    assert other.get(path).status_code == 400  # someone else's link does nothing

    confirmed = client.get(path, follow=True)
    assert "Confirmed: notifications go to dana@example.org." in confirmed.content.decode()
    person.refresh_from_db()
    assert person.email == "dana@example.org"
    assert client.get(path).status_code == 400  # used once

    transition(ntenant, "job-2", "FAILED", error_log=ERROR_LOG)
    drain()
    failure = smtp.messages[-1]
    assert len(smtp.messages) == 2 and failure["To"] == "dana@example.org"
    text = failure.get_body(("plain",)).get_content()
    assert "Error: Cannot open backup device" in text  # the message, not its "Msg" header
    assert "Likely cause: The backup file could not be opened: it was not found" in text
    assert "https://dash.example.com/tenants/acme/jobs/job-2/" in text
    actions = list(AuditEvent.objects.filter(actor=person).values_list("action", flat=True))
    assert "email_confirmation_sent" in actions and "email_confirmed" in actions


def test_a_newer_request_replaces_the_older_link(ntenant, smtp, django_user_model):
    person = django_user_model.objects.create_user("dana", "", "pw")
    client = Client()
    client.force_login(person)
    client.post("/accounts/email/", {"email": "old@example.org"})
    client.post("/accounts/email/", {"email": "new@example.org"})
    old, new = (LINK.search(m.get_content()).group(1) for m in smtp.messages)
    assert "address you have since replaced" in client.get(old).content.decode()
    assert client.get(new).status_code == 302
    person.refresh_from_db()
    assert person.email == "new@example.org"


def test_an_address_another_account_has_is_refused(ntenant, smtp, django_user_model):
    django_user_model.objects.create_user("first", "taken@example.org", "pw")
    client = Client()
    client.force_login(django_user_model.objects.create_user("second", "", "pw"))
    response = client.post("/accounts/email/", {"email": "taken@example.org"})
    assert response.status_code == 400
    assert "Another account has this address." in response.content.decode()
    assert smtp.messages == []
