"""Adapters of the servicing room's ports (``ports.py``): embedded simulators and HTTP counterparts."""
