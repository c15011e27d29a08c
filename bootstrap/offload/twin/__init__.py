"""The local twin: moto's server plus small shims for what ECS Anywhere needs.

See docs/twin.md for what each shim does and why; everything else is moto as it is.
"""
