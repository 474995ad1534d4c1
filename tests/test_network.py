"""Nothing leaves loopback: indexing and answering (model load included) work offline.

The guard wraps Python's socket layer (connect, connect_ex, create_connection, getaddrinfo),
which every Python HTTP client (httpx, urllib, requests, posthog) goes through.
"""

import ipaddress
import socket

import pytest

from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
from qa.pipeline import build_pipeline
from tests.conftest import make_settings

LOOPBACK_NAMES = {"localhost", "ip6-localhost", "ip6-loopback"}


def is_local(host: object) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class NetworkBlocked(OSError):
    pass


@pytest.fixture
def network_guard(monkeypatch) -> list[tuple[str, object]]:
    """Refuse, and record, every attempt to reach a host beyond loopback."""
    attempts: list[tuple[str, object]] = []

    def refuse(what: str, target: object) -> None:
        attempts.append((what, target))
        raise NetworkBlocked(f"network access beyond loopback blocked: {what} {target!r}")

    def guard_connect(real):
        def connect(self, address):
            if self.family in (socket.AF_INET, socket.AF_INET6) and not is_local(address[0]):
                refuse("connect", address)
            return real(self, address)

        return connect

    real_create_connection = socket.create_connection
    real_getaddrinfo = socket.getaddrinfo

    def create_connection(address, *args, **kwargs):
        if not is_local(address[0]):
            refuse("create_connection", address)
        return real_create_connection(address, *args, **kwargs)

    def getaddrinfo(host, *args, **kwargs):
        if not is_local(host):
            refuse("getaddrinfo", host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guard_connect(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guard_connect(socket.socket.connect_ex))
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return attempts


def test_the_guard_blocks_and_records_outside_addresses(network_guard):
    with pytest.raises(NetworkBlocked), socket.socket() as s:
        s.connect(("203.0.113.7", 80))  # TEST-NET-3, never routed
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("huggingface.co", 443), timeout=1)
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("us.i.posthog.com", 443)
    assert [what for what, _ in network_guard] == ["connect", "create_connection", "getaddrinfo"]


def test_the_guard_lets_loopback_through(network_guard):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
    assert socket.getaddrinfo("localhost", 80)
    assert network_guard == []


def test_indexing_and_answering_stay_on_this_machine(network_guard, tmp_path):
    # Built inside the guard, so opening Chroma and loading the model are checked too.
    pipeline = build_pipeline(make_settings(tmp_path / "store"))
    try:
        results = index_documents(pipeline, plan_paths([SAMPLE_CORPUS], 10**8).documents)
        assert [r.status for r in results] == ["added", "added"]
        answered = pipeline.ask("What did Russia veto in March?")
        assert not answered.abstained and answered.citations
        refused = pipeline.ask("Who painted the Mona Lisa?")
        assert refused.abstained
        pipeline.remove_document(results[0].doc_id)
    finally:
        pipeline.close()
    assert network_guard == [], f"tried to reach the network: {network_guard}"


@pytest.mark.server
def test_server_mode_talks_only_to_the_loopback_server(network_guard, tmp_path, chroma_server):
    # The model load was checked above; here the Chroma HTTP client is what is watched.
    settings = make_settings(
        tmp_path / "store", store={"url": chroma_server, "collection": "network_guard"}
    )
    pipeline = build_pipeline(settings)
    try:
        rim = plan_paths([SAMPLE_CORPUS], 10**8).documents[0]
        assert rim.source.startswith("000")
        index_documents(pipeline, [rim])
        assert not pipeline.ask("When did Putin visit Pyongyang?").abstained
    finally:
        pipeline.close()
    assert network_guard == [], f"tried to reach the network: {network_guard}"
