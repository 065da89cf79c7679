"""salesxl: run a sales office from its Excel workbooks."""
__version__ = "0.1.0"
