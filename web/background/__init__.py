"""Background work of a running service: the SLA scheduler, the live-event hub, webhook delivery."""
