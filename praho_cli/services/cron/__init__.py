"""Scheduled work: the cron tasks, each locked, idempotent and resumable."""
