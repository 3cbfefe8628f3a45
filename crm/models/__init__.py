"""The data of crm (STYLE.md section 2): accounts.py holds customer accounts, contacts, resellers and portal users;
sales.py leads, pipeline stages, quotes and their lines."""

from .accounts import LANGUAGE_CODES, Account, AccountContact, Contact, CustomerUser, Reseller, ResellerUser
from .sales import Lead, LeadStage, Quote, QuoteLine

__all__ = [
    "LANGUAGE_CODES",
    "Account",
    "AccountContact",
    "Contact",
    "CustomerUser",
    "Lead",
    "LeadStage",
    "Quote",
    "QuoteLine",
    "Reseller",
    "ResellerUser",
]
