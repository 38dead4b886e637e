"""Mobile / server API endpoints of the servicing room, mounted under /api/v1/ by qaryz.api.api."""

from ninja import Router

router = Router(tags=["servicing"])
