"""``python -m salesxl`` (``py -m salesxl`` on Windows): the command line, also when the
``salesxl`` script is not on the PATH."""

from salesxl.cli import main

if __name__ == "__main__":
    main()
