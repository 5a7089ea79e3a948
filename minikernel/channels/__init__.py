"""L1: zmq sockets and the threads that own them. Imports wire, never engine."""
