"""The store's query layer: every SQL statement of labelmill outside the migrations.

Functions take a SQLAlchemy session and never commit (the caller's transaction decides),
grouped by what they touch::

    items     items and their current labels; pages for rules, rounds and exports; imports
    sources   sources and votes; the vote matrix; people's answers; the one definition of gold
    queues    leases, serving order, answer counters, what a person sees
    rounds    round lifecycle and results; persisted learner state (bandit, stopping rule)
    users     user rows
"""

from labelmill.store.queries import items, queues, rounds, sources, users

__all__ = ["items", "queues", "rounds", "sources", "users"]
