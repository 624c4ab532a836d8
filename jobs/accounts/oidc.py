"""Single sign-on with OpenID Connect (mozilla-django-oidc), configured from the environment.

Off while OIDC_ISSUER is unset. The provider's endpoints come from its discovery document
(`{OIDC_ISSUER}/.well-known/openid-configuration`), read at the first sign-in and kept for an
hour; nothing is fetched at start-up, and a password sign-in never asks the provider.

- A person is found by the ID token's (issuer, sub), never by e-mail; a first sign-in creates
  them with no tenant and no usable password.
- OIDC_GROUP_ROLES ("group=tenant-slug:role,…") maps the groups claim (OIDC_GROUPS_CLAIM) to
  memberships at every sign-in: for each tenant named in the mapping, the person's role is the
  highest one their groups give, and a person whose groups give none is removed from it.
  Tenants the mapping does not name are managed by hand as before.
- Every call to the provider has a deadline (OIDC_TIMEOUT seconds, the body read included) and a
  size cap; what reaches a log line or the audit log is the failure's kind, never a token, a
  code, the client secret or the provider's response body.
- Failed sign-ins count against the per-address sign-in lockout and are audited; a locked-out
  address cannot start or finish one.

mozilla-django-oidc rather than django-allauth: we need one OpenID Connect provider beside the
sign-in form we have (its lockout, audit and break-glass rule), not allauth's account system
(its own sign-up, e-mail and social-account models, templates and middleware). mozilla-django-
oidc is one authentication backend and two views, each a method we can override: the endpoints
from discovery, our deadlines on every call, the subject as the key, the groups mapping.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import smart_str
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST
from mozilla_django_oidc import views as oidc_views
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from jobs.accounts import lockout
from jobs.accounts.models import OidcIdentity
from jobs.tenants import audit
from jobs.tenants.access import public
from jobs.tenants.models import Membership, Role, Tenant
from jobs.upstream import connect

log = logging.getLogger(__name__)

DISCOVERY_SECONDS = 3600
JWKS_SECONDS = 300
MAX_BODY = 1_000_000  # bytes of any answer from the provider
ID_TOKEN_SESSION_KEY = "oidc_id_token"  # noqa: S105 - a session key; the id_token_hint for the provider's sign-out


class ProviderError(Exception):
    """The provider could not be asked, or answered something unusable. The message names the
    kind of failure only (it reaches the audit log)."""


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_ISSUER", ""))


def provider_name() -> str:
    return settings.OIDC_PROVIDER_NAME or _("single sign-on")


# -- calls to the provider, each with a deadline ------------------------------------------------


@sensitive_variables()
def call(method: str, url: str, **kwargs) -> requests.Response:
    """One request to the provider, finished (body read) within OIDC_TIMEOUT seconds."""
    budget = float(settings.OIDC_TIMEOUT)
    deadline = time.monotonic() + budget
    # The outbound guard's watchdog shuts the socket at the deadline, whatever the provider
    # trickles; the issuer is the operator's own setting, so internal addresses are allowed.
    policy = connect.Policy(allow_private=True, deadline=deadline)
    try:
        with (
            connect.guarded(policy),
            requests.request(
                method,
                url,
                timeout=(min(3.05, budget), budget / 2),
                stream=True,
                allow_redirects=False,
                **kwargs,
            ) as response,
        ):
            body = bytearray()
            for chunk in response.iter_content(16384):
                body += chunk
                if len(body) > MAX_BODY:
                    raise ProviderError("the provider's answer is too large")
                if time.monotonic() > deadline:
                    raise ProviderError("the provider did not answer in time")
            if time.monotonic() >= deadline:  # the watchdog shut the socket mid-answer
                raise ProviderError("the provider did not answer in time")
            response._content = bytes(body)
            return response
    except requests.Timeout:
        raise ProviderError("the provider did not answer in time") from None
    except requests.RequestException as error:
        if time.monotonic() >= deadline:
            raise ProviderError("the provider did not answer in time") from None
        raise ProviderError(f"the provider could not be reached ({type(error).__name__})") from None


def _json(response: requests.Response, what: str) -> dict:
    if response.status_code != 200:
        raise ProviderError(f"{what}: HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        raise ProviderError(f"{what}: not JSON") from None
    if not isinstance(data, dict):
        raise ProviderError(f"{what}: not a JSON object")
    return data


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str = ""
    end_session_endpoint: str = ""


def provider() -> Provider:
    """The discovery document's endpoints (cached in the shared cache for an hour)."""
    issuer = settings.OIDC_ISSUER.rstrip("/")
    key = f"oidc:discovery:{issuer}"
    found = cache.get(key)
    if found is None:
        data = _json(call("GET", f"{issuer}/.well-known/openid-configuration"), "discovery")
        if str(data.get("issuer", "")).rstrip("/") != issuer:
            raise ProviderError("discovery: the document is for another issuer")
        fields = {}
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(data.get(name), str) or not data[name]:
                raise ProviderError(f"discovery: no {name}")
            fields[name] = data[name]
        for name in ("userinfo_endpoint", "end_session_endpoint"):
            if isinstance(data.get(name), str):
                fields[name] = data[name]
        found = Provider(issuer=issuer, **fields)
        cache.set(key, found, DISCOVERY_SECONDS)
    return found


FROM_DISCOVERY = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def setting(attr: str, *args):
    """mozilla-django-oidc's settings, the endpoints from the discovery document."""
    if attr in FROM_DISCOVERY:
        return getattr(provider(), FROM_DISCOVERY[attr])
    return import_from_settings(attr, *args)


# -- groups → tenant roles ----------------------------------------------------------------------


def group_roles(text: str | None = None) -> dict[str, list[tuple[str, Role]]]:
    """`OIDC_GROUP_ROLES` parsed: {group: [(tenant slug, role), …]}. Entries that do not read
    as `group=slug:role` with a known role are skipped with a warning."""
    text = settings.OIDC_GROUP_ROLES if text is None else text
    mapping: dict[str, list[tuple[str, Role]]] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        group, _eq, target = entry.rpartition("=")
        slug, _colon, role = target.partition(":")
        if not group or not slug or role not in Role.values:
            log.warning("OIDC_GROUP_ROLES: skipped %r (want group=tenant-slug:role)", entry)
            continue
        mapping.setdefault(group.strip(), []).append((slug.strip(), Role(role)))
    return mapping


def claimed_groups(claims: dict) -> set[str]:
    value = claims.get(settings.OIDC_GROUPS_CLAIM)
    if isinstance(value, str):
        return {value}
    if isinstance(value, list | tuple):
        return {str(v) for v in value if isinstance(v, str | int)}
    return set()


def apply_groups(user, groups: set[str], request: HttpRequest | None = None) -> None:
    """The memberships the mapping manages, made to match `groups` (audited as changes made by
    the person's groups)."""
    mapping = group_roles()
    if not mapping:
        return
    wanted: dict[str, Role] = {}
    managed: set[str] = set()
    for group, targets in mapping.items():
        for slug, role in targets:
            managed.add(slug)
            if group in groups and (slug not in wanted or role.rank > wanted[slug].rank):
                wanted[slug] = role
    tenants = {t.slug: t for t in Tenant.objects.filter(slug__in=managed)}
    for slug in managed - set(tenants):
        log.warning("OIDC_GROUP_ROLES names tenant %r, which does not exist", slug)
    existing = {
        m.tenant.slug: m
        for m in Membership.objects.select_related("tenant").filter(
            user=user, tenant__slug__in=managed
        )
    }
    how = {"member": user.get_username(), "via": "oidc groups", "actor_name": user.get_username()}
    for slug, tenant in tenants.items():
        role, membership = wanted.get(slug), existing.get(slug)
        if role is None and membership is not None:
            membership.delete()
            audit.record(
                audit.Action.MEMBER_REMOVED, request=request, actor=user, tenant=tenant, **how
            )
        elif role is not None and membership is None:
            Membership.objects.create(user=user, tenant=tenant, role=role)
            audit.record(
                audit.Action.MEMBER_ADDED,
                request=request,
                actor=user,
                tenant=tenant,
                role=role.value,
                **how,
            )
        elif role is not None and membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
            audit.record(
                audit.Action.MEMBER_CHANGED,
                request=request,
                actor=user,
                tenant=tenant,
                role=role.value,
                **how,
            )


# -- the authentication backend -----------------------------------------------------------------


def _username(claims: dict) -> str:
    """The claim named by OIDC_USERNAME_CLAIM (else the e-mail's local part, else "user"),
    made unique: an existing account is never taken over by a provider's name."""
    User = get_user_model()
    raw = str(claims.get(settings.OIDC_USERNAME_CLAIM) or "")
    if not raw:
        raw = str(claims.get("email") or "").partition("@")[0] or "user"
    base = "".join(c for c in raw if c.isalnum() or c in "@.+-_")[:140] or "user"
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, with the endpoints read from discovery only when someone
    signs in this way (Django builds every backend for each password sign-in too)."""

    get_settings = staticmethod(setting)

    def __init__(self, *args, **kwargs) -> None:
        self.UserModel = get_user_model()

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: provider().token_endpoint)
    OIDC_OP_USER_ENDPOINT = property(lambda self: provider().userinfo_endpoint)
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: provider().jwks_uri)
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)
    OIDC_RP_SIGN_ALGO = property(lambda self: settings.OIDC_RP_SIGN_ALGO)
    OIDC_RP_IDP_SIGN_KEY = None

    def get_user(self, user_id):
        from jobs.accounts.backends import CachedModelBackend

        return CachedModelBackend().get_user(user_id)  # the signed-in user from the cache

    def authenticate(self, request, **kwargs):
        # Only the callback view passes a nonce: a password sign-in never reaches the provider,
        # even with ?code=…&state=… in its URL.
        if not enabled() or request is None or "nonce" not in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    @sensitive_variables()
    def get_token(self, payload):
        response = call("POST", self.OIDC_OP_TOKEN_ENDPOINT, data=payload)
        if response.status_code != 200:
            code = ""
            with contextlib.suppress(ValueError, AttributeError):
                code = str(response.json().get("error", ""))[:40]
            raise ProviderError(f"token endpoint: HTTP {response.status_code} {code}".strip())
        return _json(response, "token endpoint")

    def retrieve_matching_jwk(self, token):
        key = f"oidc:jwks:{self.OIDC_OP_JWKS_ENDPOINT}"
        jwks = cache.get(key)
        if jwks is None:
            jwks = _json(call("GET", self.OIDC_OP_JWKS_ENDPOINT), "jwks")
            cache.set(key, jwks, JWKS_SECONDS)
        header = jwt.get_unverified_header(token)
        for jwk in jwks.get("keys", []):
            if header.get("kid") and jwk.get("kid") != smart_str(header["kid"]):
                continue
            if "alg" in jwk and jwk["alg"] != smart_str(header.get("alg", "")):
                continue
            return jwt.PyJWK(jwk)
        cache.delete(key)  # the provider may have rotated its keys: read them again next time
        raise SuspiciousOperation("no signing key of the provider matches the ID token")

    @sensitive_variables()
    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        if str(payload.get("iss", "")).rstrip("/") != provider().issuer:
            raise SuspiciousOperation("the ID token is from another issuer")
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("the ID token is for another client")
        self._id_claims = payload
        return payload

    @sensitive_variables()
    def get_userinfo(self, access_token, id_token, payload):
        claims = dict(payload)  # the ID token's claims (Entra ID puts the groups there)
        if self.OIDC_OP_USER_ENDPOINT:
            response = call(
                "GET",
                self.OIDC_OP_USER_ENDPOINT,
                headers={"Authorization": f"Bearer {access_token}"},
            )
            if response.headers.get("content-type", "").lower().startswith("application/jwt"):
                info = self.verify_token(response.text)
            else:
                info = _json(response, "userinfo")
            if info.get("sub") not in (None, payload.get("sub")):
                raise SuspiciousOperation("userinfo is about another subject")
            claims.update(info)
        self._claims = claims  # for the group mapping, after the person is found
        return claims

    def verify_claims(self, claims) -> bool:
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(
            oidc_identities__issuer=provider().issuer, oidc_identities__subject=claims["sub"]
        )

    def create_user(self, claims):
        with transaction.atomic():
            user = self.UserModel(username=_username(claims), email=claims.get("email") or "")
            user.set_unusable_password()
            user.save()
            OidcIdentity.objects.create(user=user, issuer=provider().issuer, subject=claims["sub"])
        return user

    def update_user(self, user, claims):
        email = claims.get("email") or ""
        if email and email != user.email:
            user.email = email
            user.save(update_fields=["email"])
        return user

    def get_or_create_user(self, access_token, id_token, payload):
        user = super().get_or_create_user(access_token, id_token, payload)
        if user is not None and user.is_active:
            apply_groups(user, claimed_groups(self._claims), self.request)
            OidcIdentity.objects.filter(user=user, issuer=provider().issuer).update(
                last_login_at=timezone.now()
            )
        return user

    def store_tokens(self, access_token, id_token):
        self.request.session[ID_TOKEN_SESSION_KEY] = id_token  # the provider's sign-out hint


# -- the lockout: failed sign-ins count against the address ------------------------------------


def _address_key(request) -> str:
    """The password form's per-address counter (jobs.accounts.lockout): one limit for both."""
    return f"login-attempts:ip:{audit.client_ip(request) or 'unknown'}"


def locked_out(request) -> bool:
    return (cache.get(_address_key(request)) or 0) >= lockout.MAX_FAILURES_PER_IP


def count_failure(request) -> None:
    key = _address_key(request)
    cache.add(key, 0, lockout.LOCKOUT_SECONDS)
    try:
        cache.incr(key)
    except ValueError:
        cache.add(key, 1, lockout.LOCKOUT_SECONDS)


def _refuse_locked(request) -> HttpResponse:
    audit.record(audit.Action.LOGIN_LOCKED, request=request, method="oidc")
    messages.error(request, _("Too many failed sign-ins. Wait 15 minutes, then try again."))
    return redirect("login")


# -- views --------------------------------------------------------------------------------------


class StartView(oidc_views.OIDCAuthenticationRequestView):
    """The "Sign in with …" link: to the provider's authorization endpoint (code flow, PKCE)."""

    get_settings = staticmethod(setting)

    def __init__(self, *args, **kwargs) -> None:
        super(oidc_views.OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    def get(self, request):
        if not enabled():
            raise Http404
        if locked_out(request):
            return _refuse_locked(request)
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider().authorization_endpoint
        except ProviderError as error:
            return _failed(request, str(error))
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


def _failed(request, reason: str, username: str = "") -> HttpResponse:
    count_failure(request)
    audit.record(
        audit.Action.LOGIN_FAILED,
        request=request,
        actor_name=username,
        method="oidc",
        reason=reason[:200],
    )
    log.warning("Sign-in with %s failed: %s", settings.OIDC_ISSUER, reason)
    messages.error(
        request,
        _("Sign-in with %(provider)s failed. Try again, or ask your administrator.")
        % {"provider": provider_name()},
    )
    return redirect("login")


class CallbackView(oidc_views.OIDCAuthenticationCallbackView):
    """Where the provider sends the person back with a code."""

    get_settings = staticmethod(setting)

    def get(self, request):
        if not enabled():
            raise Http404
        if locked_out(request):
            return _refuse_locked(request)
        refused = re.sub(r"[^a-z_]", "", request.GET.get("error", ""))[:40]
        self.reason = f"the provider refused ({refused})" if refused else "no such sign-in"
        try:
            return super().get(request)
        except ProviderError as error:
            return _failed(request, str(error))
        except SuspiciousOperation as error:
            return _failed(request, str(error)[:200])

    def login_failure(self):
        user = getattr(self, "user", None)
        if user is not None and not user.is_active:
            self.reason = "the account is inactive"
        elif "code" in self.request.GET and getattr(self, "user", "unset") is None:
            self.reason = "no person for these claims"
        return _failed(self.request, self.reason, getattr(user, "username", "") or "")


start = public(StartView.as_view())
callback = public(CallbackView.as_view())


@public
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """Ends the session here and, after an OIDC sign-in, at the provider too (when its discovery
    document names an end_session_endpoint)."""
    id_token = request.session.get(ID_TOKEN_SESSION_KEY)
    target = reverse(settings.LOGOUT_REDIRECT_URL)
    if id_token and enabled():
        try:
            end_session = provider().end_session_endpoint
        except ProviderError:
            end_session = ""
        if end_session:
            query = {
                "id_token_hint": id_token,
                "client_id": settings.OIDC_RP_CLIENT_ID,
                "post_logout_redirect_uri": request.build_absolute_uri(target),
                "state": secrets.token_urlsafe(16),
            }
            target = f"{end_session}?{urlencode(query)}"
    auth.logout(request)
    return HttpResponseRedirect(target)


def form_action_sources() -> list[str]:
    """The provider's origin, for the pages' CSP form-action (sign-out is a form whose answer
    redirects to the provider)."""
    if not enabled():
        return []
    parts = urlsplit(settings.OIDC_ISSUER)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []
