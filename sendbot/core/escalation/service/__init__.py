"""The escalation service: tickets as the domain knows them, with no chat in them.

Chat flows, the officers' console and the command line all call these functions with a
unit of work, a `Desk` (the services, holding the one clock, and how people are told)
and the person acting: an `Officer`, or a `Parent` (one channel identity). They return
domain results or raise the errors in `sendbot.core.escalation.results`.
"""

from sendbot.core.escalation.service import feedback, officers, parents

__all__ = ["feedback", "officers", "parents"]
