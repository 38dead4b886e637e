"""Mobile / server API endpoints of the messaging room, mounted under /api/v1/ by qaryz.api.api."""

from ninja import Router

router = Router(tags=["messaging"])
