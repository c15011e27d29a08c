"""`make bench`: measurements, not tests. Uses the library, the worker and the twin as a user's script would."""
