"""Webhook handlers: one module per feature, each with its own gidgethub Router. They wire the
pure decisions (bot.triage, bot.slash, bot.lifecycle, ...) to GitHub through bot.executor."""
