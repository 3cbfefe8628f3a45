"""The events of tickets. Business calendars are configuration and emit none; the ticket and SLA events
(tickets.ticket.created, tickets.sla.breached, ...) are declared here, as crm/events.py does, when tickets
exist."""
