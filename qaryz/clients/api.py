"""Mobile / server API endpoints of the clients room, mounted under /api/v1/ by qaryz.api.api."""

from ninja import Router

router = Router(tags=["clients"])
