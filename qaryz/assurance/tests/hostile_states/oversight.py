"""Oversight rooms: antifraud rule sets, fraud cases, incidents, regulator channels."""
