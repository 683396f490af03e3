"""`python -m aedemo.cli` runs the aedemo command."""
from .main import main

main()
