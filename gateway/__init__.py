"""The gateway service: a Fabric Gateway client and the HTTP API for members and auditors."""
