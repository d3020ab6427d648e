"""The web frontend: a storefront for shoppers and a console for operators.

It talks to the user service and the payment service only through the generated SDKs in
clients/, as any outside developer would, and keeps nothing of its own but its sessions.
"""
