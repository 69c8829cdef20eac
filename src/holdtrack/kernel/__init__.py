"""The kernel: what every app may use and nothing it may not. ``parties`` holds the party model (who may take
which write action, ADR 0019); ``steps`` the write machinery every case service goes through; ``dispatch`` what
follows a step or a fact (the handlers the apps above register, ADR 0032)."""
