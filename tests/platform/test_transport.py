"""The HTTP transport against a scripted server on loopback (tests/support/scripted.py): connections
kept and reused, one the server closed while idle never fails a request, answers that end their
connection or come in chunks read whole, an answer cut short reported as such."""

from __future__ import annotations

import os
import resource
from concurrent.futures import ThreadPoolExecutor

import pytest

from reconciler.platform.transport import HttpTransport, ProtocolError
from tests.support.scripted import Script, answer, scripted_server


def get(transport: HttpTransport, target: str = "/x") -> bytes:
    return transport.send("GET", target, headers={}, deadline=None).content


def test_sequential_requests_share_one_kept_connection() -> None:
    script = Script([(answer(b"one"), False), (answer(b"two"), False), (answer(b"three"), False)])
    with scripted_server(script) as url:
        transport = HttpTransport(url + "/api", max_connections=2, timeout=5)
        assert [get(transport, f"/r{i}?q=1") for i in range(3)] == [b"one", b"two", b"three"]
        transport.close()
    assert script.connections == 1
    assert script.requests == [
        b"GET /api/r0?q=1 HTTP/1.1",
        b"GET /api/r1?q=1 HTTP/1.1",
        b"GET /api/r2?q=1 HTTP/1.1",
    ]


def test_a_connection_the_server_closed_while_idle_is_replaced_before_sending() -> None:
    # The server closes after its first answer without saying so (as on a keep-alive timeout).
    script = Script([(answer(b"first"), True), (answer(b"second"), False)])
    with scripted_server(script) as url:
        transport = HttpTransport(url, max_connections=1, timeout=5)
        assert get(transport) == b"first"
        assert script.closed.wait(5)
        answered = transport.send("POST", "/once", headers={}, body=b"{}", deadline=None)
        assert answered.content == b"second"
        transport.close()
    assert script.connections == 2


def test_an_answer_that_ends_its_connection_is_read_whole_and_the_next_request_reconnects() -> None:
    body = b"x" * 200_000  # more than one read
    script = Script([(answer(body, "Connection: close"), True), (answer(b"next"), False)])
    with scripted_server(script) as url:
        transport = HttpTransport(url, max_connections=1, timeout=5)
        assert get(transport) == body
        assert get(transport) == b"next"
        transport.close()
    assert script.connections == 2


def test_a_chunked_answer_is_read_whole() -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    script = Script([(chunked, False)])
    with scripted_server(script) as url:
        transport = HttpTransport(url, max_connections=1, timeout=5)
        assert get(transport) == b"hello world"
        transport.close()


def test_an_answer_cut_short_is_a_protocol_failure() -> None:
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"y" * 10
    script = Script([(cut, True)])
    with scripted_server(script) as url:
        transport = HttpTransport(url, max_connections=1, timeout=5)
        with pytest.raises(ProtocolError):
            get(transport)
        transport.close()


def test_at_most_max_connections_requests_are_in_flight_at_once() -> None:
    script = Script([(answer(b"ok"), False)] * 6, delay=0.05)
    with scripted_server(script) as url:
        transport = HttpTransport(url, max_connections=2, timeout=5)
        with ThreadPoolExecutor(6) as pool:
            assert list(pool.map(lambda _: get(transport), range(6))) == [b"ok"] * 6
        transport.close()
    assert script.connections == 2  # the other four waited for a connection and reused it


def test_a_kept_connection_is_checked_whatever_its_descriptor_number() -> None:
    """A long-lived process may hold many files: select() refuses descriptors above 1023."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 1200
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f"the hard limit of open files is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))
    fillers = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        script = Script([(answer(b"one"), False), (answer(b"two"), False)])
        with scripted_server(script) as url:
            transport = HttpTransport(url, max_connections=1, timeout=5)
            assert [get(transport), get(transport)] == [b"one", b"two"]
            transport.close()
        assert script.connections == 1
    finally:
        for fd in fillers:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
