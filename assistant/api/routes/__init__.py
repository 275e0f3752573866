"""One router per resource; create_app includes them all (see ROUTERS)."""

from __future__ import annotations

from assistant.api.routes import agents, ask, browse, calculators, clauses, feedback, health, ivr, meta

ROUTERS = [
    health.router, ask.router, feedback.router, ivr.router, clauses.router, browse.router, calculators.router,
    agents.router, meta.router,
]

__all__ = ["ROUTERS"]
