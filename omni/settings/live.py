"""Live updates and web chat: where pages open their Server-Sent Events streams and how those streams behave, the
web chat widget's rate limits, the customer portal's chat channel and how long a visitor token lasts."""

from .base import env

# Live updates (omni.sse, README "Live updates"): Server-Sent Events fed by Redis pub/sub, served by the `live`
# process (ASGI, uvicorn workers). LIVE_URL is where pages open their streams: empty for the page's own origin,
# a port alone (":8001", as `make run` sets it) for the same host name on that port, or a full origin.
LIVE_URL = env.str("LIVE_URL", default="")
LIVE_HEARTBEAT_SECONDS = env.float("LIVE_HEARTBEAT_SECONDS", default=15.0)
LIVE_STREAM_MAX_SECONDS = env.float("LIVE_STREAM_MAX_SECONDS", default=300.0)
LIVE_RETRY_MS = env.int("LIVE_RETRY_MS", default=3000)
# Web chat (crm.hooks.webchat): requests per client address and channel to the widget's public endpoints in any
# WEBCHAT_RATE_WINDOW seconds (the live stream is not counted), and the channel the customer portal's chat uses
# (a web chat channel's id; empty: the first active web chat channel whose settings say "portal": true).
WEBCHAT_RATE_LIMIT = env.int("WEBCHAT_RATE_LIMIT", default=60)
WEBCHAT_RATE_WINDOW = env.int("WEBCHAT_RATE_WINDOW", default=60)
WEBCHAT_PORTAL_CHANNEL = env.str("WEBCHAT_PORTAL_CHANNEL", default="")
# How long a web chat visitor token stays valid (seconds; the widget asks for a new session after it expires).
WEBCHAT_TOKEN_MAX_AGE = env.int("WEBCHAT_TOKEN_MAX_AGE", default=90 * 24 * 3600)
