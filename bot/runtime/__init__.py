"""The running bot: web app, work queue, service, sweep scheduler, CLI."""
