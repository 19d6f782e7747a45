"""Escalation to officers: tickets, consent, officer actions and service-level clocks."""
