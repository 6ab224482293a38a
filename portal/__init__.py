"""The portal's rules and use cases: plain Python, no framework, no database.

Use cases are keyword-only async functions that take a unit of work (`portal.ports.UnitOfWork`)
and never commit: the caller's unit of work commits once, so a use case is all or nothing.
"""
