"""`python -m newsdesk`: the `newsdesk` command, for an environment without its script
(a checkout on PYTHONPATH) and for `python -X importtime -m newsdesk analyze ...`."""

from newsdesk.cli import main

main(prog_name="newsdesk")
