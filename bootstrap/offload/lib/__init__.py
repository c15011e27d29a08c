"""The offload library: what the commands call. Usable from any script; never imports click."""
