// One QUIC connection: an ngtcp2 connection and its GnuTLS session, driven on the endpoint's
// executor. It turns packets into stream data and stream data into packets, keeps the
// expiry timer, and reports its end to the endpoint. Links reach their streams through it.
//
// Lifecycle: handshaking -> open -> (closing | draining) -> finished. Handshaking covers
// TLS and, with a network secret, the network proof (quic_admission.cpp). Closing sends our
// CONNECTION_CLOSE and repeats it for 3 PTO; draining waits 3 PTO after the peer's.
#pragma once

#include <asio/steady_timer.hpp>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <deque>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "connection_host.hpp"
#include "connection_options.hpp"
#include "mosaik/transport/errors.hpp"
#include "mosaik/transport/packet_path.hpp"
#include "network_proof.hpp"
#include "ngtcp2_arena.hpp"
#include "ngtcp2_handles.hpp"
#include "signal.hpp"
#include "stream_state.hpp"
#include "tls_handles.hpp"
#include "tls_identity.hpp"

namespace mosaik::transport::detail {

// The largest UDP payload a connection writes (packets and close packets alike).
inline constexpr std::size_t kMaxPacketSize = 1500;
// Packets written per flush before yielding to the loop (GSO batches are at most this).
inline constexpr std::size_t kMaxPacketsPerFlush = 64;

class QuicConnection : public std::enable_shared_from_this<QuicConnection> {
 public:
  enum class State { kHandshaking, kOpen, kClosing, kDraining, kFinished };

  struct ClientParams {
    UdpEndpoint remote;
    PublicKeyBytes expected_peer;
    std::string alpn;
  };
  struct ServerParams {
    UdpEndpoint remote;
    ngtcp2_pkt_hd initial;            // the client's first Initial packet header
    std::vector<std::string> alpns;   // what this endpoint serves
    // Set when the Initial came back through a Retry: the client's first destination ID,
    // read from the token it echoed.
    std::optional<ngtcp2_cid> original_dcid;
  };

  [[nodiscard]] static std::expected<std::shared_ptr<QuicConnection>, std::string> create_client(
      asio::any_io_executor executor, ConnectionHost& host, PacketPath& path,
      const TlsIdentity& identity, const ConnectionOptions& options, ClientParams params);
  [[nodiscard]] static std::expected<std::shared_ptr<QuicConnection>, std::string> create_server(
      asio::any_io_executor executor, ConnectionHost& host, PacketPath& path,
      const TlsIdentity& identity, const ConnectionOptions& options, ServerParams params);

  ~QuicConnection();
  QuicConnection(const QuicConnection&) = delete;
  QuicConnection& operator=(const QuicConnection&) = delete;

  // --- driven by the endpoint ---
  void on_packet(const UdpEndpoint& from, std::span<const std::uint8_t> packet);
  void flush();  // write every packet ngtcp2 has for us now
  // Closes with `reason` (CONNECTION_CLOSE sent now) and forgets the endpoint: used at
  // endpoint shutdown, after which nothing is sent or received.
  void shutdown_and_detach(const CloseReason& reason);
  // Initial-packet connection IDs the endpoint routes to this connection (server side).
  const std::vector<ngtcp2_cid>& routing_cids() const { return routing_cids_; }

  // --- connection API ---
  State state() const { return state_; }
  // Open or handshaking, and not closing once what was sent is delivered: a dial may share it.
  bool reusable() const {
    return (state_ == State::kOpen || state_ == State::kHandshaking) && !close_after_delivery_;
  }
  bool is_server() const { return is_server_; }
  const PublicKeyBytes& peer_key() const { return peer_key_; }
  const std::string& alpn() const { return alpn_; }
  const UdpEndpoint& remote() const { return remote_; }
  std::chrono::nanoseconds smoothed_rtt() const;
  // Resolves once the handshake is complete and the peer verified, or with why it failed.
  asio::awaitable<std::expected<void, ConnectError>> wait_established();
  // The error every stream of this connection now fails with (set once it is closed).
  const std::optional<LinkError>& terminal_error() const { return terminal_error_; }
  void close(const CloseReason& reason);
  // Closes with `reason` from the next loop turn (safe inside ngtcp2's callbacks); once:
  // false when a close was already requested this way.
  bool close_soon(const CloseReason& reason);
  // Closes with `reason` once every byte queued on its streams was acknowledged (now, when
  // nothing is outstanding). Streams the peer stopped reading do not hold it open.
  void close_after_delivery(const CloseReason& reason);
  [[nodiscard]] std::expected<Bytes, std::string> export_keying_material(
      std::string_view label, std::span<const std::uint8_t> context, std::size_t length) const;

  // --- streams (used by links) ---
  asio::awaitable<std::expected<std::shared_ptr<StreamState>, LinkError>> open_stream();
  asio::awaitable<std::expected<std::shared_ptr<StreamState>, LinkError>> accept_stream();
  // Queues bytes on the stream; the caller waited for has_send_capacity() first.
  [[nodiscard]] std::expected<void, LinkError> enqueue(StreamState& stream, Bytes bytes);
  // Room for more: below the unacknowledged-bytes bound, and not too far ahead of the wire.
  // The second bound makes a sender that never waits for anything else yield to the event
  // loop (socket reads, timers) every kMaxUnsentBytes instead of after the whole buffer.
  bool has_send_capacity(const StreamState& stream) const {
    return stream.unacked() < options_.send_buffer_bytes &&
           stream.queued - stream.sent < kMaxUnsentBytes;
  }
  static constexpr std::uint64_t kMaxUnsentBytes = 256 * 1024;
  // Everything queued on every stream was acknowledged (or will never be).
  bool all_delivered() const;
  // --- receive accounting (receive_accounting.cpp) ---
  // The link moved `bytes` into its frame decoder: grant the peer that much more credit.
  void credit_fed(StreamState& stream, std::size_t bytes);
  // The link took `bytes` more of the stream as complete frames: no longer held.
  void frames_taken(StreamState& stream, std::uint64_t bytes);
  // Nobody reads the stream any more: what it held is freed.
  void release_receive(StreamState& stream);
  // Bytes received on this connection's streams and not yet taken as frames or freed.
  std::uint64_t buffered_receive_bytes() const { return buffered_; }
  // Abandons the stream in both directions with `reason` (RESET_STREAM + STOP_SENDING).
  void reset_stream(StreamState& stream, const CloseReason& reason);
  // The link was dropped: deliver what is queued, then FIN; stop reading.
  void finish_stream(StreamState& stream);

  asio::any_io_executor executor() const { return executor_; }

 private:
  QuicConnection(asio::any_io_executor executor, ConnectionHost& host, PacketPath& path,
                 const ConnectionOptions& options, bool is_server, UdpEndpoint remote);

  // setup (tls_session.cpp)
  [[nodiscard]] std::expected<void, std::string> setup_tls(const TlsIdentity& identity,
                                                           const std::vector<std::string>& alpns);
  static int verify_peer_certificate(gnutls_session_t session);
  // Server side, once the ClientHello is read: the endpoint admits the protocol it asks
  // for, or the handshake ends there as busy (refused_busy_).
  static int on_client_hello(gnutls_session_t session, unsigned type, unsigned when, unsigned incoming,
                             const gnutls_datum_t* message);
  static ngtcp2_conn* conn_from_ref(ngtcp2_crypto_conn_ref* ref);

  // ngtcp2 callbacks (quic_callbacks.cpp)
  static const ngtcp2_callbacks& callbacks();
  friend struct Ngtcp2Callbacks;

  [[nodiscard]] std::expected<Bytes, std::string> export_keys(
      std::string_view label, std::span<const std::uint8_t> context, std::size_t length) const;

  // admission: the network proof after TLS, before anyone sees the connection
  // (quic_admission.cpp)
  void begin_admission();
  void on_proof_stream_data(std::span<const std::uint8_t> data, bool fin);
  void on_proof_stream_reset();
  void on_link_before_admission();
  void advance_admission();
  void send_network_proof();
  void refuse(const CloseReason& reason, std::string_view why);
  void on_admission_deadline();
  void admit();

  // events
  void after_handshake();
  void on_read_error(int liberr);
  void on_timer();
  void arm_timer();
  void schedule_flush();
  void enter_closing(const ngtcp2_connection_close_error& ccerr, LinkError for_streams);
  void enter_draining();
  void finish();
  void fail_everything(const LinkError& error);
  void fail_handshake(ConnectError error);
  void send_packets(std::span<const std::uint8_t> data, std::size_t segment_size);
  void on_peer_stopped_reading(StreamState& stream);
  void forget_stream(std::int64_t id);

  // receive accounting helpers (receive_accounting.cpp)
  void on_stream_data(StreamState& stream, std::size_t bytes);
  void add_buffered(std::int64_t delta);

  // write loop helpers (quic_streams.cpp)
  std::shared_ptr<StreamState> next_ready_stream();
  void unblock_streams_with_credit();
  void advance_sent(StreamState& s, std::size_t n);
  std::size_t gather(const StreamState& s, ngtcp2_vec* vecs, std::size_t max) const;
  void on_acked(StreamState& s, std::uint64_t upto);

  asio::any_io_executor executor_;
  ConnectionHost* host_;  // null once detached
  PacketPath* path_;      // null once detached
  ConnectionOptions options_;
  const bool is_server_;
  UdpEndpoint remote_;
  std::uint64_t foreign_path_packets_ = 0;  // dropped: from another address than remote_
  UdpEndpoint local_;

  ngtcp2_crypto_conn_ref conn_ref_{};
  Ngtcp2Arena ngtcp2_arena_;  // declared before conn_: outlives it, frees what it lost
  Ngtcp2Conn conn_;
  GnutlsSession session_;

  State state_ = State::kHandshaking;
  PublicKeyBytes expected_peer_{};
  PublicKeyBytes peer_key_{};
  bool peer_verified_ = false;
  std::string tls_failure_;   // why our certificate check refused the peer
  bool peer_mismatch_ = false;
  bool refused_busy_ = false;  // the endpoint is at the bound of the ALPN asked for
  std::string alpn_;  // requested (client), asked for (server, from the ClientHello), negotiated (open)
  std::optional<ConnectError> handshake_error_;
  std::optional<LinkError> terminal_error_;
  Signal established_;
  std::vector<ngtcp2_cid> routing_cids_;

  std::unordered_map<std::int64_t, std::shared_ptr<StreamState>> streams_;
  std::optional<CloseReason> close_after_delivery_;  // set by close_after_delivery()
  std::deque<std::int64_t> ready_streams_;
  std::vector<std::int64_t> blocked_streams_;  // flow-control blocked, re-checked per flush
  std::deque<std::shared_ptr<StreamState>> incoming_streams_;
  Signal streams_changed_;  // a stream arrived, or we may open more

  std::uint64_t buffered_ = 0;
  bool close_soon_posted_ = false;  // received, not yet taken as frames or freed

  // admission (quic_admission.cpp)
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  bool proving_ = false;          // TLS done, the peer's network proof not yet checked
  bool early_link_ = false;       // the dialer opened a link before it was admitted
  ReceivedProof peer_proof_;
  asio::steady_timer admission_timer_;  // the handshake timeout, for the proof

  asio::steady_timer timer_;
  std::uint64_t armed_expiry_ = UINT64_MAX;  // when timer_ fires; UINT64_MAX: not armed
  // Due expiries handled by posting instead of the timer, in a row; bounded so that an
  // expiry ngtcp2 keeps in the past cannot spin the loop.
  static constexpr int kMaxImmediateExpiries = 8;
  int immediate_expiries_ = 0;
  bool expiry_posted_ = false;  // an on_timer() for a due expiry is posted, not yet run
  bool flush_scheduled_ = false;
  bool in_flush_ = false;
  Bytes close_packet_;  // repeated while closing
  std::vector<std::uint8_t> tx_buffer_;
};

}  // namespace mosaik::transport::detail
