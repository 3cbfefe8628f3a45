from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_ACCOUNTS = ["view_account", "view_contact", "view_accountcontact", "view_reseller"]
_EDIT = [
    "add_account",
    "change_account",
    "add_contact",
    "change_contact",
    "add_accountcontact",
    "change_accountcontact",
    "delete_accountcontact",
]


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM")
    role_permissions = {
        "Agent": [f"crm.{p}" for p in [*_ACCOUNTS, *_EDIT]],
        "Sales": [f"crm.{p}" for p in [*_ACCOUNTS, *_EDIT, "delete_account", "delete_contact"]],
        "Dispatcher": [f"crm.{p}" for p in _ACCOUNTS],
        "Technician": [f"crm.{p}" for p in _ACCOUNTS],
        "Inventory manager": ["crm.view_account"],
    }
