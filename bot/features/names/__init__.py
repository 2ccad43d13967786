"""The names feature."""
