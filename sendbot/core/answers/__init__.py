"""The answers service: questions answered from the knowledge base, with no chat in them.

The chat flows (every front end), the officers' console and the command line call these
functions with a unit of work, the services (holding the one clock) and, where it
matters, the person acting: the `Parent` asking (whose linked children's names are
redacted from a kept question) or the `Officer` reading the gaps (the read is audited).
They return the results in `sendbot.core.answers.results`.
"""

from sendbot.core.answers import feedback, gaps, questions

__all__ = ["feedback", "gaps", "questions"]
