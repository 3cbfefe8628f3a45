"""Inbound webhooks of the inbox's channels (`/hooks/...` on the staff host): each checks the provider's
signature or the channel's secret, parses the payload (crm.providers) and stores through crm.services."""
