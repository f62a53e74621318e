"""The event log (a transactional outbox): every event a change causes is a row written in the
change's own transaction, read back by the events socket's replay, the events API and the
webhook deliveries."""
