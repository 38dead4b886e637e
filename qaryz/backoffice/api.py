"""Mobile / server API endpoints of the backoffice room, mounted under /api/v1/ by qaryz.api.api."""

from ninja import Router

router = Router(tags=["backoffice"])
