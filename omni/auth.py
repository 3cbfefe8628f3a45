"""Sign-in rules: no public sign-up; each host admits only users of its audience."""

from functools import wraps

from allauth.account import views as allauth_views
from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_htmx.http import HttpResponseClientRedirect

from .choices import Audience
from .hosts import portal_url
from .middleware import client_ip


def belongs_here(user, request) -> bool:
    audience = getattr(request, "portal", Audience.STAFF)
    if audience == Audience.STAFF:
        return user.audience == Audience.STAFF and user.is_staff
    return user.audience == audience


class OmniAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False  # staff create users and invite portal users

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None and not belongs_here(user, request):
            # The right password of a user of another portal is answered exactly as a wrong one, and counted as a
            # failed attempt like one (allauth gave back the attempt on success: take it again), so this form
            # never confirms that a password was right. pre_login still guards the other ways in.
            self.pre_authenticate(request, **credentials)
            self.authentication_failed(request, **credentials)
            return None
        return user

    def get_client_ip(self, request) -> str:
        # allauth's rate limits (failed sign-ins per address, resets, ...) must count each client, not the proxy
        # every request arrives from: the address X-Forwarded-For gives behind NUM_PROXIES trusted proxies.
        ip = client_ip(request).strip()
        if not ip:
            raise PermissionDenied(_("Unable to determine the client's address."))
        return ip

    def format_email_subject(self, subject: str) -> str:
        return f"{settings.OMNI_PRODUCT_NAME}: {subject}"

    def send_password_reset_mail(self, user, email, context):
        # The link must open on the user's own portal, whichever host the reset was asked on: a customer who
        # asks on the staff host would otherwise set a password on a page that then refuses to sign them in.
        url = portal_url(user.audience, "account_reset_password_from_key", uidb36=context["uid"], key=context["key"])
        context = {**context, "password_reset_url": url}
        return super().send_password_reset_mail(user, email, context)

    def get_email_confirmation_url(self, request, emailconfirmation):
        # A new sign-in email is confirmed on the user's own portal, also when staff asked for it in the admin.
        audience = emailconfirmation.email_address.user.audience
        return portal_url(audience, "account_confirm_email", key=emailconfirmation.key)

    def confirm_email(self, request, email_address):
        # With ACCOUNT_CHANGE_EMAIL the verified address becomes the sign-in email: another user may have taken it
        # since the link was sent; refuse then, rather than fail on the unique email.
        from .models import User

        if User.objects.filter(email__iexact=email_address.email).exclude(pk=email_address.user_id).exists():
            message = _("%(email)s is already used by another account.") % {"email": email_address.email}
            self.add_message(request, messages.ERROR, message=message)
            return False
        return super().confirm_email(request, email_address)

    def pre_login(self, request, user, **kwargs):
        # Every path that signs a user in (password, reset, MFA) passes here.
        if user.is_active and not belongs_here(user, request):
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            raise PermissionDenied(_("This account cannot sign in here."))
        return super().pre_login(request, user, **kwargs)


def audience_required(view):
    """Portal and console views: anonymous users go to the login page; users of another audience get 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if getattr(request, "htmx", False):
                # htmx would follow a 302 and swap the login page into the fragment's place: send the whole
                # page to the login, coming back to the page the request came from (the session expired).
                login = redirect_to_login(request.htmx.current_url_abs_path or request.get_full_path())
                return HttpResponseClientRedirect(login.url)
            return redirect_to_login(request.get_full_path())
        if not belongs_here(request.user, request):
            raise PermissionDenied(_("This account does not belong to this portal."))
        return view(request, *args, **kwargs)

    return wrapper


@audience_required
def email_change(request):
    """allauth's email page (ACCOUNT_CHANGE_EMAIL: "change to" an address, which takes effect once verified), with
    the sign-in email first recorded as the verified primary address (omni.services.user_email_sync)."""
    from .services import user_email_sync

    user_email_sync(user=request.user)
    return allauth_views.email(request)


@never_cache
def admin_login(request, extra_context=None):
    """Stands in for the admin's own login form, which signs in with a bare password: no two-factor step, no
    allauth rate limit, no pre_login, and it would switch a signed-in session to whoever's credentials are
    posted. Whatever the method and body, nobody signs in here: anonymous visitors go to allauth's login
    (coming back to `next`), signed-in staff to `next` or the admin index, anyone else gets 403 (sending them
    back to the admin would loop)."""
    target = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ""
    target = target or reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(target)
    if not admin.site.has_permission(request):
        raise PermissionDenied(_("This account cannot use the administration."))
    return redirect(target)
