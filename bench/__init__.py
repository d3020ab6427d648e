"""`make bench` / `python -m bench`: the services' cost against the bare frameworks (issue 9)."""
