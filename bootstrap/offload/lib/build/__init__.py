"""Build artefacts: the Lambda zip and the worker image (its base, wheels and Dockerfile build)."""
