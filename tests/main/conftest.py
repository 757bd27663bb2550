from tests.profiles.conftest import punctual, sources  # noqa: F401 - fixtures
