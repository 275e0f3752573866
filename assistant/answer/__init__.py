"""Turning retrieval and calculation into one cited Answer."""
