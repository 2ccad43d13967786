"""Handlers for triage."""

from gidgethub import routing

router = routing.Router()
