from django.apps import AppConfig
from django.db.models.signals import post_migrate
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


# The inbox: agents work conversations (reply, note, assign, label, resolve, merge, start one); channels and teams
# are configured by Admin (who holds every permission).
_INBOX = [
    "view_conversation",
    "add_conversation",
    "change_conversation",
    "view_message",
    "add_message",
    "view_channel",
    "view_inboxteam",
    "view_label",
    "view_cannedreply",
    "add_cannedreply",
    "change_cannedreply",
    "view_inboxagent",
]


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM")
    role_permissions = {
        "Agent": [f"crm.{p}" for p in [*_ACCOUNTS, *_EDIT, *_SALES_VIEW, *_INBOX]],
        "Sales": [
            f"crm.{p}"
            for p in [*_ACCOUNTS, *_EDIT, "delete_account", "delete_contact", *_SALES_VIEW, *_SALES_EDIT, *_INBOX]
            + ["add_reseller", "change_reseller"]
        ],
        "Dispatcher": [f"crm.{p}" for p in _ACCOUNTS],
        "Technician": [f"crm.{p}" for p in _ACCOUNTS],
        "Inventory manager": ["crm.view_account"],
    }

    def ready(self):
        post_migrate.connect(lead_stages_ensure, sender=self, dispatch_uid="crm.lead_stages_ensure")


def lead_stages_ensure(sender, using="default", apps=None, **kwargs):
    """After migrate (and a test database flush, which also sends post_migrate): the default pipeline stages when
    there is no stage at all. An instance that edited its stages keeps them; a database migrated back before the
    stages existed is left alone."""
    from .choices import DEFAULT_LEAD_STAGES

    try:
        stage_model = apps.get_model("crm", "LeadStage") if apps is not None else sender.get_model("LeadStage")
    except LookupError:
        return
    if stage_model.objects.using(using).exists():
        return
    stage_model.objects.using(using).bulk_create(
        [
            stage_model(name=name, position=position, probability=probability, is_won=won, is_lost=lost)
            for name, position, probability, won, lost in DEFAULT_LEAD_STAGES
        ]
    )
