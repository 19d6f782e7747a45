"""SQLAlchemy 2 models: every fact that matters lives here, not in process memory.

Each domain has its own module; import it here so Alembic and the app see its tables.
"""

from sendbot.storage.models.answers import AnswerFeedback, KnowledgeGap
from sendbot.storage.models.audit import AuditHead, AuditRecord
from sendbot.storage.models.base import CLOCK_OPTION, Base, UTCDateTime, stamped_now
from sendbot.storage.models.cases import Case, CaseEvent, CaseLink, LinkCode, LinkFailure
from sendbot.storage.models.console import ConsoleAccount, ConsoleSession, TicketNote
from sendbot.storage.models.conversation import Conversation
from sendbot.storage.models.limits import RateCounter
from sendbot.storage.models.oidc import OidcIdentity, OidcLogin
from sendbot.storage.models.outbox import OutboxMessage
from sendbot.storage.models.scale import JobLease, ProcessedUpdate
from sendbot.storage.models.security import KeyFingerprint, SecurityFailure
from sendbot.storage.models.tickets import (
    OfferFeedback,
    Officer,
    OfficerChannel,
    OfficerInvite,
    Ticket,
    TicketMessage,
    TicketTerm,
)
from sendbot.storage.models.web import WebMessage

__all__ = [
    "CLOCK_OPTION",
    "AnswerFeedback",
    "AuditHead",
    "AuditRecord",
    "Base",
    "Case",
    "CaseEvent",
    "CaseLink",
    "ConsoleAccount",
    "ConsoleSession",
    "Conversation",
    "JobLease",
    "KeyFingerprint",
    "KnowledgeGap",
    "LinkCode",
    "LinkFailure",
    "OfferFeedback",
    "Officer",
    "OfficerChannel",
    "OfficerInvite",
    "OidcIdentity",
    "OidcLogin",
    "OutboxMessage",
    "ProcessedUpdate",
    "RateCounter",
    "SecurityFailure",
    "Ticket",
    "TicketMessage",
    "TicketNote",
    "TicketTerm",
    "UTCDateTime",
    "WebMessage",
    "stamped_now",
]
