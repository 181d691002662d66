import os
import sys

from harness.cli import main

code = main()
# Everything is stopped and cleaned up by now. The emulator's heap (moto's backends, the Pulumi
# program, botocore's models) is large: the interpreter's shutdown would spend seconds in garbage
# collections freeing what the exit frees anyway, so the process ends here.
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
