"""``python -m neurocompare.cli``."""
from . import main

main()
