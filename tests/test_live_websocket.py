"""The recording WebSocket transport (conformance.live.websocket): frames, handshake, faults."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from conformance.live.exchange import Recorder
from conformance.live.http import TransportError
from conformance.live.websocket import WebSocketServer, connect_websocket

SCHEMA = json.loads((Path(__file__).parent.parent / "schemas" / "run-record.schema.json").read_text(encoding="utf-8"))
EXCHANGES = Draft202012Validator({"$defs": SCHEMA["$defs"], **SCHEMA["properties"]["exchanges"]})


def _echo(conn) -> None:  # type: ignore[no-untyped-def]
    conn.attach(lambda c, frame: c.send(frame.data if frame.binary else "echo:" + frame.text))


def test_frames_and_handshake_are_recorded_both_ways() -> None:
    rec = Recorder()
    with WebSocketServer(_echo, subprotocols=["proto.b", "proto.a"]) as server:
        conn = connect_websocket(server.url + "station/ID-7", rec, subprotocols=["proto.a", "proto.x"], timeout=2)
        assert conn.subprotocol == "proto.a"
        conn.send("héllo")
        assert conn.recv(2).text == "echo:héllo"
        conn.send(b"\x00\x01")
        assert conn.recv(2).data == b"\x00\x01"
        conn.close()
        server_side = server.accept(1)
        assert server_side is not None and server_side.path == "/station/ID-7"
    records = rec.to_records()
    assert list(EXCHANGES.iter_errors(records)) == []
    hs = records[0]
    assert (hs["method"], hs["direction"], hs["response"]["status"]) == ("GET", "out", 101)
    assert "proto.a" in hs["request"]["headers"]["Sec-WebSocket-Protocol"]
    assert hs["response"]["headers"]["Sec-WebSocket-Protocol"] == "proto.a"
    frames = [(r["direction"], r["request"]["body"]["text"]) for r in records if r["method"] == "WS"]
    assert frames[:2] == [("out", "héllo"), ("in", "echo:héllo")]
    binary = [r for r in records if r["method"] == "WS" and r["request"]["headers"].get("opcode") == "binary"]
    assert len(binary) == 2
    assert records[-1]["method"] == "WS-CLOSE"


def test_server_side_recording_and_lenient_subprotocol() -> None:
    rec = Recorder()
    with WebSocketServer(recorder=rec, subprotocols=["ocpp1.6"]) as server:
        client = connect_websocket(server.url + "CP1", None, timeout=2)  # offers no subprotocol
        conn = server.accept(2)
        assert conn is not None
        assert client.subprotocol is None and conn.subprotocol is None  # accepted, nothing selected
        client.send("ping")
        assert conn.recv(2).text == "ping"
        conn.send("pong")
        assert client.recv(2).text == "pong"
        found = conn.wait_for(lambda f: f.text == "ping", 0.1)
        assert found is not None and found.position == 0
        assert conn.wait_for(lambda f: f.text == "never", 0.1) is None
        client.close()
        assert conn.wait_closed(2)
    records = rec.to_records()
    assert list(EXCHANGES.iter_errors(records)) == []
    assert [(r["method"], r["direction"]) for r in records][:3] == [("GET", "in"), ("WS", "in"), ("WS", "out")]
    assert records[0]["url"].endswith("/CP1") and records[0]["response"]["status"] == 101


def test_attach_sees_every_frame_once() -> None:
    with WebSocketServer(subprotocols=["p"]) as server:
        client = connect_websocket(server.url, None, subprotocols=["p"], timeout=2)
        for i in range(20):
            client.send(str(i))
        conn = server.accept(2)
        assert conn is not None
        conn.wait_for(lambda f: f.text == "5", 2)
        seen: list[str] = []
        lock = threading.Lock()

        def listener(_c, frame) -> None:  # type: ignore[no-untyped-def]
            with lock:
                seen.append(frame.text)

        conn.attach(listener)
        conn.wait_for(lambda f: f.text == "19", 2)
        time.sleep(0.1)
        client.close()
    assert sorted(seen, key=int) == [str(i) for i in range(20)]


def test_timeout_and_peer_close_raise_transport_errors_with_evidence() -> None:
    rec = Recorder()
    with WebSocketServer(subprotocols=["p"]) as server:
        client = connect_websocket(server.url, rec, subprotocols=["p"], timeout=2)
        started = time.monotonic()
        with pytest.raises(TransportError) as err:
            client.recv(0.2, step="waiting")
        assert time.monotonic() - started < 2
        ex = err.value.exchange
        assert ex.error.startswith("timeout after 0.2 s") and ex.index >= 0 and ex.step == "waiting"
        assert "transport fault" in err.value.message["en"]
        conn = server.accept(2)
        conn.close()
        with pytest.raises(TransportError) as err:
            client.recv(2)
        assert "closed by the peer" in err.value.exchange.error
        with pytest.raises(TransportError):
            client.send("late")
    assert list(EXCHANGES.iter_errors(rec.to_records())) == []


def test_refused_and_non_websocket_peers_are_transport_errors() -> None:
    rec = Recorder()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(TransportError) as err:
        connect_websocket(f"ws://127.0.0.1:{port}/", rec, timeout=1)
    assert err.value.exchange.error.startswith("connection failed")
    # an HTTP server that refuses the upgrade
    from conformance.live.server import LoopbackServer, Response

    with LoopbackServer(lambda req: Response(404, "no websocket here")) as http:
        with pytest.raises(TransportError) as err:
            connect_websocket(http.url.replace("http", "ws"), rec, timeout=2)
    assert err.value.exchange.status == 404 and "HTTP 404" in err.value.exchange.error
    # a server that accepts TCP and never answers the handshake
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        started = time.monotonic()
        with pytest.raises(TransportError) as err:
            connect_websocket(f"ws://127.0.0.1:{silent.getsockname()[1]}/", rec, timeout=0.5)
        assert time.monotonic() - started < 5
        assert "timeout" in err.value.exchange.error
    finally:
        silent.close()
    records = rec.to_records()
    assert len(records) == 3 and list(EXCHANGES.iter_errors(records)) == []
