"""Clients of the portal's native REST API that run on a researcher's machine (no Django here)."""
