"""The consortium network: topology, identities, Fabric binaries, native runtime, CLI."""
