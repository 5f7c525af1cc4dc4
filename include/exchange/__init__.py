"""The intake and exchange API's domain: SIEM alert adapters, request signatures, processors and their sealed shares.

The FastAPI app in `plugins/breach_exchange.py` is a thin layer over this package; everything it decides (who
sent a request, whether it is fresh, what an alert means, what a processor may receive) is decided here.
"""
