"""Handlers for names."""

from gidgethub import routing

router = routing.Router()
