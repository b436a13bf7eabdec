"""The studio: a web page and an HTTP API around the same pipeline as the command line.

    sayso serve [--host 127.0.0.1 --port 8000 --workers N]

app       assembly: create_app(settings)
settings  every setting in one validated place
access    the client cookie, the access token, the rate limit
uploads   receiving photos and videos: size, type by content, pixels from the header
schemas   the JSON the API returns
routes/   one module per noun: photos, plans, videos, jobs, shares, verify, pages
"""
