"""Credentials are checked where they are typed: a pasted `€` or zero-width space, a control
character or a 100 KB password is a form error (and a CLI error), never a stored tenant that 500s
every page. Error messages never repeat the value."""

from __future__ import annotations

import pytest
from django.core.management.base import CommandError

from jobs.tenants.models import Tenant
from tests.support import EXAMPLE_ID
from tests.tenants.test_cli import run

pytestmark = pytest.mark.django_db

BAD = {
    "access_key": ["AK€XAMPLE", "AK\u200bEXAMPLE", "akexample", "AK EXAMPLE", "A" * 65, "AK\x00"],
    "secret_key": ["sk€secret", "sk\u200bsecret", "sk secret", "sk\tsecret", "s" * 129],
    "password": ["pw\u200bpassword", "pw\x07password", "pw\u202epassword", "p" * 100 * 1024],
    "iam_domain": ["acme\u202e", "acme\x1b[31m", "a" * 65],
    "iam_user": ["reader\u200b", "reader\r\nX-Injected: 1", "u" * 65],
}


def form(auth: str, url: str, **changes) -> dict:
    data = {
        "name": "Checked",
        "region": "ap-southeast-3",
        "project_id": "p1",
        "auth_method": auth,
        "language": "en-us",
        "drs_endpoint": url,
        "iam_endpoint": url,
    }
    if auth == "aksk":
        data |= {"access_key": "AKEXAMPLE0123456789", "secret_key": "Sk0123456789abcdef+/="}
    else:
        data |= {"iam_domain": "acme", "iam_user": "reader", "password": "Pässwörd with spaces!"}
    return data | changes


@pytest.mark.parametrize(
    "field,value", [(f, v) for f, values in BAD.items() for v in values], ids=repr
)
def test_bad_credentials_are_form_errors(login, simulator, field, value):
    auth = "aksk" if field in ("access_key", "secret_key") else "password"
    response = login("root").post("/tenants/new/", form(auth, simulator.url, **{field: value}))
    assert response.status_code == 400
    assert not Tenant.objects.filter(name="Checked").exists()
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    assert value not in " ".join(errors[field])
    if field in ("password", "secret_key"):
        assert value not in response.content.decode()


@pytest.mark.parametrize("auth", ["aksk", "password"])
def test_good_credentials_are_accepted(login, simulator, auth):
    response = login("root").post("/tenants/new/", form(auth, simulator.url))
    assert response.status_code == 302, response.context["form"].errors
    assert Tenant.objects.filter(name="Checked").exists()


@pytest.mark.parametrize(
    "args,env",
    [
        (["--auth", "aksk", "--ak", "AK€"], {"DRS_SK": "fine-secret"}),
        (["--auth", "aksk", "--ak", "AKFINE"], {"DRS_SK": "zero\u200bwidth"}),
        (["--auth", "password", "--domain", "d", "--user", "u"], {"DRS_PASSWORD": "p" * 102400}),
    ],
)
def test_cli_refuses_bad_credentials(simulator, args, env):
    common = [
        "add",
        "--name",
        "CLI",
        "--region",
        "ap-southeast-3",
        "--project-id",
        "p1",
        "--drs-endpoint",
        simulator.url,
        "--iam-endpoint",
        simulator.url,
    ]
    with pytest.raises(CommandError, match="Tenant not created") as error:
        run(*common, *args, env=env)
    assert "p" * 200 not in str(error.value) and "\u200b" not in str(error.value)
    assert not Tenant.objects.filter(name="CLI").exists()


def test_a_tenant_saved_before_the_checks_gets_a_message_not_a_500(login, make_tenant):
    """A `€` pasted into an access key before input was validated: the job page says what is
    wrong with the stored credentials instead of failing inside the HTTP library."""
    from jobs.tenants.models import Tenant

    tenant = make_tenant("Old keys", auth="aksk")
    Tenant.objects.filter(pk=tenant.pk).update(access_key="AK€XAMPLE")
    response = login("root").get(f"/tenants/{tenant.slug}/jobs/{EXAMPLE_ID}/")
    assert response.status_code == 502
    assert "The stored credentials cannot be sent" in response.content.decode()
