"""Handlers for commands."""

from gidgethub import routing

router = routing.Router()
