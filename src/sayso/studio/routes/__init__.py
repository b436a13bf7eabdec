"""One module per noun; each route checks its input, calls one function, returns a schema."""
