"""The HTTP edge: parse, call Assistant, return; domain errors become status codes here only."""
