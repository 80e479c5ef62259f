"""Durable background jobs: registry of kinds, the database queue and the worker loop."""
