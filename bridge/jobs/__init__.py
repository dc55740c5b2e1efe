"""Jobs that compose the engines (sync, observatory, pull, challenges) into one run; the CLI
and the scheduler call them."""
