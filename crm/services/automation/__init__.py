"""Inbox automation (issue 11, part 4): round-robin auto-assignment inside a team, rules (event + conditions +
actions) on new conversations and inbound messages, the business-hours auto-reply, and the satisfaction (CSAT)
survey after a resolution with the customer's answer.

Entry points, all called inside the caller's transaction:
- `inbound_automate(message=, conversation=, conversation_created=)`: from inbound_receive after a new inbound
  message is stored (never for a provider's retry). Runs in a savepoint: a failure is logged and rolled back
  alone, the customer's message is kept.
- `conversation_auto_assign(conversation_id=)`: from conversation_assign when a conversation is given a team and
  no agent, and from inbound_automate for a new conversation that got its channel's team.
- `csat_survey_send(conversation=)`: from conversation_status_set when a conversation is resolved.

What the system sends (auto-reply, a rule's canned reply, the survey) is an outbound message without an author,
with `metadata["automated"]` naming why; it never counts as the first reply (reports measure people), and being
outbound it triggers no rule, so rules cannot loop. A message flagged `auto_submitted`, `auto_reply` or `bounce`
in its metadata (the email parser flags out-of-office replies and DSNs) is never answered.

The package's modules: assignment.py (round-robin, agents' availability), rules.py (validating and saving rules),
evaluation.py (conditions and actions on a conversation), inbound.py (the entry point after an inbound message, and
the business-hours auto-reply), csat.py (the satisfaction survey and its answer), common.py (what they share: the
do-not-answer check, placeholders, sending as the system). crm.services re-exports the names below."""

from ...choices import ACTIONS, CONDITION_FIELDS
from .assignment import agent_availability_set, conversation_auto_assign
from .common import message_do_not_answer
from .csat import CSAT_MAX_AGE, csat_answer, csat_survey_for_token, csat_survey_send, csat_token
from .inbound import inbound_automate
from .rules import rule_create, rule_delete, rule_reorder, rule_set_active, rule_update, rule_validate

__all__ = [
    "ACTIONS",
    "CONDITION_FIELDS",
    "CSAT_MAX_AGE",
    "agent_availability_set",
    "conversation_auto_assign",
    "csat_answer",
    "csat_survey_for_token",
    "csat_survey_send",
    "csat_token",
    "inbound_automate",
    "message_do_not_answer",
    "rule_create",
    "rule_delete",
    "rule_reorder",
    "rule_set_active",
    "rule_update",
    "rule_validate",
]
