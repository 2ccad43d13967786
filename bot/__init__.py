"""pypi-support-bot: the triage bot for PyPI's support tracker."""
