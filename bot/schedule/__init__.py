"""Scheduled work: periods, the delivery ledger, leader election, posting with retries, the jobs.

Start it in-process with `bot.schedule.runner.start_background_scheduler(services)`, or as its own
process with `tierbot scheduler`; run one job with `bot.schedule.jobs.run_job(services, name, at)`.
"""
