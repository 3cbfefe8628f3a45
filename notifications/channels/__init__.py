"""Channel senders, by channel. A channel without a sender fails its deliveries with a clear reason."""

from ..choices import Channel
from . import email, inapp, push, sms

SENDERS = {
    Channel.EMAIL: email.send,
    Channel.SMS: sms.send,
    Channel.PUSH: push.send,
    Channel.INAPP: inapp.send,
}
