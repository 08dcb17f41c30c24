"""A python-socketio client of Herald's /notifications, driven by python_client.test.mjs.

    /usr/bin/python3 py_client.py URL TOKEN TRANSPORT

TRANSPORT is `websocket` (WebSocket only), `polling` (long-polling only) or `default`
(python-socketio's own choice: polling, then the upgrade to WebSocket). The client is
Debian's python3-socketio (5.x: Engine.IO v4, Socket.IO v5), unmodified.

Everything it sees goes to stdout as one JSON object a line, {"event": ..., ...}; it
reads commands from stdin, one a line:

    ping                    call("ping", {...}) and print the ack as {"event": "ping_ack"}
    acknowledge RID         call("notification:acknowledge", {recipient_id: RID})
    quit                    disconnect and exit

Every notification:new is acknowledged through its Socket.IO ack callback (the handler's
return value is the ack). A refused connection prints {"event": "refused", ...} and exits 0.
The process exits by itself after 45 s whatever happens, so a test never hangs on it.
"""

import json
import os
import sys
import threading

import socketio

NSP = '/notifications'
_lock = threading.Lock()


def out(event, **fields):
    with _lock:
        sys.stdout.write(json.dumps({'event': event, **fields}) + '\n')
        sys.stdout.flush()


def main():
    url, token, transport = sys.argv[1], sys.argv[2], sys.argv[3]
    watchdog = threading.Timer(45, lambda: os._exit(3))
    watchdog.daemon = True
    watchdog.start()

    sio = socketio.Client(reconnection=False)

    @sio.on('connect', namespace=NSP)
    def on_connect():
        out('connect', sid=sio.get_sid(NSP), transport=sio.transport())

    @sio.on('connect_error', namespace=NSP)
    def on_connect_error(data=None):
        out('connect_error', data=data)

    @sio.on('disconnect', namespace=NSP)
    def on_disconnect():
        out('disconnect')

    @sio.on('authenticated', namespace=NSP)
    def on_authenticated(data):
        out('authenticated', data=data)

    @sio.on('notification:new', namespace=NSP)
    def on_new(data):
        out('notification:new', data=data, transport=sio.transport())
        return {'ok': True}  # sent back as the Socket.IO ack: the receipt

    @sio.on('error', namespace=NSP)
    def on_error(data):
        out('error', data=data)

    @sio.on('*', namespace=NSP)
    def on_other(event, *args):
        out('other', name=event, args=list(args))

    transports = {'websocket': ['websocket'], 'polling': ['polling'], 'default': None}[transport]
    out('versions', socketio=_version('python-socketio'), engineio=_version('python-engineio'))
    try:
        sio.connect(url, auth={'token': token}, transports=transports, namespaces=[NSP], wait_timeout=5)
    except socketio.exceptions.ConnectionError as e:
        out('refused', message=str(e))
        return 0

    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == 'quit':
            break
        try:
            if words[0] == 'ping':
                out('ping_ack', data=sio.call('ping', {'hello': 'from python'}, namespace=NSP, timeout=5),
                    transport=sio.transport())
            elif words[0] == 'acknowledge':
                out('acknowledge_ack',
                    data=sio.call('notification:acknowledge', {'recipient_id': words[1]}, namespace=NSP, timeout=5))
            else:
                out('bad_command', line=line.strip())
        except socketio.exceptions.TimeoutError:
            out('timeout', command=words[0])
    sio.disconnect()
    out('closed')
    return 0


def _version(dist):
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:  # pragma: no cover - metadata missing
        return None


if __name__ == '__main__':
    code = main()
    sys.stdout.flush()
    os._exit(code)  # do not wait for the client's background threads
