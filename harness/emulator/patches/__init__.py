"""moto patches, one module per AWS service they correct.

Each module exposes context managers that install a patch and restore moto's original on exit;
each names the moto behaviour it corrects and the AWS rule it reproduces. ``harness.emulator``
installs them in one written order (``Emulator.start``).
"""
