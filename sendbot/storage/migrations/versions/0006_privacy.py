"""Privacy: key versions, erasure and retention (no schema change needed).

Key rotation tells keys apart by trying them (Fernet tokens carry no key id), erasure
and retention delete or empty existing rows, and the erasure's record goes to the audit
log; so this revision only keeps its place in the chain.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
from collections.abc import Sequence

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
