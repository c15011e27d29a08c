"""offload operator CLI and the local twin."""
