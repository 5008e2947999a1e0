"""Where the mock's own pages live (no Flask here: the CLI prints them at start-up)."""

ADMIN_PREFIX = "/_mock"
DASHBOARD_PATH = f"{ADMIN_PREFIX}/dashboard"
