"""sendbot: a chat helpdesk for parents of children with SEND, and council officers."""

__version__ = "0.1.0"
