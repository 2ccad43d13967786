"""The triage feature."""
