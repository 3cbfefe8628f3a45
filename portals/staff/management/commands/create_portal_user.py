from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from crm import services as crm_services
from crm.models import Account, Reseller
from omni.exceptions import DomainError
from workforce import services as workforce_services
from workforce.models import Vendor


class Command(BaseCommand):
    help = (
        "Create a portal user: --portal customer --account ACC-000001, --portal reseller --reseller NAME, "
        "or --portal vendor --vendor NAME. Without --password an invitation email is sent instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--portal", required=True, choices=["customer", "reseller", "vendor"])
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", default=None)
        parser.add_argument("--name", default="", help="Full name.")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--account", help="Account number (customer portal).")
        target.add_argument("--reseller", help="Reseller name (reseller portal).")
        target.add_argument("--vendor", help="Vendor name (vendor portal).")

    def handle(self, *args, portal, email, password, name, account, reseller, vendor, **options):
        expected = {"customer": account, "reseller": reseller, "vendor": vendor}[portal]
        if expected is None:
            raise CommandError(f"--portal {portal} needs --{'account' if portal == 'customer' else portal}.")
        if password:
            try:
                validate_password(password)
            except ValidationError as exc:
                raise CommandError("Password refused: " + " ".join(exc.messages)) from None
        try:
            if portal == "customer":
                target = Account.objects.live().get(number__iexact=account)
                user = crm_services.customer_user_create(
                    account_id=target.pk, email=email, password=password, full_name=name
                )
            elif portal == "reseller":
                target = Reseller.objects.get(name__iexact=reseller)
                user = crm_services.reseller_user_create(
                    reseller_id=target.pk, email=email, password=password, full_name=name
                )
            else:
                target = Vendor.objects.get(name__iexact=vendor)
                user = workforce_services.vendor_user_create(
                    vendor_id=target.pk, email=email, password=password, full_name=name
                )
        except (Account.DoesNotExist, Reseller.DoesNotExist, Vendor.DoesNotExist):
            raise CommandError(f"No {portal == 'customer' and 'account' or portal} named {expected}.") from None
        except DomainError as exc:
            raise CommandError(exc.message) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        how = "with the given password" if password else "the worker emails an invitation"
        self.stdout.write(self.style.SUCCESS(f"Created {portal} portal user {user.email} for {target} ({how})."))
