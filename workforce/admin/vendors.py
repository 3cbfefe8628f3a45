"""Admin for vendors and their portal users: the shared admin of partner organisations, whose writes go through
omni.services.partner_* (omni.admin.PartnerOrganisationAdmin)."""

from django.contrib import admin

from omni.admin import PartnerMembershipAdmin, PartnerOrganisationAdmin

from ..models import Vendor, VendorUser

admin.site.register(Vendor, PartnerOrganisationAdmin)
admin.site.register(VendorUser, PartnerMembershipAdmin)
