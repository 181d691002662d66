"""Process's pure core as of commit c829596, before the per-batch lineage and the CPU work.

A frozen oracle for the differential tests (test_core_reference.py): the optimized core must
reject exactly what this one rejects, with the same reason and detail, and store exactly the
items it built. Not imported by anything but tests; never edit it to make a test pass.
"""
