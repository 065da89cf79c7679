"""Defaults of the batch's reading processes, in a module that imports nothing.

The command line shows them in ``salesxl batch --help`` (as option defaults, evaluated when
:mod:`salesxl.cli` is imported); kept here so that showing them does not load the batch,
pandas and the readers (:mod:`salesxl.batch.workers` takes them from here).
"""

#: Address-space limit of each reading process (MB): reading one template needs ~1.5 GB of
#: address space, mostly reserved, not used.
DEFAULT_MEMORY_MB = 3072
#: Time limit for reading one returned file (seconds).
DEFAULT_TIMEOUT = 120.0
