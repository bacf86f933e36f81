"""Chaincode-as-a-service for tokenized deposits: rules, contract, and the shim that serves it."""
