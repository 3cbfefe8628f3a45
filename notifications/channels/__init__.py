"""Channel senders, by channel. A channel without a sender fails its deliveries with a clear reason."""

from ..choices import Channel
from . import email, inapp

SENDERS = {
    Channel.EMAIL: email.send,
    Channel.INAPP: inapp.send,
}
