"""Alerts before the customer notices (issue 11): SLA alert ladders, escalations, health drops.

`bot.alerts.service` is the front door; the other modules are its domain.
"""
