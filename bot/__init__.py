"""OMA's Slack-facing service: listeners, web app, arq worker, settings and task records."""
