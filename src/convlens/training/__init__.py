"""Training: compile / fit / evaluate / predict with Keras's semantics."""
