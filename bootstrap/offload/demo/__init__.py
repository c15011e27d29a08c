"""`offload demo`: the whole pipeline on the local twin, driven through the library as a user's script would."""
