"""HTTP layer: Flask blueprints that parse the request, call the domain, render the answer."""
