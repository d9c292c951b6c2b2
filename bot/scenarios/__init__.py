"""What-if evaluation of tier policy variants (issue 12). The front door is `bot.scenarios.service`."""
