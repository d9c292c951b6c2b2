"""The per-tier report: support measures per tier for a period, against the period before, and the
weekly series its chart draws. Front door: `bot.reports.service`."""
