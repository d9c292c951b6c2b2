"""The jobs share the schedule's fixtures: a clock tests move by hand, seeded tickets and subscriptions."""

from tests.schedule.conftest import clock

__all__ = ["clock"]
