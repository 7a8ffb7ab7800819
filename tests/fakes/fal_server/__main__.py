"""``python -m tests.fakes.fal_server``: serve a FakeFal until SIGTERM or SIGINT."""

from tests.fakes.fal_server.cli import main

if __name__ == "__main__":
    main()
