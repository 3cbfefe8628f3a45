"""Knobs of the domain apps: tickets waiting for the customer (reminder, closing), ticket attachments (size, count,
extensions), technicians' photos and signatures, and sales (the organisation on quotes, currency, quote validity
and link lifetime)."""

from .base import OMNI_PRODUCT_NAME, env

# Tickets waiting for the customer (tickets.services.pending, hourly): one reminder after N days, closed M days later.
TICKETS_PENDING_REMIND_DAYS = env.int("TICKETS_PENDING_REMIND_DAYS", default=3)
TICKETS_PENDING_CLOSE_DAYS = env.int("TICKETS_PENDING_CLOSE_DAYS", default=7)
# Ticket attachments (tickets.services.replies): per file, per reply, and the extensions accepted.
TICKET_ATTACHMENT_MAX_BYTES = env.int("TICKET_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
TICKET_ATTACHMENT_MAX_FILES = env.int("TICKET_ATTACHMENT_MAX_FILES", default=5)
_ATTACHMENT_DEFAULT = "pdf png jpg jpeg gif webp txt csv log doc docx xls xlsx odt ods zip eml"
TICKET_ATTACHMENT_EXTENSIONS = {
    e.lower() for e in env.list("TICKET_ATTACHMENT_EXTENSIONS", default=_ATTACHMENT_DEFAULT.split())
}
# Technician view (workforce.services.field): a job photo's or a signature's size limit; photos are jpg, png or webp.
WORKFORCE_PHOTO_MAX_BYTES = env.int("WORKFORCE_PHOTO_MAX_BYTES", default=10 * 1024 * 1024)

# Sales (crm.services.quotes): the organisation printed on quotes, the default currency (ISO 4217) of leads and
# quotes, how long a new quote is valid and how long a quote link sent to a lead keeps working.
OMNI_ORGANISATION_NAME = env.str("OMNI_ORGANISATION_NAME", default=OMNI_PRODUCT_NAME)
OMNI_ORGANISATION_ADDRESS = env.str("OMNI_ORGANISATION_ADDRESS", default="")
OMNI_ORGANISATION_LOGO = env.str("OMNI_ORGANISATION_LOGO", default="")  # a file path; empty: none
SALES_DEFAULT_CURRENCY = env.str("SALES_DEFAULT_CURRENCY", default="NGN").upper()
QUOTE_VALIDITY_DAYS = env.int("QUOTE_VALIDITY_DAYS", default=30)
QUOTE_LINK_MAX_AGE_DAYS = env.int("QUOTE_LINK_MAX_AGE_DAYS", default=30)
