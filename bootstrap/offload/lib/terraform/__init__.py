"""Terraform for each target: where it runs (targets), how it runs (runner), what it needs (tooling), lint."""
