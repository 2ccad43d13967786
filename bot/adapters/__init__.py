"""What talks to the outside: the GitHub client, the PyPI client."""
