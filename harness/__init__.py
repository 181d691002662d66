"""Integrated test harness.

Embedded AWS emulator, deploy-into-emulator, in-process Lambda runtime, CLI.
"""
