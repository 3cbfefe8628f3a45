"""Security in production (DEBUG off): HTTPS redirects and HSTS, `__Host-` session and CSRF cookies over https,
SameSite=Lax, and the exact origins trusted for CSRF (the staff host and the three portals)."""

from urllib.parse import urlsplit

from .base import DEBUG, OMNI_BASE_URL, OMNI_DOMAIN, PORTAL_HOSTS, env

# Security: strict in production (DEBUG off); `check --deploy` is clean then.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Cookies and origins. Served over https (always so with DEBUG off), the session and CSRF cookies are `__Host-`
# cookies: Secure, Path=/ and no Domain, so no sibling host (another portal, any other *.OMNI_DOMAIN) can read
# them or plant one of its own in their place (a browser refuses a `__Host-` cookie that has a Domain). Plain
# http (development) cannot carry the prefix: host-only cookies there. SameSite=Lax: a link from an email still
# arrives signed in; a cross-site POST carries neither cookie. Pages send the CSRF token from the template
# (hx-headers), so no script needs to read its cookie.
_BASE_URL = urlsplit(OMNI_BASE_URL)
_HTTPS = not DEBUG or _BASE_URL.scheme == "https"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _HTTPS
SESSION_COOKIE_NAME = "__Host-sessionid" if _HTTPS else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if _HTTPS else "csrftoken"
SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = "/"
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"  # in the session: no third cookie
# Exactly the four origins the portals are served from (with OMNI_BASE_URL's port, if any), not every subdomain.
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS",
    default=[
        f"{'https' if _HTTPS else 'http'}://{host}{f':{_BASE_URL.port}' if _BASE_URL.port else ''}"
        for host in [OMNI_DOMAIN, *PORTAL_HOSTS.values()]
    ],
)
