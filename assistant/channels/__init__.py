"""Channel adapters that turn an Answer into what a channel delivers (speech for the phone line)."""
