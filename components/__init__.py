"""Pulumi components of the activity pipeline and the pure builders they use."""
