"""Postbacks: registration progress delivered to the integrator's URL from the job queue."""
