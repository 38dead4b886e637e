"""Mobile / server API endpoints of the compliance room, mounted under /api/v1/ by qaryz.api.api."""

from ninja import Router

router = Router(tags=["compliance"])
