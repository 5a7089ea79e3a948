"""L1: JupyterLab's visual debugger through debugpy (messaging spec: "Debug request", DAP).

framing.py  DAP "Content-Length" framing, sans-IO (pure)
cellfiles.py murmur2 and the cell file names that debugInfo describes (pure but for writing files)
client.py   a DAP client over TCP to debugpy's adapter, with its reader thread
session.py  one debug session: the Jupyter requests answered here, the rest forwarded
variables.py what the panels show: the user's variables (inspectVariables), frames, modules
threads.py  keeping the kernel's own threads out of pydevd's sight

No zmq, no wire, no dispatch: app.py binds a Session to the control channel and to iopub.
"""
