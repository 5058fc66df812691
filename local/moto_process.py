"""moto's server in a process of its own (`python -m local.moto_process HOST PORT`), for
AwsEmulator(own_process=True): it then has a core and a GIL of its own.

Connections are kept alive (HTTP/1.1): werkzeug's server speaks HTTP/1.0 by default and closes
every connection after one answer, so each AWS call would pay a new connection and a new thread.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

from moto.server import ThreadedMotoServer
from werkzeug.serving import WSGIRequestHandler


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    WSGIRequestHandler.protocol_version = "HTTP/1.1"
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    server.stop()


if __name__ == "__main__":
    main()
