"""``python -m jobinsight``: the same as the ``jobinsight`` command."""

from jobinsight.launcher import main

main()
