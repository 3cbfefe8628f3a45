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

# Sales: leads through the pipeline, quotes and their lines; stages are edited in the admin (Admin only).
_SALES_VIEW = ["view_lead", "view_leadstage", "view_quote", "view_quoteline"]
_SALES_EDIT = [
    "add_lead",
    "change_lead",
    "delete_lead",
    "add_quote",
    "change_quote",
    "delete_quote",
    "add_quoteline",
    "change_quoteline",
    "delete_quoteline",
]


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM")
    role_permissions = {
        "Agent": [f"crm.{p}" for p in [*_ACCOUNTS, *_EDIT, *_SALES_VIEW]],
        "Sales": [
            f"crm.{p}"
            for p in [*_ACCOUNTS, *_EDIT, "delete_account", "delete_contact", *_SALES_VIEW, *_SALES_EDIT]
            + ["add_reseller", "change_reseller"]
        ],
        "Dispatcher": [f"crm.{p}" for p in _ACCOUNTS],
        "Technician": [f"crm.{p}" for p in _ACCOUNTS],
        "Inventory manager": ["crm.view_account"],
    }
