"""Mobile / server API endpoints of the cabinet room, mounted under /api/v1/ by qaryz.api.api."""

from ninja import Router

router = Router(tags=["cabinet"])
