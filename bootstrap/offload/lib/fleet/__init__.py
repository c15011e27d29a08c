"""The on-prem fleet: activations to join it, the machines that joined, and checks on them."""
