"""The schedule's machinery: the runner (APScheduler, leader election), the delivery ledger, the poster
(posting with retries) and the job context. It knows no job: `bot.jobs` declares them.

Start it in-process with `bot.main.start_scheduler(services)`, or as its own process with
`tierbot scheduler`; run one job with `bot.jobs.run_job(services, name, at)`.
"""
