"""Signing in: the custom user model, authentication backends, password validation, django-allauth (email login,
no public sign-up) and MFA (TOTP, recovery codes)."""

from .base import DEBUG, OMNI_PRODUCT_NAME

AUTH_USER_MODEL = "omni.User"
# Sign-in by the user's own email (USERNAME_FIELD). Not allauth's backend: it also signs in with any address in
# allauth's address book, verified or not (a pending new email would work before it is verified), and it tells an
# inactive user's right password apart from a wrong one.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"

# django-allauth: email login, no public sign-up (staff invite portal users).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
# A new sign-in email takes effect only once verified (a link to the new address; omni.services.user_email_sync).
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_ADAPTER = "omni.auth.OmniAccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = OMNI_PRODUCT_NAME
# Email subjects start "<OMNI_PRODUCT_NAME>: " (omni.auth.OmniAccountAdapter.format_email_subject).
