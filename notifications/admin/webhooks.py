"""Admin registrations (filled in by its part of the notifications work)."""
