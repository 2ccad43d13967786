"""Handlers for lifecycle."""

from gidgethub import routing

router = routing.Router()
