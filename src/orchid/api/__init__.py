"""HTTP and WebSocket layer: thin routes that parse, call the service and serialise."""
