"""Scheduled work: the registry every job adds itself to (registry.py).

A feature's jobs live beside it (`core/<feature>/jobs.py`, or here for the outbox and the
processed-update ids) and register themselves with `registry.register`; no job module
imports another. `sendbot.core.schedule.scheduled_jobs()` loads every job module and
returns the registry; an adapter's runner (PTB's job queue, the web server's loop) runs
what it lists.
"""
