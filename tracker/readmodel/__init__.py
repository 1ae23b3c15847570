"""The read model: SQL tables kept up to date by the projector, and the reports over them."""
