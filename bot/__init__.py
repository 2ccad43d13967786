"""pypi-support-bot: the triage bot for PyPI's support tracker."""

__version__ = "0.1.0"
