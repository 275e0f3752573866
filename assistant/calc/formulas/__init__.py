"""Importing this package registers every formula."""

from . import billing, deadlines, fees, overdue  # noqa: F401
